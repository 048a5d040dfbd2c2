"""日常监管 benchmark: the daily generation of cycle tasks and 我的待办 (docs/daily.md).

It makes its own data: a temporary SQLite database by default, or a scratch database it
creates, migrates, fills and drops on the PostgreSQL server named by --database-url.  The
registry gets --objects entities (bench/entities.py's generator, spread over ten districts);
each district's 市场监督管理局 supervises every entity of its district and has one 监管分类
holding all of them (bulk-written, not timed), so the generation writes --objects tasks.

Timed, each beside its bare baseline on the same data in the same run:
  ``flask daily generate``'s generation (services.daily.generate.generate: one INSERT … SELECT
  per category, committed) vs the bare INSERT … SELECT of the same rows through the DBAPI
  cursor; then the second run of the same day (nothing to insert);
  ``flask daily escalate`` over the --open tasks dispatched to one officer (all past their 截止时间),
  and its second run;
  我的待办 of an officer with --open open tasks and of the leader who sees them as 警示
  (services.daily.escalation.todo: the counts and the first 50 rows) vs the bare count and
  LIMIT 50 query.

    .venv/bin/python bench/daily.py                        # 100,000 objects, 10,000 open items
    .venv/bin/python bench/daily.py --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.directories import fill_registry  # noqa: E402
from bench.entities import make_app, make_org, scratch_database  # noqa: E402

ON = date(2026, 9, 28)
BARE = """INSERT INTO daily_task (department_id, origin, title, entity_id, object_id, category_id, level, area, items,
  requirements, source_ref, period_start, period_end, status, officer_id, return_reason, remind_on, warn_on, due_on,
  escalation, result_note, created_at, lock_version)
SELECT o.department_id, 'cycle', 't', o.entity_id, o.id, m.category_id, '', '', '', '', '', :start, :end,
  CASE WHEN o.officer_id IS NULL THEN 'unassigned' ELSE 'assigned' END, o.officer_id, '', :start, :start, :start, 0, '',
  :now, 1
