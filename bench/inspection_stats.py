"""抽查统计 benchmark: --tasks dispatched tasks (a fifth of them joint, reported by two
departments) with --objects drawn objects in all and about one inspection record per expected
result (default 100,000 objects, ~120,000 records in every status and result category); then
the statistics (by 填报部门, task and plan), the overdue list, ``flask deadlines remind`` and
the /statistics page itself.  Named inspection_stats.py, not statistics.py: a file
bench/statistics.py would shadow the standard library's ``statistics`` for every bench script.
It makes its own data (a temporary SQLite file, or a scratch database on the PostgreSQL server
named by --database-url) and prints figures, no assertions.

    .venv/bin/python bench/inspection_stats.py
    .venv/bin/python bench/inspection_stats.py --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.entities import scratch_database  # noqa: E402
from bench.fairness import _time  # noqa: E402

TODAY = date(2026, 11, 20)


def bench(url: str, args: argparse.Namespace) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from app import create_app
    from models import (
        CheckItem,
        Department,
        InspectionRecord,
        Inspector,
        Plan,
        Task,
        TaskDepartment,
        TaskObject,
        TeamMember,
        User,
        UserRole,
        db,
        utcnow,
    )
    from models.inspections import ResultCategory
    from models.org import DepartmentKind, DepartmentLevel
    from models.roles import Role
    from persistence.org import place_department
    from services import deadlines
    from services import statistics as stats

    app = create_app({"SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://"),
                      "SECRET_KEY": "bench", "PLANS_TODAY": TODAY, "WTF_CSRF_ENABLED": False})
    rng = random.Random(7)
    with app.app_context():
        upgrade()

        def dept(name: str, parent: Department | None, level: DepartmentLevel) -> Department:
            d = Department(name=name, parent=parent, level=level,
                           kind=DepartmentKind.GOVERNMENT if parent is None else DepartmentKind.SUPERVISION,
                           region_code="510108")
            db.session.add(d)
            db.session.flush()
            place_department(d, parent)
            return d

        district = dept("测试区", None, DepartmentLevel.DISTRICT)
        bureau = dept("测试区市场监督管理局", district, DepartmentLevel.BUREAU)
        stations = [dept(f"第{n}市场监管所", bureau, DepartmentLevel.STATION) for n in range(1, 9)]
        health = dept("测试区卫生健康局", district, DepartmentLevel.BUREAU)
        leader = User(account="leader", name="领导", department=district, password_hash="x",
                      password_changed_at=utcnow())
        leader.roles = [UserRole(role=str(Role.DEPT_LEADER))]
        db.session.add(leader)
        item = CheckItem(department_id=bureau.id, domain="食品安全", name="餐饮", objects="餐饮", methods="实地核查",
                         inspecting_body="局", basis="法")
        db.session.add(item)
        db.session.flush()
        t0 = time.perf_counter()
        plans = []
        for n in range(20):
            p = Plan(year=2025 + n % 2, name=f"计划{n:02d}", department_id=bureau.id)
            db.session.add(p)
            plans.append(p)
        db.session.flush()
        owners = [bureau, *stations]
        ends = [date(2025, 3, 1) + timedelta(days=7 * k) for k in range(90)]  # up to late 2026
        db.session.execute(insert(Task), [
            {"plan_id": plans[n % 20].id, "name": f"任务{n:05d}", "department_id": owners[n % len(owners)].id,
             "item_id": item.id, "start_date": ends[n % len(ends)] - timedelta(days=60),
             "end_date": ends[n % len(ends)], "status": "inspecting"} for n in range(args.tasks)
        ])
        tasks = list(db.session.execute(db.select(Task.id, Task.department_id).order_by(Task.id)))
        db.session.execute(insert(Inspector), [
            {"department_id": bureau.id, "name": f"执法{n:04d}", "random_permission": True, "cert_no": f"Z{n}",
             "duty": "on", "active": True} for n in range(200)
        ])
        inspector_ids = list(db.session.execute(db.select(Inspector.id)).scalars())
        per_task = max(1, args.objects // args.tasks)
        objects, members, task_departments, parts = [], [], [], {}
        for i, (task_id, owner) in enumerate(tasks):
            reporting = [owner] + ([health.id] if i % 5 == 0 else [])
            parts[task_id] = reporting
            for d in reporting:
                task_departments.append({"task_id": task_id, "department_id": d, "role": "participant",
                                         "inspectors": 1})
                members.append({"task_id": task_id, "department_id": d, "inspector_id": rng.choice(inspector_ids),
                                "role": "member", "source": "drawn", "active": True})
            for k in range(per_task):
                objects.append({"task_id": task_id, "key": f"entity:{i * per_task + k}", "entity_id": i * per_task + k,
                                "grade": "-", "rank": k, "removed": False})
        for start in range(0, len(objects), 20_000):
            db.session.execute(insert(TaskObject), objects[start:start + 20_000])
        db.session.execute(insert(TaskDepartment), task_departments)
        db.session.execute(insert(TeamMember), members)
        object_rows = list(db.session.execute(db.select(TaskObject.id, TaskObject.task_id)))
        statuses = ["draft", "submitted", "returned", "approved", "published", "published", "published"]
        results = list(ResultCategory)
        records, n = [], 0
        for obj_id, task_id in object_rows:
            for d in parts[task_id]:
                if rng.random() < 0.1:
                    continue  # not opened yet
                n += 1
                status = rng.choice(statuses)
                records.append({"record_no": f"2026-JC-{n:07d}", "task_id": task_id, "task_object_id": obj_id,
                                "department_id": d, "status": status, "method": "实地核查",
                                "result": rng.choice(results).value if status != "draft" else None,
                                "refused": False, "version": 1 if status == "published" else 0, "lock_version": 1})
        for start in range(0, len(records), 20_000):
            db.session.execute(insert(InspectionRecord), records[start:start + 20_000])
        db.session.commit()
        if url.startswith("postgresql"):
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
        print(f"data: {len(tasks):,} tasks in {len(plans)} plans, {len(objects):,} drawn objects, "
              f"{len(records):,} inspection records, {len(members):,} team rows "
              f"({time.perf_counter() - t0:.1f} s to load); today = {TODAY}")
        leader = db.session.get(User, leader.id)
        for label, fn in (
            ("statistics by 填报部门 (table + totals + categories)",
             lambda: stats.report(leader, stats.Filters("department"), TODAY)),
            ("statistics by task", lambda: stats.report(leader, stats.Filters("task"), TODAY)),
            ("statistics by plan, year 2026", lambda: stats.report(leader, stats.Filters("plan", year=2026), TODAY)),
            ("overdue list (task × department)",
             lambda: deadlines.due_rows(deadlines.bounds(TODAY), user=leader, overdue_only=True, limit=2000)),
        ):
            p50, p95 = _time(fn, args.runs)
            print(f"{label}: p50 {p50:.0f} ms, p95 {p95:.0f} ms")
        rep = stats.report(leader, stats.Filters("department"), TODAY)
        print(f"  totals: {rep.total.values()} (drawn, expected, inspected, published, overdue)")
        t1 = time.perf_counter()
        result = deadlines.remind(TODAY)
        db.session.commit()
        print(f"flask deadlines remind, first run: {result} in {(time.perf_counter() - t1) * 1000:.0f} ms")
        t1 = time.perf_counter()
        result = deadlines.remind(TODAY)
        db.session.commit()
        print(f"flask deadlines remind, same day again: {result} in {(time.perf_counter() - t1) * 1000:.0f} ms")

        client = app.test_client()
        from persistence import sessions

        sid = sessions.start(leader)
        db.session.commit()
        with client.session_transaction() as sess:
            sess["_user_id"] = leader.get_id()
            sess["sid"] = sid
            sess["_fresh"] = True
            sess["last_seen"] = time.time()
            sess["must_change_password"] = False
        for label, page in (("GET /statistics/", "/statistics/"), ("GET /statistics/?group=task", "/statistics/?group=task"),
                            ("GET /statistics/export.xlsx?group=task", "/statistics/export.xlsx?group=task"),
                            ("GET /statistics/overdue", "/statistics/overdue")):
            def get(page: str = page) -> None:
                resp = client.get(page)
                assert resp.status_code == 200, (page, resp.status_code)
            p50, p95 = _time(get, args.runs)
            print(f"{label}: p50 {p50:.0f} ms, p95 {p95:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--tasks", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default="", help="PostgreSQL server URL; default a temporary SQLite file")
    parser.add_argument("--keep", default="", help="keep the database: SQLite in this directory; PostgreSQL not dropped")
    args = parser.parse_args()
    instance = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="zhjg-bench-stats-"))
    instance.mkdir(parents=True, exist_ok=True)
    drop: Callable[[], None] = lambda: None  # noqa: E731
    print(f"bench/inspection_stats.py on {'PostgreSQL' if args.database_url else 'SQLite'}, {os.cpu_count()} CPUs")
    try:
        if args.database_url:
            url, drop = scratch_database(args.database_url, "stats")
            if args.keep:
                print(f"keeping {url}")
                drop = lambda: None  # noqa: E731
        else:
            url = f"sqlite:///{instance}/stats.sqlite3"
        bench(url, args)
    finally:
        drop()
        if not args.keep:
            shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
