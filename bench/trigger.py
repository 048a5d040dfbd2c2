"""触发式双随机监管 benchmark (docs/trigger.md): the weighted draw and the library build.

1. The draw: --objects members (keys entity:1 …, grades A–E and ungraded at seed 002's usual
   shares), about a fifth of them with a trigger weight of 3, 5 or 7 and the rest 1, drawn
   at 5 % per grade.  Timed, in the same run and on the same population: the weighted draw as
   the platform does it for an extracted task (services/trigger/draws.run_weighted: rank with
   Efraimidis–Spirakis keys, pack the population, seal the commitments) beside the unweighted
   draw of the very same members as the platform draws a directory (services.draw.run_sorted
   and seal_sorted).  The goal is a ratio within 1.5×.
2. The library: --entities entities (bench/entities.py's generator) in a temporary SQLite
   database, or a scratch database created, filled and dropped on the PostgreSQL server named by
   --database-url; 风险库 warnings (lawsuits 8 %, abnormal_list 5 %) and complaints (3 % of the
   entities with three complaints in the last 30 days), bulk-written (not timed); three trigger
   rules of 成华区's bureau.  Timed: services.trigger.library.build, first into an empty library
   and again (nothing changes), committed, beside the bare SQL of the same rules (the union of
   their SELECTs grouped by entity, 1 + Σ weights, fetched through the DBAPI cursor).

It prints figures and the load average, no assertions.

    .venv/bin/python bench/trigger.py                          # 100,000 objects, 100,000 entities
    .venv/bin/python bench/trigger.py --objects 1000000 --entities 1000000
    .venv/bin/python bench/trigger.py --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.directories import fill_registry  # noqa: E402
from bench.entities import HOME, make_app, make_org, scratch_database  # noqa: E402

GRADES = (("A", 30), ("B", 30), ("C", 20), ("D", 8), ("E", 2), ("-", 10))


def _population(n: int) -> list[tuple[str, str, float]]:
    rng = random.Random(7)
    strata = [g for g, share in GRADES for _ in range(share)]
    out = []
    for i in range(1, n + 1):
        weight = float(rng.choice((3, 5, 7))) if rng.random() < 0.2 else 1.0
        out.append((f"entity:{i}", rng.choice(strata), weight))
    return out


def bench_draw(n: int, runs: int) -> None:
    from services import draw as draw_service
    from services.trigger.draws import run_weighted

    members = _population(n)
    counts: dict[str, int] = {}
    for _k, s, _w in members:
        counts[s] = counts.get(s, 0) + 1
    quotas = {s: draw_service.quota(c, draw_service.Decimal(5)) for s, c in counts.items()}
    seed = "ab" * 32
    weighted, plain = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        run_weighted(list(members), quotas, domain="object", seed=seed)
        weighted.append(time.perf_counter() - t0)
        lines = [f"{k}\t{s}" for k, s, _w in members]
        t0 = time.perf_counter()
        drawn = draw_service.run_sorted(draw_service.SortedPopulation.from_lines(lines), quotas, domain="object",
                                        seed=seed)
        draw_service.seal_sorted(drawn)
        plain.append(time.perf_counter() - t0)
    w, p = min(weighted), min(plain)
    print(f"draw of {n:,} objects ({sum(quotas.values()):,} drawn), best of {runs}:")
    print(f"  weighted (trigger)   {w:8.3f} s")
    print(f"  unweighted (same)    {p:8.3f} s")
    print(f"  ratio                {w / p:8.2f}×   (goal ≤ 1.5×)")


def _fill_risk(entities: int, org: dict[str, Any]) -> None:
    from sqlalchemy import select

    from models import Complaint, RiskRule, RiskWarning, db
    from persistence.bulk import insert_rows

    rng = random.Random(11)
    rule_ids = dict(db.session.execute(select(RiskRule.code, RiskRule.id)).all())
    now = datetime.now()
    rows = []
    for code, share in (("lawsuits", 0.08), ("abnormal_list", 0.05)):
        for entity in rng.sample(range(1, entities + 1), int(entities * share)):
            rows.append((entity, rule_ids[code], None, "open", now, now, [], ""))
    insert_rows(RiskWarning.__table__, ("entity_id", "rule_id", "department_id", "status", "first_seen_at",
                                        "last_seen_at", "evidence", "reason"), rows)
    home = _home()
    today = date.today()
    complaints = []
    for entity in rng.sample(range(1, entities + 1), int(entities * 0.03)):
        for j in range(3):
            complaints.append((entity, home, "在线填报", now, True, today - timedelta(days=j * 5), "", "投诉", ""))
    insert_rows(Complaint.__table__, ("entity_id", "source_department_id", "source_kind", "received_at", "current",
                                      "received_on", "channel", "subject", "outcome"), complaints)
    db.session.commit()


def _home() -> int:
    from models import Department, db
    from models.org import DepartmentKind

    return db.session.query(Department.id).filter(Department.region_code == HOME,
                                                  Department.kind == DepartmentKind.SUPERVISION).scalar()


def _rules(org: dict[str, Any]) -> list[Any]:
    from models import TriggerRule, db

    home = _home()
    rules = [
        TriggerRule(department_id=home, name="涉诉", source="risk_rule", params={"codes": ["lawsuits"]}, weight=2,
                    valid_from=date(2020, 1, 1), active=True),
        TriggerRule(department_id=home, name="异常", source="risk_rule", params={"codes": ["abnormal_list"]},
                    weight=3, valid_from=date(2020, 1, 1), active=True),
        TriggerRule(department_id=home, name="投诉", source="complaints", params={"count": 2, "days": 30}, weight=4,
                    valid_from=date(2020, 1, 1), active=True),
    ]
    db.session.add_all(rules)
    db.session.commit()
    return rules


def _bare(rules: list[Any]) -> float:
    """The rules' SQL alone: one SELECT of entity, 1 + Σ weights, fetched through the cursor."""
    from sqlalchemy import func, literal, select, union_all

    from infrastructure import clock
    from models import db
    from services.trigger import sources
    from services.trigger.library import _area_entities

    parts = []
    for rule in rules:
        area = _area_entities(db.session, rule.department_id)
        found = sources.SOURCES[rule.source].query(sources.Context(rule.params, clock.china_today(), area)).subquery()
        parts.append(select(found.c.entity_id.label("entity_id"), literal(rule.weight).label("w")))
    hits = union_all(*parts).subquery()
    query = select(hits.c.entity_id, 1 + func.sum(hits.c.w)).group_by(hits.c.entity_id)
    connection = db.session.connection()
    compiled = query.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    args = [params[k] for k in compiled.positiontup] if compiled.positiontup is not None else params
    cursor = connection.connection.dbapi_connection.cursor()
    t0 = time.perf_counter()
    cursor.execute(str(compiled), args)
    n = len(cursor.fetchall())
    seconds = time.perf_counter() - t0
    cursor.close()
    db.session.rollback()
    print(f"  bare SQL             {seconds:8.3f} s   ({n:,} entities)")
    return seconds