FROM category_member m JOIN supervised_object o ON o.id = m.object_id
WHERE m.category_id = :category AND o.active"""


def timed(fn: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def setup(objects: int) -> dict[str, Any]:
    """Objects, categories and two users (not timed)."""
    from models import Department, MarketEntity, User, UserRole, db
    from models.daily import CategoryKind, CategoryMember, SupervisedObject, SupervisionCategory
    from models.roles import Role
    from persistence.bulk import insert_rows

    org = make_org()
    fill_registry(objects)
    bureaus = db.session.query(Department).filter(Department.name.like("%区市场监督管理局")).all()
    home = db.session.get(User, org["district_clerk"]).department
    users = {}
    for role in (Role.INSPECTOR, Role.DEPT_LEADER):
        user = User(account=f"bench_{role}", name=f"压测{role.label}", department=home, password_hash="x",
                    must_change_password=False)
        user.roles = [UserRole(role=str(role))]
        db.session.add(user)
        users[role] = user
    db.session.flush()
    now = datetime.now()
    for bureau in bureaus:
        district = bureau.parent_id
        ids = [i for (i,) in db.session.query(MarketEntity.id).filter(MarketEntity.department_id == district)]
        insert_rows(SupervisedObject.__table__, ["department_id", "entity_id", "source", "since", "active",
                                                 "pending_removal", "removal_reason", "created_at"],
                    [[bureau.id, i, "claim", ON, True, "", "", now] for i in ids])
        cat = SupervisionCategory(department_id=bureau.id, name="餐饮服务重点行业", kind=CategoryKind.INDUSTRY,
                                  cycle_days=30, lead_days=3, starts_on=date(2026, 9, 30), remind_days=1, warn_days=2,
                                  due_days=3, form=[])
        db.session.add(cat)
        db.session.flush()
        object_ids = [i for (i,) in db.session.query(SupervisedObject.id).filter(
            SupervisedObject.department_id == bureau.id)]
        insert_rows(CategoryMember.__table__, ["category_id", "object_id", "manual", "created_at"],
                    [[cat.id, i, False, now] for i in object_ids])
    db.session.commit()
    return {"officer": users[Role.INSPECTOR], "leader": users[Role.DEPT_LEADER], "home": home}


def bench(url: str, instance: Path, objects: int, open_items: int) -> None:
    app = make_app(url, instance)
    with app.app_context():
        from sqlalchemy import text

        from models import db
        from models.daily import DailyTask, SupervisionCategory
        from services.daily import escalation, generate

        ctx = setup(objects)
        print(f"supervised objects: {objects:,}; load average {os.getloadavg()}")
        seconds, result = timed(lambda: (generate.generate(db.session, ON), db.session.commit())[0])
        print(f"  generate (services.daily.generate)        {seconds:8.2f} s  {result.cycle:,} tasks")
        seconds2, again = timed(lambda: (generate.generate(db.session, ON), db.session.commit())[0])
        print(f"  generate again, same day                  {seconds2:8.2f} s  {again.cycle:,} tasks")
        db.session.execute(text("DELETE FROM daily_task"))
        db.session.commit()
        categories = [c for (c,) in db.session.query(SupervisionCategory.id)]
        params = {"start": date(2026, 9, 30), "end": date(2026, 10, 29), "now": datetime.now()}

        def bare() -> int:
            conn = db.session.connection()
            total = sum(conn.execute(text(BARE), {**params, "category": c}).rowcount for c in categories)
            db.session.commit()
            return total

        bare_seconds, rows = timed(bare)
        print(f"  bare INSERT ... SELECT                    {bare_seconds:8.2f} s  {rows:,} rows")
        db.session.execute(text("DELETE FROM daily_task"))
        db.session.commit()
        generate.generate(db.session, ON)
        db.session.commit()
        home, officer, leader = ctx["home"], ctx["officer"], ctx["leader"]
        ids = [i for (i,) in db.session.query(DailyTask.id).filter(DailyTask.department_id == home.id)
               .order_by(DailyTask.id).limit(open_items)]
        db.session.query(DailyTask).filter(DailyTask.id.in_(ids)).update(
            {"officer_id": officer.id, "status": "claimed"}, synchronize_session=False)
        db.session.commit()
        seconds, raised = timed(lambda: (escalation.escalate(db.session, date(2026, 11, 2)), db.session.commit())[0])
        print(f"  escalate (the open ones, past 截止)       {seconds:8.2f} s  {raised.summary()}")
        seconds, raised = timed(lambda: (escalation.escalate(db.session, date(2026, 11, 2)), db.session.commit())[0])
        print(f"  escalate again, same day                  {seconds:8.2f} s  {raised.summary()}")
        print(f"我的待办: {len(ids):,} open items of one officer; load average {os.getloadavg()}")
        for label, user in (("officer", officer), ("leader (警示)", leader)):
            runs = []
            for _ in range(5):
                db.session.expire_all()
                runs.append(timed(lambda u=user: escalation.todo(u))[0])
            todo = escalation.todo(user)
            print(f"  todo({label:<14})  median {statistics.median(runs) * 1000:8.1f} ms  "
                  f"mine {todo.mine_count:,} warnings {todo.warnings_count:,}")
        bare_q = text("SELECT count(*) FROM daily_task WHERE officer_id = :o AND status IN ('assigned', 'claimed')")
        page_q = text("SELECT * FROM daily_task WHERE officer_id = :o AND status IN ('assigned', 'claimed') "
                      "ORDER BY escalation DESC, due_on, id LIMIT 50")

        def bare_todo() -> None:
            conn = db.session.connection()
            conn.execute(bare_q, {"o": officer.id}).scalar()
            conn.execute(page_q, {"o": officer.id}).fetchall()

        runs = [timed(bare_todo)[0] for _ in range(5)]
        print(f"  bare count + LIMIT 50                    median {statistics.median(runs) * 1000:8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--database-url", default="", help="PostgreSQL server URL; default a temporary SQLite file")
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="zhjg-bench-daily-"))
    drop = None
    try:
        if args.database_url:
            url, drop = scratch_database(args.database_url, "daily")
        else:
            url = f"sqlite:///{instance}/bench.sqlite3"
        print(f"database: {'PostgreSQL' if args.database_url else 'SQLite'}")
        bench(url, instance, args.objects, args.open)
    finally:
        if drop is not None:
            drop()
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
