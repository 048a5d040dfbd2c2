"""公平性监测 benchmark: --tasks tasks over three years with --objects drawn objects in all
(default 100,000 TaskObject rows) from a --entities-entity directory, and a team of 3 drawn
from --inspectors inspectors per task; then the /fairness queries (entity frequency first
page, inspector frequency with the outlier statistics, never drawn in 3 years first page).
It makes its own data (a temporary SQLite file, or a scratch database on the PostgreSQL server
named by --database-url) and prints figures, no assertions.

    .venv/bin/python bench/fairness.py
    .venv/bin/python bench/fairness.py --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.entities import scratch_database  # noqa: E402


def _time(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1 if len(samples) > 1 else 0]


def bench(url: str, args: argparse.Namespace) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from app import create_app
    from models import (
        CheckItem,
        Department,
        DirectoryMember,
        Inspector,
        MarketEntity,
        ObjectDirectory,
        Plan,
        Task,
        TaskObject,
        TeamMember,
        User,
        UserRole,
        db,
    )
    from models.org import DepartmentKind, DepartmentLevel
    from models.roles import Role
    from persistence.org import place_department
    from services import fairness

    app = create_app({"SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://"),
                      "SECRET_KEY": "bench"})
    rng = random.Random(7)
    with app.app_context(), app.test_request_context():
        upgrade()
        district = Department(name="测试区", level=DepartmentLevel.DISTRICT, kind=DepartmentKind.GOVERNMENT,
                              region_code="510108")
        db.session.add(district)
        db.session.flush()
        place_department(district, None)
        bureau = Department(name="测试区市场监督管理局", parent=district, level=DepartmentLevel.BUREAU,
                            kind=DepartmentKind.SUPERVISION, region_code="510108")
        db.session.add(bureau)
        db.session.flush()
        place_department(bureau, district)
        clerk = User(account="clerk", name="经办人", department=bureau, password_hash="x")
        clerk.roles = [UserRole(role=str(Role.CLERK))]
        db.session.add(clerk)
        item = CheckItem(department_id=bureau.id, domain="食品安全", name="餐饮", objects="餐饮", methods="实地核查",
                         inspecting_body="局", basis="法")
        db.session.add(item)
        db.session.flush()
        t0 = time.perf_counter()
        db.session.execute(insert(MarketEntity), [
            {"name": f"测试{n:07d}有限公司", "reg_no": f"510108{n:09d}", "entity_type": "enterprise", "division_code": "510108001000",
             "department_id": district.id, "status": "active"} for n in range(args.entities)
        ])
        entity_ids = list(db.session.execute(db.select(MarketEntity.id).order_by(MarketEntity.id)).scalars())
        directory = ObjectDirectory(item_id=item.id, department_id=bureau.id, name="名录")
        db.session.add(directory)
        db.session.flush()
        db.session.execute(insert(DirectoryMember), [
            {"directory_id": directory.id, "kind": "entity", "entity_id": e} for e in entity_ids
        ])
        db.session.execute(insert(Inspector), [
            {"department_id": bureau.id, "name": f"执法{n:04d}", "random_permission": True, "cert_no": f"Z{n}",
             "duty": "on", "active": True} for n in range(args.inspectors)
        ])
        inspector_ids = list(db.session.execute(db.select(Inspector.id)).scalars())
        plan = Plan(year=2026, name="计划", department_id=bureau.id)
        db.session.add(plan)
        db.session.flush()
        per_task = max(1, args.objects // args.tasks)
        years = (2024, 2025, 2026)
        db.session.execute(insert(Task), [
            {"plan_id": plan.id, "name": f"任务{n}", "department_id": bureau.id, "item_id": item.id,
             "start_date": date(years[n % 3], 1 + n % 12, 1), "end_date": date(years[n % 3], 1 + n % 12, 28),
             "status": "done"} for n in range(args.tasks)
        ])
        task_ids = list(db.session.execute(db.select(Task.id).order_by(Task.id)).scalars())
        objects, members = [], []
        for t in task_ids:
            for e in rng.sample(entity_ids, per_task):
                objects.append({"task_id": t, "key": f"entity:{e}", "entity_id": e, "grade": "-", "rank": 0,
                                "removed": False})
            for i in rng.sample(inspector_ids, 3):
                members.append({"task_id": t, "department_id": bureau.id, "inspector_id": i, "role": "member",
                                "source": "drawn", "active": True})
        for start in range(0, len(objects), 20_000):
            db.session.execute(insert(TaskObject), objects[start:start + 20_000])
        db.session.execute(insert(TeamMember), members)
        db.session.commit()
        if url.startswith("postgresql"):
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
        print(f"data: {args.entities:,} entities in the directory, {args.tasks:,} tasks, {len(objects):,} drawn "
              f"objects, {len(members):,} team rows, {args.inspectors:,} inspectors "
              f"({time.perf_counter() - t0:.1f} s to load)")
        for label, fn in (
            ("entity frequency, first page", lambda: fairness.entity_frequency(clerk, 1)),
            ("inspector frequency + outliers", lambda: fairness.inspector_frequency(clerk, 3, date(2026, 12, 31))),
            ("never drawn in 3 years, first page", lambda: fairness.never_drawn(clerk, 3, 1, date(2026, 12, 31))),
            ("never drawn in 3 years, page 50", lambda: fairness.never_drawn(clerk, 3, 50, date(2026, 12, 31))),
        ):
            p50, p95 = _time(fn, args.runs)
            print(f"{label}: p50 {p50:.0f} ms, p95 {p95:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entities", type=int, default=200_000)
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--tasks", type=int, default=1_000)
    parser.add_argument("--inspectors", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default="", help="PostgreSQL server URL; default a temporary SQLite file")
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="zhjg-bench-fairness-"))
    drop: Callable[[], None] = lambda: None  # noqa: E731
    print(f"bench/fairness.py on {'PostgreSQL' if args.database_url else 'SQLite'}, {os.cpu_count()} CPUs")
    try:
        if args.database_url:
            url, drop = scratch_database(args.database_url, "fairness")
        else:
            url = f"sqlite:///{instance}/fairness.sqlite3"
        bench(url, args)
    finally:
        drop()
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
