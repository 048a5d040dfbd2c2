"""The bare limit of an object draw, for bench/draws.py: the same work without the app around it.

select  one SELECT of the population (member id and credit grade) on a raw DBAPI connection;
rank    HMAC-SHA256 ranking per stratum in plain Python, the algorithm of
        infrastructure/draw_algorithm.py written out here (padded key hashed once, two hash
        copies per member, ``heapq.nsmallest`` per stratum);
store   the drawn rows into task_object: COPY on PostgreSQL (psycopg 3 ``cursor.copy``),
        ``executemany`` on SQLite; rolled back afterwards.
verify  select and rank again, compare with the first result.

No population record (digest, compressed lines, commitments), no Draw row, no audit: that is
what the app adds, and the ratio printed beside each figure says how much it costs.
"""

from __future__ import annotations

import hashlib
import heapq
import time
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

SELECT = (
    "SELECT m.entity_id, e.credit_grade FROM directory_member m JOIN market_entity e ON e.id = m.entity_id "
    "WHERE m.directory_id = {p}"
)


def _select(conn: Any, postgres: bool, directory_id: int) -> list[tuple[int, str | None]]:
    cursor = conn.cursor()
    cursor.execute(SELECT.format(p="%s" if postgres else "?"), (directory_id,))
    rows = cursor.fetchall()
    cursor.close()
    return rows


def _rank(rows: list[tuple[int, str | None]], seed_hex: str, quotas: dict[str, int]) -> dict[str, list[str]]:
    padded = bytes.fromhex(seed_hex).ljust(64, b"\0")
    inner_start = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
    inner_start.update(b"object:")
    inner_copy = inner_start.copy
    outer_copy = hashlib.sha256(bytes(b ^ 0x5C for b in padded)).copy
    strata: dict[str, list[str]] = {s: [] for s in quotas}
    for ident, grade in rows:
        strata[grade or "-"].append(f"entity:{ident}")
    result = {}
    for stratum, keys in strata.items():
        hashes = []
        append = hashes.append
        for key in keys:
            inner = inner_copy()
            inner.update(key.encode())
            outer = outer_copy()
            outer.update(inner.digest())
            append((outer.digest(), key))
        result[stratum] = [k for _, k in heapq.nsmallest(quotas[stratum], hashes)]
    return result


def _store(conn: Any, postgres: bool, task_id: int, result: dict[str, list[str]]) -> int:
    now = datetime.now()
    rows = [(task_id, key, int(key[7:]), grade, rank, False, now)
            for grade, keys in result.items() for rank, key in enumerate(keys, 1)]
    columns = "task_id, key, entity_id, grade, rank, removed, created_at"
    cursor = conn.cursor()
    if postgres:
        with cursor.copy(f"COPY task_object ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        cursor.executemany(f"INSERT INTO task_object ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    cursor.close()
    return len(rows)


def bare_draw(engine: Engine, directory_id: int, task_id: int, quotas: dict[str, int],
              seed_hex: str) -> dict[str, float]:
    """Seconds per stage of the bare draw and its verification, printed as it goes."""
    postgres = engine.dialect.name == "postgresql"
    conn = engine.raw_connection()
    times: dict[str, float] = {}

    def stage(name: str, label: str, fn: Any) -> Any:
        t0 = time.perf_counter()
        out = fn()
        times[name] = time.perf_counter() - t0
        print(f"    bare {name:<7}{label:<52}{times[name] * 1000:>10.1f} ms")
        return out

    try:
        rows = stage("select", "one SELECT, raw cursor", lambda: _select(conn, postgres, directory_id))
        result = stage("rank", "HMAC-SHA256 per stratum, nsmallest", lambda: _rank(rows, seed_hex, quotas))
        stage("store", "COPY of the drawn rows" if postgres else "executemany of the drawn rows",
              lambda: _store(conn, postgres, task_id, result))
        conn.rollback()
        times["draw"] = times["select"] + times["rank"] + times["store"]
        print(f"    bare {'draw':<7}{'select + rank + store':<52}{times['draw'] * 1000:>10.1f} ms")
        rows = None  # type: ignore[assignment]

        def verify() -> None:
            if _rank(_select(conn, postgres, directory_id), seed_hex, quotas) != result:
                raise AssertionError("the bare draw does not repeat")

        stage("verify", "select + rank again, compare", verify)
    finally:
        conn.rollback()
        conn.close()
    return times
