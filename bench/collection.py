"""信息归集 benchmark: a mixed batch of collected facts over a large registry (docs/collection.md).

It makes its own data: a temporary SQLite database by default, or a scratch database it
creates, migrates, fills and drops on the PostgreSQL server named by --database-url (never the
named database itself).  The registry gets --entities entities (bench/entities.py's generator);
the district's clerk then files --facts facts of five kinds — 行政许可 40 %, 行政处罚 20 %,
经营异常名录 10 %, 投诉举报 15 %, 司法涉诉 15 % — by 统一社会信用代码, 2 % of them naming no
registered entity (they wait in the pending pool), as a department's data exchange would send
them: --chunk records per call, committed per call.  It prints figures, no assertions.

Timed, on the same rows in the same run:
  the bare baseline: the rows already normalised (not timed), then one SELECT of the registry's
  codes and the rows as the fact tables hold them written with COPY (PostgreSQL) or executemany
  (SQLite) — persistence.bulk.insert_rows — and removed again;
  services.collection.ingest.ingest, kind by kind, chunk by chunk (check, match, compare with
  the live facts, write, audit); then the same facts again (无变化: a re-sent file writes nothing).

    .venv/bin/python bench/collection.py                       # 100,000 entities, 100,000 facts
    .venv/bin/python bench/collection.py --entities 1000000 --facts 1000000
    .venv/bin/python bench/collection.py --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.directories import fill_registry  # noqa: E402
from bench.entities import make_app, make_org, scratch_database, uscc_for  # noqa: E402

SHARES = (("permit", 40), ("penalty", 20), ("abnormal", 10), ("complaint", 15), ("lawsuit", 15))


def _record(kind: str, n: int, code: str) -> dict[str, Any]:
    """One record of ``kind`` by field key, as the exchange sends it (n makes its key unique)."""
    day = date(2020, 1, 1) + timedelta(days=n % 2000)
    common = {"uscc": code}
    if kind == "permit":
        return {**common, "permit_no": f"JY{n:014d}", "name": "食品经营许可证", "kind": "食品经营",
                "issuing_department": "成华区市场监督管理局", "valid_from": day.isoformat(),
                "valid_to": (day + timedelta(days=1825)).isoformat()}
    if kind == "penalty":
        return {**common, "decision_no": f"成华市监罚〔{2020 + n % 6}〕{n}号", "decided_on": day.isoformat(),
                "department": "成华区市场监督管理局", "violation": "超范围经营", "kind": "罚款",
                "amount": f"{(n % 50 + 1) * 1000}.00", "status": "已履行"}
    if kind == "abnormal":
        return {**common, "listed_on": day.isoformat(), "reason": "未按规定报送年度报告",
                "deciding_department": "成华区市场监督管理局"}
    if kind == "complaint":
        return {**common, "received_on": day.isoformat(), "channel": "12315", "subject": f"投诉事项{n}",
                "outcome": "已办结"}
    return {**common, "case_no": f"（{2020 + n % 6}）川0108民初{n}号", "filed_on": day.isoformat(),
            "court": "成都市成华区人民法院", "role": "被告", "cause": "买卖合同纠纷", "status": "已结案"}


def make_records(codes: list[str], facts: int) -> dict[str, list[dict[str, Any]]]:
    rng = random.Random(20261207)
    out: dict[str, list[dict[str, Any]]] = {kind: [] for kind, _ in SHARES}
    weights = [w for _, w in SHARES]
    kinds = [k for k, _ in SHARES]
    for n in range(facts):
        kind = rng.choices(kinds, weights)[0]
        code = uscc_for(900_000_000 + n, "510199001000") if n % 50 == 0 else codes[rng.randrange(len(codes))]
        out[kind].append(_record(kind, n, code))
    return out


def bare(records: dict[str, list[dict[str, Any]]], department_id: int, region: list[int]) -> tuple[float, int]:
    """The limit: the registry's codes in one SELECT, then the rows as stored, bulk-written."""
    from sqlalchemy import delete, select

    from infrastructure import clock
    from models import MarketEntity, db
    from persistence.bulk import insert_rows
    from services.collection.kinds import FACT_KINDS

    prepared = {name: [FACT_KINDS[name].check(r).values for r in rows] for name, rows in records.items()}
    t0 = time.perf_counter()  # the rows already in their stored form: only lookup and write are timed
    ids = dict(db.session.execute(select(MarketEntity.uscc, MarketEntity.id)
                                  .where(MarketEntity.department_id.in_(region))).all())
    now, written = clock.utcnow(), 0
    for name, rows in prepared.items():
        kind = FACT_KINDS[name]
        table = kind.model.__table__
        fields = [f.key for f in kind.fields if f.key in table.c]
        columns = ["entity_id", "source_department_id", "source_kind", "received_at", "current", *fields]
        out = [[ids[v["uscc"]], department_id, "数据交换", now, True, *(v.get(f) for f in fields)]
               for v in rows if v.get("uscc") in ids]
        written += insert_rows(table, columns, out)
    db.session.commit()
    elapsed = time.perf_counter() - t0
    for name in records:
        db.session.execute(delete(FACT_KINDS[name].model.__table__))
    db.session.commit()
    return elapsed, written


