"""信用沙盒 benchmark: the monitor over a large sandbox library (docs/sandbox.md).

It makes its own data: a temporary SQLite database by default, or a scratch database it
creates, migrates, fills and drops on the PostgreSQL server named by --database-url.  The
registry gets --entities entities (bench/entities.py's generator), every one of them in one
district bureau's 信用沙盒主体库, and bulk-written facts (not timed): 1.2 complaints, 1.1 permits and
0.15 abnormal listings per entity (bench/risk.py's generator).  Three items: 2 complaints in 365
days (预警), a permit expiring within 30 days (提示), an abnormal listing in force (预警).

Timed, each beside its bare baseline (the items' condition SELECTs alone, compiled with their
values inlined and run through the DBAPI cursor with their entity ids fetched: no INSERT, no
ORM): the monitor (services.sandbox.monitor.evaluate, committed) into an empty clue table, and
again (nothing changes); then the start of --dispatch clues' 表27 instances (per clue: the
engine, a webhook delivery, the SMS log), which is per-clue ORM work and reported per clue.

    .venv/bin/python bench/sandbox.py                        # 100,000 entities
    .venv/bin/python bench/sandbox.py --entities 1000000
    .venv/bin/python bench/sandbox.py --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.directories import fill_registry  # noqa: E402
from bench.entities import make_app, make_org, scratch_database  # noqa: E402
from bench.risk import analyse, write_facts  # noqa: E402

ITEMS = (("投诉预警", "complaints", "预警", {"count": 2, "days": 365}),
         ("许可到期提示", "permit_expiring", "提示", {"days": 30}),
         ("经营异常预警", "abnormal", "预警", {}))


def fill(entities: int, clerk: object) -> None:
    from models import MarketEntity, SandboxEntity, SandboxItem, db
    from persistence.bulk import insert_rows

    ctx = {"entities": entities, "persons": 1, "addresses": [""], "agents": [""]}
    counts = {"complaint": entities * 6 // 5, "permit": entities * 11 // 10, "abnormal": entities * 3 // 20}
    write_facts(counts, ctx, clerk.department_id, seed=7)  # type: ignore[attr-defined]
    now = datetime.utcnow()
    ids = [i for (i,) in db.session.query(MarketEntity.id).order_by(MarketEntity.id)]
    columns = ["department_id", "entity_id", "active", "source", "added_at", "added_by_id", "removal_reason"]
    for start in range(0, len(ids), 50_000):
        insert_rows(SandboxEntity.__table__, columns,
                    [[clerk.department_id, i, True, "导入", now, clerk.id, ""] for i in ids[start:start + 50_000]])  # type: ignore[attr-defined]
    for name, condition, level, params in ITEMS:
        db.session.add(SandboxItem(department_id=clerk.department_id, name=name, condition=condition,  # type: ignore[attr-defined]
                                   params=params, level=level, created_by_id=clerk.id))  # type: ignore[attr-defined]
    db.session.commit()


def bare() -> tuple[float, int]:
    from infrastructure import clock
    from models import SandboxItem, db
    from services.sandbox.monitor import hits

    today = clock.china_today()
    connection = db.session.connection()
    raw = connection.connection.dbapi_connection
    found = 0
    t0 = time.perf_counter()
    for item in db.session.query(SandboxItem).order_by(SandboxItem.id):
        sql = str(hits(item, today).compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
        cursor = raw.cursor()
        cursor.execute(sql)
        found += len(cursor.fetchall())
        cursor.close()
    return time.perf_counter() - t0, found


def bench(url: str, instance: Path, entities: int, dispatch: int) -> None:
    from models import User, db
    from services.sandbox import clues, monitor

    app = make_app(url, instance)
    with app.app_context():
        ids = make_org()
        clerk = db.session.get(User, ids["district_clerk"])
        t = time.perf_counter()
        fill_registry(entities)
        fill(entities, clerk)
        analyse()
        print(f"registry and sandbox library of {entities:,} entities with facts written in"
              f" {time.perf_counter() - t:.1f} s (not timed)")
        base, found = bare()
        for label in ("monitor, no clues yet", "monitor again       "):
            t0 = time.perf_counter()
            result = monitor.evaluate(db.session)
            db.session.commit()
            took = time.perf_counter() - t0
            print(f"  {label}: {took:8.2f} s   bare SQL {base:6.2f} s ({found:,} hits)   ratio {took / base:5.2f}×"
                  f"   {result.summary()}")
        if dispatch:
            t0 = time.perf_counter()
            started = clues.dispatch(limit=dispatch)
            db.session.commit()
            took = time.perf_counter() - t0
            print(f"  dispatch of {started:,} clues (表27 instance, push, SMS log): {took:8.2f} s"
                  f"   {1000 * took / max(started, 1):6.1f} ms per clue")
    print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--dispatch", type=int, default=200, help="clues whose instance is started (timed apart)")
    parser.add_argument("--database-url", default="", help="PostgreSQL server URL; default a temporary SQLite file")
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="zhjg-bench-sandbox-"))
    drop = None
    try:
        if args.database_url:
            url, drop = scratch_database(args.database_url, "sandbox")
        else:
            url = f"sqlite:///{instance}/bench.sqlite3"
        print(f"database: {'PostgreSQL' if args.database_url else 'SQLite'}")
        print(f"load average at the start: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
        bench(url, instance, args.entities, args.dispatch)
    finally:
        if drop is not None:
            drop()
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
