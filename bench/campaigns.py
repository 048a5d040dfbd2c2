"""专项整治 benchmark: building an object library of about 50,000 objects from a registry filter
(services/campaigns/library.build: one INSERT … SELECT) beside the bare statement, and the
梳理汇总 page's figures (services/campaigns/reports.summary: three GROUP BYs) beside the same
SQL on a raw connection.

It makes its own data: a temporary SQLite database by default, or a scratch database it creates,
migrates, fills and drops on the PostgreSQL server named by --database-url.  The registry comes
from bench/entities.py's generator (ten districts; grades 30 % A, 40 % B, 18 % C, 6 % D, 3 % E,
3 % none; 85 % active); the city bureau's clerk builds the library over the whole city with the
filter 信用风险分类 C, D, E and 未分类 (about 26 % of the registry: 51,000 of 200,000).  A third of
the objects are then given results set-based so that the summary has something to count.  Prints
figures and the load average, no assertions.

    .venv/bin/python bench/campaigns.py                        # 200,000 entities
    .venv/bin/python bench/campaigns.py --entities 1000000
    .venv/bin/python bench/campaigns.py --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.credit import analyze, clock  # noqa: E402
from bench.directories import fill_registry  # noqa: E402
from bench.entities import make_app, make_org, scratch_database  # noqa: E402

CRITERIA = {"grades": ["C", "D", "E"], "ungraded": "1"}


def _replay(engine: Any, statements: list[tuple[str, Any]]) -> None:
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for statement, parameters in statements:
            cur.execute(statement, parameters)
            if cur.description:
                cur.fetchall()
        raw.commit()
    finally:
        raw.close()


def _captured(engine: Any, fn: Callable[[], Any]) -> tuple[list[tuple[str, Any]], Any]:
    from sqlalchemy import event

    seen: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        result = fn()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return seen, result


def _results(campaign_id: int) -> None:
    """A third lawful, a tenth ordered, a twentieth filed: set-based, untimed."""
    from sqlalchemy import text

    from models import db

    for status, pattern in (("lawful", "id % 3 = 0"), ("ordered", "id % 10 = 1"), ("case", "id % 20 = 2")):
        db.session.execute(text(f"UPDATE campaign_object SET status = :s, order_no = CASE WHEN :s = 'ordered' "
                                f"THEN 'x' ELSE order_no END WHERE campaign_id = :c AND {pattern}"),
                           {"s": status, "c": campaign_id})
    db.session.commit()


def bench(url: str, instance: Path, entities: int) -> None:
    from sqlalchemy import delete, func, select

    from models import CampaignObject, User, db
    from services.campaigns import library, plans, reports

    app = make_app(url, instance)
    with app.app_context():
        ids = make_org()
        t0 = time.perf_counter()
        fill_registry(entities)
        analyze()
        print(f"generated {entities:,} entities in {time.perf_counter() - t0:.1f} s (not timed)")
        clerk = db.session.get(User, ids["city_clerk"])
        campaign = plans.create_campaign(clerk, {
            "title": "压测专项整治", "basis": "依据", "scope": "全市", "starts_on": "2026-10-01",
            "ends_on": "2026-12-31", "modes": ["信用监管"]})
        db.session.commit()
        crit = library.parse_criteria(CRITERIA)
        print(f"filter: {crit.describe()} -> {library.preview_count(campaign, crit):,} entities match")

        def build() -> int:
            added = library.build(clerk, campaign, CRITERIA)
            db.session.commit()
            return added

        def empty() -> None:
            db.session.execute(delete(CampaignObject).where(CampaignObject.campaign_id == campaign.id))
            campaign.library_note = ""
            db.session.commit()
            analyze()

        print("建立专项整治对象库:")
        service_s, added = clock("library.build() + commit (checks, count, INSERT … SELECT, audit)", build)
        print(f"    -> {added:,} objects")
        empty()
        statements, _ = _captured(db.engine, build)
        inserts = [(s, p) for s, p in statements if s.lstrip().upper().startswith("INSERT INTO CAMPAIGN_OBJECT")]
        empty()
        bare_s, _ = clock("bare: the INSERT … SELECT alone on a raw connection + commit",
                          lambda: _replay(db.engine, inserts))
        count = db.session.execute(select(func.count()).select_from(CampaignObject)).scalar()
        print(f"    -> {count:,} objects")
        _results(campaign.id)
        analyze()

        print("梳理汇总 (by result, department, category):")
        summary_s, s = clock("reports.summary() (three GROUP BYs)", lambda: reports.summary(campaign))
        print(f"    -> total {s.total}, {len(s.by_category)} categories")
        statements, _ = _captured(db.engine, lambda: reports.summary(campaign))
        raw_s, _ = clock(f"bare: the same {len(statements)} statements on a raw connection",
                         lambda: _replay(db.engine, statements))
        print(f"summary: build {service_s:.2f} s vs bare INSERT {bare_s:.2f} s; summary {summary_s:.2f} s vs bare "
              f"{raw_s:.2f} s; load average {os.getloadavg()}")
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entities", type=int, default=200_000)
    parser.add_argument("--database-url", default="", help="PostgreSQL server URL; default a temporary SQLite file")
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="zhjg-bench-campaigns-"))
    drop: Callable[[], None] = lambda: None  # noqa: E731
    print(f"bench/campaigns.py on {'PostgreSQL' if args.database_url else 'SQLite'}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()}")
    try:
        if args.database_url:
            url, drop = scratch_database(args.database_url, "campaigns")
        else:
            url = f"sqlite:///{instance}/campaigns.sqlite3"
        bench(url, instance, args.entities)
    finally:
        drop()
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