def bench_library(url: str, instance: Path, entities: int) -> None:
    from models import db
    from services.trigger.library import build

    app = make_app(url, instance)
    with app.app_context():
        org = make_org()
        fill_registry(entities)
        _fill_risk(entities, org)
        rules = _rules(org)
        print(f"library of {entities:,} entities ({db.engine.dialect.name}):")
        bare = _bare(rules)
        for label in ("build (empty library)", "build again (no change)"):
            t0 = time.perf_counter()
            result = build(db.session)
            db.session.commit()
            seconds = time.perf_counter() - t0
            print(f"  {label:<20} {seconds:8.3f} s   {seconds / bare:5.1f}× bare; {result.summary()}")
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--skip-library", action="store_true")
    args = parser.parse_args()
    print("load average", os.getloadavg())
    bench_draw(args.objects, args.runs)
    if not args.skip_library:
        instance = Path(tempfile.mkdtemp(prefix="zhjg-trigger-"))
        drop = None
        try:
            if args.database_url:
                url, drop = scratch_database(args.database_url, "trigger")
            else:
                url = f"sqlite:///{instance}/bench.sqlite3"
            bench_library(url, instance, args.entities)
        finally:
            if drop:
                drop()
            shutil.rmtree(instance, ignore_errors=True)
    print("load average", os.getloadavg())


if __name__ == "__main__":
    main()