def ingest_all(records: dict[str, list[dict[str, Any]]], clerk_id: int, chunk: int) -> tuple[float, Counter[str]]:
    from models import User, db
    from models.facts import FactSource
    from services.collection.ingest import ingest
    from services.collection.kinds import FACT_KINDS

    clerk = db.session.get(User, clerk_id)
    counts: Counter[str] = Counter()
    t0 = time.perf_counter()
    for name, rows in records.items():
        for start in range(0, len(rows), chunk):
            result = ingest(FACT_KINDS[name], rows[start:start + chunk], source_kind=FactSource.EXCHANGE,
                            department=clerk.department, actor=clerk)
            counts.update(o.status for o in result.outcomes)
            db.session.commit()
    return time.perf_counter() - t0, counts


def bench(url: str, instance: Path, entities: int, facts: int, chunk: int, profile: bool = False,
          ab_check: bool = False) -> None:
    from sqlalchemy import select

    from models import MarketEntity, User, db
    from persistence.org import region_root
    from persistence.scope import subtree_ids

    app = make_app(url, instance)
    with app.app_context():
        ids = make_org()
        t = time.perf_counter()
        fill_registry(entities)
        db.session.commit()
        clerk = db.session.get(User, ids["district_clerk"])
        region = list(db.session.execute(subtree_ids(region_root(clerk.department))).scalars())
        codes = list(db.session.execute(select(MarketEntity.uscc)
                                        .where(MarketEntity.department_id.in_(region))).scalars())
        records = make_records(codes, facts)
        print(f"registry of {entities:,} entities ({len(codes):,} in the district), {facts:,} facts generated"
              f" in {time.perf_counter() - t:.1f} s (not timed)")
        cpu = time.process_time()
        base, written = bare(records, clerk.department_id, region)
        base_cpu = time.process_time() - cpu  # includes the untimed preparation of the rows
        print(f"  bare baseline: SELECT the codes + {written:,} rows bulk-written  {base:8.1f} s"
              f"  {written / base:10,.0f} rows/s   load average {_load()}")
        profiler = None
        if profile:
            import cProfile
            profiler = cProfile.Profile()
            profiler.enable()
        cpu = time.process_time()
        ours, counts = ingest_all(records, ids["district_clerk"], chunk)
        ours_cpu = time.process_time() - cpu
        if profiler is not None:
            import pstats
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        print(f"  ingest, {chunk:,} records a call, committed per call  {ours:8.1f} s  {facts / ours:10,.0f} rows/s"
              f"   ratio {ours / base:5.2f}×   {dict(counts)}   load average {_load()}")
        print(f"  this process's CPU: bare {base_cpu:.1f} s (with the rows' preparation), ingest {ours_cpu:.1f} s"
              " (SQLite: all of the work; PostgreSQL: without the server's)")
        cpu = time.process_time()
        again, counts = ingest_all(records, ids["district_clerk"], chunk)
        print(f"  the same facts again (无变化)                        {again:8.1f} s  {facts / again:10,.0f} rows/s"
              f"   {dict(counts)}   this process's CPU {time.process_time() - cpu:.1f} s")
        if ab_check:
            check_ab(records, ids["district_clerk"], chunk)
    print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")


def check_ab(records: dict[str, list[dict[str, Any]]], clerk_id: int, chunk: int) -> None:
    """The same facts once more (无变化) with the generic record check (FactKind.check_generic,
    the definition) and with the compiled one, wall and CPU seconds of this process each."""
    from services.collection.fields import FactKind

    compiled = FactKind.check_many
    for label, patch in (("generic check", lambda self, rows: [self.check_generic(r) for r in rows]),
                         ("compiled check", compiled)):
        FactKind.check_many = patch  # type: ignore[method-assign]
        try:
            cpu = time.process_time()
            seconds, _ = ingest_all(records, clerk_id, chunk)
            print(f"  again, {label:<15} {seconds:8.1f} s, this process's CPU {time.process_time() - cpu:6.1f} s"
                  f"   load average {_load()}")
        finally:
            FactKind.check_many = compiled  # type: ignore[method-assign]


def _load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--facts", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=10_000)
    parser.add_argument("--database-url", default="", help="PostgreSQL server URL; default a temporary SQLite file")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the first ingest")
    parser.add_argument("--ab-check", action="store_true",
                        help="then the same facts again with the generic and with the compiled record check")
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="zhjg-bench-collection-"))
    drop = None
    try:
        if args.database_url:
            url, drop = scratch_database(args.database_url, "collection")
        else:
            url = f"sqlite:///{instance}/bench.sqlite3"
        print(f"database: {'PostgreSQL' if args.database_url else 'SQLite'}")
        bench(url, instance, args.entities, args.facts, args.chunk, args.profile, args.ab_check)
    finally:
        if drop is not None:
            drop()
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
