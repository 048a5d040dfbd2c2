"""Credit-risk scorecard benchmark: the whole registry scored (services/credit/scoring.recompute)
beside a bare baseline, the same SQL statements replayed directly on a DBAPI connection.

It makes its own data: a temporary SQLite database by default, or a scratch database it creates,
migrates, fills and drops on the PostgreSQL server named by --database-url (never the named
database itself).  The registry comes from bench/entities.py's generator (grades as it makes
them, imported national grades); facts are inserted set-based by id pattern — per 100 entities
about 14 penalties (one in three heavy), 20 complaints, 25 supervision records (half with a
problem), 33 permits (one in ten revoked, one in ten expired), 9 lawsuits, 5 abnormal listings,
2 sanctions, 11 capital rows (half overdue): about 1.2 facts per entity.  Prints figures, no
assertions.

Timed:
  recompute(): sync of the national grades, the totals, 15 indicator INSERTs (the breakdown),
  the scores and grades, the records with the history, the effective grade into
  market_entity.credit_grade; then commit;
  bare: every statement recompute() sent (captured), replayed on a raw DBAPI connection in one
  transaction from the state before the first run (grade records, breakdown and history
  emptied), committed; then recompute() again from that same state, the service beside its
  bare SQL; and once more with nothing changed (no history rows, no grade written).

    .venv/bin/python bench/credit.py --entities 100000
    .venv/bin/python bench/credit.py --entities 100000 --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.directories import fill_registry  # noqa: E402
from bench.entities import make_app, make_org, scratch_database  # noqa: E402

FACTS = (
    # table, id pattern, extra columns and their SQL values
    ("fact_penalty", "id % 7 = 0", {"decision_no": "'罚' || id", "decided_on": ":recent", "department": "'压测局'",
                                    "violation": "''", "basis": "''", "kind": "'罚款'",
                                    "amount": "CASE WHEN id % 21 = 0 THEN 50000 ELSE 500 END", "status": "''"}),
    ("fact_complaint", "id % 5 = 0", {"received_on": ":recent", "channel": "'12315'", "subject": "'投诉'",
                                      "outcome": "''"}),
    ("fact_complaint", "id % 10 = 1", {"received_on": ":recent", "channel": "'12315'", "subject": "'举报'",
                                       "outcome": "''"}),
    ("fact_supervision", "id % 4 = 0", {"inspected_on": ":recent", "department": "'压测局'", "kind": "'日常检查'",
                                        "result": "CASE WHEN id % 8 = 0 THEN '发现问题' ELSE '未发现问题' END",
                                        "handling": "''"}),
    ("fact_permit", "id % 3 = 0", {"permit_no": "'许' || id", "name": "'许可证'", "kind": "''",
                                   "issuing_department": "''", "scope": "''", "valid_from": ":old",
                                   "valid_to": "CASE WHEN id % 30 = 3 THEN :yesterday ELSE NULL END",
                                   "status": "CASE WHEN id % 30 = 0 THEN '吊销' ELSE '有效' END", "change_note": "''"}),
    ("fact_lawsuit", "id % 11 = 0", {"case_no": "'案' || id", "filed_on": ":recent", "court": "''",
                                     "role": "'被告'", "cause": "''", "status": "''"}),
    ("fact_abnormal", "id % 20 = 0", {"listed_on": ":recent", "reason": "'未按期公示年报'",
                                      "deciding_department": "''", "removal_reason": "''"}),
    ("fact_sanction", "id % 50 = 0", {"list_kind": "'严重违法失信名单'", "decided_on": ":recent", "reason": "''",
                                      "deciding_department": "''"}),
    ("fact_capital", "id % 9 = 0", {"shareholder": "'股东' || id", "subscribed_amount": "100",
                                    "paid_amount": "CASE WHEN id % 18 = 0 THEN 10 ELSE 100 END", "due_date": ":yesterday",
                                    "method": "'货币'", "year": "2025", "origin": "'年报'"}),
)


def fill_facts(department_id: int) -> int:
    from sqlalchemy import text

    from models import db

    today = date.today()
    params = {"recent": today - timedelta(days=30), "old": date(2020, 1, 1), "yesterday": today - timedelta(days=1),
              "dep": department_id}
    total = 0
    for table, pattern, extra in FACTS:
        columns = ["entity_id", "source_department_id", "source_kind", "received_at", '"current"', *extra]
        values = ["id", ":dep", "'批量导入'", "CURRENT_TIMESTAMP", "TRUE", *extra.values()]
        total += db.session.execute(text(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM market_entity WHERE {pattern}"
        ), params).rowcount
    db.session.commit()
    return total


def analyze() -> None:
    from sqlalchemy import text

    from models import db

    postgres = db.engine.dialect.name == "postgresql"
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if postgres else "ANALYZE"))
        if not postgres:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


def clock(label: str, fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - t0
    print(f"    {label:<66}{seconds:>8.2f} s")
    return seconds, result


def bench(url: str, instance: Path, entities: int) -> None:
    from sqlalchemy import delete, event, func, select

    from models import MarketEntity, db
    from models.credit import GradeChange, GradeRecord, ScoreItem
    from services.credit import scoring

    app = make_app(url, instance)
    with app.app_context():
        ids = make_org()
        t0 = time.perf_counter()
        fill_registry(entities)
        from models import User

        facts = fill_facts(db.session.get(User, ids["district_clerk"]).department_id)
        analyze()
        print(f"generated {entities:,} entities and {facts:,} facts in {time.perf_counter() - t0:.1f} s (not timed)")

        captured: list[tuple[str, Any]] = []

        def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
            captured.append((statement, parameters))

        engine = db.engine
        event.listen(engine, "before_cursor_execute", capture)

        def first() -> Any:
            result = scoring.recompute()
            db.session.commit()
            return result

        print("the scorecard over the registry:")
        first_s, result = clock("recompute() + commit (first run: every grade new)", first)
        event.remove(engine, "before_cursor_execute", capture)
        print(f"    -> {result.entities:,} entities, {result.items:,} breakdown rows, "
              f"{result.changed:,} draw grades changed")
        history = db.session.execute(select(func.count()).select_from(GradeChange)).scalar()
        items = db.session.execute(select(func.count()).select_from(ScoreItem)).scalar()
        print(f"    -> {history:,} history rows, {items:,} breakdown rows stored")

        statements = captured  # every statement: the writes, the counts, ANALYZE, TRUNCATE

        def reset() -> None:  # back to the state before the first run (its draw grades were unchanged)
            for model in (GradeChange, ScoreItem, GradeRecord):
                db.session.execute(delete(model))
            db.session.commit()
            analyze()

        def bare() -> list[tuple[float, str]]:
            raw = engine.raw_connection()
            timings = []
            try:
                cur = raw.cursor()
                for statement, parameters in statements:
                    t = time.perf_counter()
                    cur.execute(statement, parameters)
                    timings.append((time.perf_counter() - t, statement))
                raw.commit()
            finally:
                raw.close()
            return timings

        reset()
        bare_s, timings = clock(f"bare: the same {len(statements)} statements on a raw connection + commit", bare)
        for seconds, statement in sorted(timings, reverse=True)[:5]:
            print(f"        {seconds:>6.2f} s  {' '.join(statement.split())[:100]}")
        reset()
        service_s, result = clock("recompute() + commit again, from the same state as the bare run", first)

        def again() -> Any:
            result = scoring.recompute()
            db.session.commit()
            return result

        again_s, result = clock("recompute() + commit once more (nothing changed)", again)
        print(f"    -> {result.changed:,} draw grades changed")
        grades = dict(db.session.execute(select(MarketEntity.credit_grade, func.count())
                                         .group_by(MarketEntity.credit_grade)).all())
        print(f"    draw grades now: {dict(sorted((k or '-', v) for k, v in grades.items()))}")
        print(f"summary: first run {first_s:.2f} s; from the same state: service {service_s:.2f} s, bare {bare_s:.2f} s "
              f"(overhead {service_s - bare_s:+.2f} s); unchanged run {again_s:.2f} s")
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--database-url", default="", help="PostgreSQL server URL; default a temporary SQLite file")
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="zhjg-bench-credit-"))
    drop: Callable[[], None] = lambda: None  # noqa: E731
    print(f"bench/credit.py on {'PostgreSQL' if args.database_url else 'SQLite'}, {os.cpu_count()} CPUs")
    try:
        if args.database_url:
            url, drop = scratch_database(args.database_url, "credit")
        else:
            url = f"sqlite:///{instance}/credit.sqlite3"
        bench(url, instance, args.entities)
    finally:
        drop()
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
