"""Query plans of what a piece of code sends to the database (bench/dossier.py --explain).

``explain_calls(fn)`` runs ``fn`` once with every statement captured, then prints the plan of
each distinct SELECT with the parameters it was sent with: SQLite's EXPLAIN QUERY PLAN,
PostgreSQL's EXPLAIN (estimates only).  A line naming a full scan of a big table (SQLite
``SCAN <table>`` without an index, PostgreSQL ``Seq Scan``) is marked with ``<<``."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_FULL_SCAN = re.compile(r"^(SCAN \w+(?! USING)(?:\s|$)|.*Seq Scan)")


def explain_calls(fn: Callable[[], Any], label: str) -> None:
    from sqlalchemy import event

    from models import db

    captured: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and not many:
            captured.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    postgres = db.engine.dialect.name == "postgresql"
    raw = db.session.connection().connection.dbapi_connection
    seen: set[str] = set()
    scans = 0
    for statement, parameters in captured:
        if statement in seen:
            continue
        seen.add(statement)
        cursor = raw.cursor()  # type: ignore[union-attr]
        cursor.execute(("EXPLAIN " if postgres else "EXPLAIN QUERY PLAN ") + statement, parameters)
        lines = [row[0] if postgres else row[3] for row in cursor.fetchall()]
        cursor.close()
        print(f"--- {label}: {' '.join(statement.split())[:160]}")
        for line in lines:
            full = bool(_FULL_SCAN.match(line.strip()))
            scans += full
            print(f"    {line}{'   <<' if full else ''}")
    print(f"{label}: {len(seen)} distinct SELECTs, {scans} plan lines with a full scan")
