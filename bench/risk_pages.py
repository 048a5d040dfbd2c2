"""风险库 page benchmark: the first page of /risk/warnings at 1,000,000 entities.

It makes its own data (a temporary SQLite database, or a scratch database on the PostgreSQL
server named by --database-url, dropped at the end): --entities entities in ten districts
(bench/entities.py's generator), then --warnings open warnings (and a quarter as many closed
ones) spread over the fifteen rules, the districts' bureaus as responsible departments and the
last 180 days.  It times services.risk.library.search — the page's ids, rows and the capped
count — for the district clerk and the city clerk under the filters of the page (p50/p95 over
--runs runs).  Nothing here is a pass/fail assertion; it prints figures.

    .venv/bin/python bench/risk_pages.py
    .venv/bin/python bench/risk_pages.py --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.entities import (  # noqa: E402
    DISTRICTS,
    HOME,
    entity_rows,
    make_app,
    make_org,
    pct,
    scratch_database,
    timed,
)


def fill(entities: int, warnings: int) -> None:
    from sqlalchemy import select

    from models import Department, MarketEntity, RiskRule, db
    from models.risk import RiskWarning
    from persistence.bulk import insert_rows

    regions = {d.region_code: d.id for d in db.session.query(Department).filter(Department.level == "district")}
    bureaus = {d.region_code: d.id for d in db.session.query(Department).filter(Department.level == "bureau")}
    t0 = time.perf_counter()
    columns = [c.name for c in MarketEntity.__table__.c if c.name != "id"]
    now = datetime.now()
    batch: list[list[Any]] = []
    for row in entity_rows(entities):
        row["department_id"] = regions[row["division_code"][:6]]
        row["created_at"] = row["updated_at"] = now
        batch.append([row[c] for c in columns])
        if len(batch) >= 20_000:
            insert_rows(MarketEntity.__table__, columns, batch)
            batch = []
    insert_rows(MarketEntity.__table__, columns, batch)
    db.session.commit()
    print(f"generated {entities:,} entities in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    rules = list(db.session.execute(select(RiskRule.id)).scalars())
    codes = [code for code, _ in DISTRICTS]
    rnd = random.Random(7)
    # COPY on PostgreSQL takes JSON as text; SQLite's executemany encodes through the column type
    as_json = (lambda v: json.dumps(v, ensure_ascii=False)) if db.engine.dialect.name == "postgresql" else (lambda v: v)
    cols = ["entity_id", "rule_id", "department_id", "status", "first_seen_at", "last_seen_at", "closed_at",
            "evidence", "reason"]
    seen: set[tuple[int, int]] = set()
    rows: list[list[Any]] = []
    total = warnings + warnings // 4
    made = 0
    while made < total:
        entity_id, rule_id = rnd.randint(1, entities), rnd.choice(rules)
        closed = made >= warnings
        if not closed and (entity_id, rule_id) in seen:
            continue
        seen.add((entity_id, rule_id))
        first = now - timedelta(days=rnd.randint(0, 180), seconds=rnd.randint(0, 86_399))
        rows.append([entity_id, rule_id, bureaus[codes[(entity_id - 1) % len(codes)]], "closed" if closed else "open",
                     first, first, first + timedelta(days=3) if closed else None,
                     as_json([{"kind": "abnormal_listing", "id": entity_id, "label": "列入经营异常名录"}]), ""])
        made += 1
        if len(rows) >= 20_000:
            insert_rows(RiskWarning.__table__, cols, rows)
            rows = []
    insert_rows(RiskWarning.__table__, cols, rows)
    db.session.commit()
    print(f"generated {total:,} warnings ({warnings:,} open) in {time.perf_counter() - t0:.1f} s")


def scenarios(rule_id: int, bureau_id: int) -> list[tuple[str, str, dict[str, str]]]:
    today = datetime.now().date()
    return [
        ("no filter (成华区 clerk)", "district", {}),
        ("no filter (city clerk)", "city", {}),
        ("one rule (成华区 clerk)", "district", {"rule": str(rule_id)}),
        ("street (成华区 clerk)", "district", {"division": HOME + "003"}),
        ("street + industry F52 (成华区 clerk)", "district", {"division": HOME + "003", "industry": "F52"}),
        ("industry H (city clerk)", "city", {"industry": "H"}),
        ("responsible department (city clerk)", "city", {"department": str(bureau_id)}),
        ("last 7 days (成华区 clerk)", "district", {"since": (today - timedelta(days=7)).isoformat()}),
        ("closed (成华区 clerk)", "district", {"status": "closed"}),
        ("rule + street + closed (city clerk)", "city", {"rule": str(rule_id), "division": HOME + "003",
                                                          "status": "all"}),
    ]


def bench(url: str, instance: Path, entities: int, warnings: int, runs: int) -> None:
    from sqlalchemy import text

    from models import Department, RiskRule, User, db
    from services.risk import library

    app = make_app(url, instance)
    with app.app_context():
        ids = make_org()
        fill(entities, warnings)
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        users = {"district": db.session.get(User, ids["district_clerk"]), "city": db.session.get(User, ids["city_clerk"])}
        rule_id = db.session.query(RiskRule.id).filter_by(code="abnormal_list").scalar()
        bureau_id = db.session.query(Department.id).filter(Department.region_code == HOME,
                                                           Department.level == "bureau").scalar()
        print(f"{'scenario':44} {'p50 ms':>8} {'p95 ms':>8}  rows  total")
        for label, who, args in scenarios(rule_id, bureau_id):
            filters = library.parse_filters(args)
            assert not filters.problems, filters.problems
            times, page = timed(lambda f=filters, u=users[who]: library.search(u, f), runs)
            db.session.rollback()
            print(f"{label:44} {pct(times, 50):8.1f} {pct(times, 95):8.1f}  {len(page.items):4}  {page.total_label}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--warnings", type=int, default=150_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url", default="", help="PostgreSQL server URL; default a temporary SQLite file")
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="zhjg-bench-risk-pages-"))
    drop = None
    print(f"bench/risk_pages.py on {'PostgreSQL' if args.database_url else 'SQLite'}, {os.cpu_count()} CPUs")
    try:
        if args.database_url:
            url, drop = scratch_database(args.database_url, "risk_pages")
        else:
            url = f"sqlite:///{instance}/risk.sqlite3"
        bench(url, instance, args.entities, args.warnings, args.runs)
    finally:
        if drop:
            drop()
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
