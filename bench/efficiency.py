"""效能管理 benchmark (docs/efficiency.md): the figures of /efficiency over --items work items.

It makes its own data: a temporary SQLite database by default, or a scratch database it
creates, migrates, fills and drops on the PostgreSQL server named by --database-url.  The city
and its ten districts of bench/entities.py; --items work items (one instance per four) spread
over the ten 市场监督管理局 and every process of the registry, created over the last two years,
90 % completed (1 to 400 hours later), 8 % open, 2 % cancelled (bulk-written, not timed); one
效能规则 (5 working days) of the city.  The user is a 效能监察 of the city, who sees all of it.

Each measure is a function ``measure_<name>(ctx) -> Figure`` listed in ``MEASURES``: it times the
platform's call (the service the page calls) and, on the same data in the same run, the bare
SQL that returns the same figures; other chapters (灵活报表, 考核) add their own functions.

    .venv/bin/python bench/efficiency.py                          # 1,000,000 work items (SQLite)
    .venv/bin/python bench/efficiency.py --items 100000 --runs 3
    .venv/bin/python bench/efficiency.py --database-url postgresql://postgres@127.0.0.1:5432/test

After its own measures it runs the other two goals of issue 21 on the same database kind, each a
script of its own that makes its own data: 灵活报表's 汇总 across 300 units on 3 levels
(bench/efficiency_reports.py) and the yearly scorecard of 60 departments
(bench/efficiency_scorecard.py); ``--only overview`` skips them.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.entities import make_app, make_org, scratch_database  # noqa: E402
from bench.risk_pages import pct, timed  # noqa: E402

GOAL_MS = 1000.0  # issue 21: the 效能 overview over 1,000,000 work items ≤ 1 s


@dataclass
class Figure:
    label: str
    platform_ms: list[float]
    bare_ms: list[float]
    note: str = ""


# ------------------------------------------------------------------ data (not timed)


def fill(items: int, seed: int = 21) -> dict[str, Any]:
    """Instances and work items of the ten district bureaus; a 效能监察 of the city; one rule."""
    from models import Department, EfficiencyRule, ProcessInstance, User, UserRole, WorkItem, db
    from models.org import DepartmentLevel
    from models.roles import Role
    from persistence.bulk import insert_rows
    from workflows.registry import PROCESSES

    ids = make_org()
    clerk = db.session.get(User, ids["city_clerk"])
    city = db.session.query(Department).filter(Department.level == DepartmentLevel.CITY).one()
    monitor = User(account="bench_efficiency", name="压测效能监察", department=clerk.department, password_hash="x",
                   must_change_password=False)
    monitor.roles = [UserRole(role=str(Role.EFFICIENCY))]
    db.session.add(monitor)
    db.session.add(EfficiencyRule(department_id=city.id, name="环节办理超过5个工作日", working_days=5))
    db.session.flush()
    bureaus = [d.id for d in db.session.query(Department).filter(Department.name.like("%区市场监督管理局"))]
    tables = list(PROCESSES)
    rnd = random.Random(seed)
    now = datetime.utcnow().replace(microsecond=0)
    instances = (items + 3) // 4
    first_id = (db.session.query(db.func.max(ProcessInstance.id)).scalar() or 0) + 1
    inst_rows, item_rows = [], []
    for n in range(instances):
        department, table = rnd.choice(bureaus), rnd.choice(tables)
        created = now - timedelta(minutes=rnd.randrange(730 * 24 * 60))
        inst_rows.append((first_id + n, table, f"压测事项{n}", "active", "", 1, department, "", created, created))
        for _ in range(min(4, items - 4 * n)):
            roll = rnd.random()
            done = created + timedelta(hours=rnd.randrange(1, 400)) if roll < 0.90 else None
            status = "done" if done else ("open" if roll < 0.98 else "cancelled")
            item_rows.append((first_id + n, table, "step", department, "", status, "", created, done,
                              clerk.id if done else None, 1))
            created = done or created
    insert_rows(ProcessInstance.__table__, ["id", "process_table", "title", "status", "current_step", "version",
                                            "department_id", "subject_type", "created_at", "updated_at"], inst_rows)
    insert_rows(WorkItem.__table__, ["instance_id", "process_table", "step_key", "department_id", "lane", "status",
                                     "outcome", "created_at", "done_at", "done_by_id", "version"], item_rows)
    db.session.commit()
    return {"user": monitor.id, "items": len(item_rows)}


# ------------------------------------------------------------------ the measures


def _bare(sql: str, params: dict[str, Any]) -> Callable[[], Any]:
    from sqlalchemy import text

    from models import db

    return lambda: db.session.execute(text(sql), params).all()


def _period_params() -> dict[str, Any]:
    from services.efficiency.periods import custom_period, standard_periods

    periods = [*standard_periods(), custom_period({})]
    params: dict[str, Any] = {"earliest": min(p.start for p in periods)}
    for i, p in enumerate(periods):
        params[f"s{i}"], params[f"e{i}"] = p.start, p.end
    return params


def measure_overview(ctx: dict[str, Any]) -> Figure:
    """业务办理总览 by department: 4 periods, 在办, 超期, trend and distribution (the page's service)
    vs the bare GROUP BYs of the 4 periods and of the open items."""
    from services.efficiency import overview
    from services.efficiency.periods import custom_period

    sums = ", ".join(f"SUM(CASE WHEN done_at >= :s{i} AND done_at < :e{i} THEN 1 ELSE 0 END)" for i in range(4))
    periods = _bare(f"SELECT department_id, {sums} FROM work_item WHERE done_at >= :earliest GROUP BY department_id",
                    _period_params())
    opened = _bare("SELECT department_id, count(*) FROM work_item WHERE status = 'open' GROUP BY department_id", {})
    platform, _ = timed(lambda: overview.overview(ctx["user"], "department", custom_period({})), ctx["runs"])
    bare, _ = timed(lambda: (periods(), opened()), ctx["runs"])
    return Figure("业务办理总览 (by department)", platform, bare)


def measure_overview_process(ctx: dict[str, Any]) -> Figure:
    from services.efficiency import overview
    from services.efficiency.periods import custom_period

    sums = ", ".join(f"SUM(CASE WHEN done_at >= :s{i} AND done_at < :e{i} THEN 1 ELSE 0 END)" for i in range(4))
    periods = _bare(f"SELECT process_table, {sums} FROM work_item WHERE done_at >= :earliest GROUP BY process_table",
                    _period_params())
    opened = _bare("SELECT process_table, count(*) FROM work_item WHERE status = 'open' GROUP BY process_table", {})
    platform, _ = timed(lambda: overview.overview(ctx["user"], "process", custom_period({})), ctx["runs"])
    bare, _ = timed(lambda: (periods(), opened()), ctx["runs"])
    return Figure("业务功能分类总览 (by process)", platform, bare)


def measure_overdue(ctx: dict[str, Any]) -> Figure:
    """超期业务统计 (department × process) vs the bare GROUP BY with the rule's cutoff."""
    from services.efficiency import overdue, rules

    cutoff = rules.cutoffs(ctx["user"])[0].before
    bare_q = _bare("SELECT department_id, process_table, count(*), min(created_at) FROM work_item "
                   "WHERE status = 'open' AND created_at < :cutoff GROUP BY department_id, process_table",
                   {"cutoff": cutoff})
    platform, _ = timed(lambda: overdue.by_department_and_process(ctx["user"]), ctx["runs"])
    bare, _ = timed(bare_q, ctx["runs"])
    return Figure("超期业务统计", platform, bare)


def measure_workload(ctx: dict[str, Any]) -> Figure:
    """业务工作量 by department over the last year vs the bare GROUP BY (counts only, no duration)."""
    from services.efficiency import workload
    from services.efficiency.periods import custom_period

    period = custom_period({"from": (datetime.utcnow() - timedelta(days=364)).date().isoformat()})
    bare_q = _bare("SELECT department_id, count(*), SUM(CASE WHEN done_at IS NOT NULL THEN 1 ELSE 0 END), "
                   "SUM(CASE WHEN status = 'open' THEN 1 ELSE 0 END) FROM work_item "
                   "WHERE created_at >= :s AND created_at < :e AND status != 'cancelled' GROUP BY department_id",
                   {"s": period.start, "e": period.end})
    platform, _ = timed(lambda: workload.workload(ctx["user"], "department", period), ctx["runs"])
    bare, _ = timed(bare_q, ctx["runs"])
    return Figure("业务工作量 (by department, one year)", platform, bare)


def measure_items(ctx: dict[str, Any]) -> Figure:
    """The list behind a figure: 超期 items, count and the newest 200."""
    from services.efficiency import work

    filters = work.parse_filters({"state": "open"})
    bare_q = _bare("SELECT count(*) FROM work_item WHERE status = 'open'", {})
    bare_rows = _bare("SELECT * FROM work_item WHERE status = 'open' ORDER BY created_at DESC, id DESC LIMIT 200", {})
    platform, _ = timed(lambda: work.listing(ctx["user"], filters), ctx["runs"])
    bare, _ = timed(lambda: (bare_q(), bare_rows()), ctx["runs"])
    return Figure("业务清单 (办理中, 200 rows)", platform, bare)


MEASURES: list[Callable[[dict[str, Any]], Figure]] = [
    measure_overview, measure_overview_process, measure_overdue, measure_workload, measure_items,
]


# ------------------------------------------------------------------ the run


def analyse() -> None:
    from sqlalchemy import text

    from models import db

    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def bench(url: str, instance: Path, items: int, runs: int) -> None:
    from models import User, db

    app = make_app(url, instance)
    with app.app_context():
        made = fill(items)
        analyse()
        ctx = {"user": db.session.get(User, made["user"]), "runs": runs}
        print(f"{made['items']:,} work items; {runs} runs each; milliseconds")
        print(f"{'measure':38} {'p50':>8} {'p95':>8} {'bare p50':>9} {'bare p95':>9}")
        for measure in MEASURES:
            fig = measure(ctx)
            db.session.rollback()
            goal = " (goal ≤ 1000)" if measure is measure_overview else ""
            print(f"{fig.label:38} {pct(fig.platform_ms, 50):8.1f} {pct(fig.platform_ms, 95):8.1f} "
                  f"{pct(fig.bare_ms, 50):9.1f} {pct(fig.bare_ms, 95):9.1f}{goal}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default="", help="PostgreSQL server URL; default a temporary SQLite file")
    parser.add_argument("--only", choices=("overview", "all"), default="all")
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="zhjg-bench-efficiency-"))
    drop = None
    print(f"bench/efficiency.py on {'PostgreSQL' if args.database_url else 'SQLite'}, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.2f}")
    try:
        if args.database_url:
            url, drop = scratch_database(args.database_url, "efficiency")
        else:
            url = f"sqlite:///{instance}/efficiency.sqlite3"
        bench(url, instance, args.items, args.runs)
    finally:
        if drop:
            drop()
        shutil.rmtree(instance, ignore_errors=True)
    if args.only == "all":
        import subprocess
        import sys

        here = Path(__file__).resolve().parent
        extra = ["--database-url", args.database_url] if args.database_url else []
        for script in ("efficiency_reports.py", "efficiency_scorecard.py"):
            print(f"\n== bench/{script}", flush=True)
            subprocess.run([sys.executable, str(here / script), *extra], check=True)


if __name__ == "__main__":
    main()
