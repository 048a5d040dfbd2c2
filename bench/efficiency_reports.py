"""灵活报表 benchmark: the 汇总 of a report filled by 300 units on three levels (docs/reports.md).

It makes its own data: a temporary SQLite database by default, or a scratch database it
creates, migrates, fills and drops on the PostgreSQL server named by --database-url.  A bureau
has --branch units below it, each of those --branch more, and so on for three levels (the
default 6 × 7 × 6 gives 6 + 42 + 252 = 300 units); a monthly report of --fields number cells
over --periods months is 分派 level by level through the service (each unit passes it to its
children: timed, as 分派), then every unit's filling of every period is written (bulk, not
timed: --fields × --periods values per unit).

Timed, each beside its bare baseline on the same data in the same run:
  the 汇总 of the bureau for one period — the total and the level below it
  (services.reports.summary.subtree_sums + level_sums: the 汇总 page) — the same page for every
  unit that has units below it, and the 汇总 of all 300 units at once, level by level
  (summary.rollup: one GROUP BY unit and cell, then each unit added to the units above it);
  vs plain SQL (SUM … GROUP BY field over the period's values, no tree) and plain Python
  (fetch the period's values and add them up in a dict);
  the 填报情况 of the bureau (period_stats) vs a bare GROUP BY period;
  the Excel 汇总 in the template's layout (export_summary: the sums and openpyxl).

    .venv/bin/python bench/efficiency_reports.py                 # 300 units, 50 cells, 12 months
    .venv/bin/python bench/efficiency_reports.py --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.entities import make_app, scratch_database  # noqa: E402

PLAIN_SQL = """SELECT v.field_id, SUM(v.number) FROM flex_report_value v
JOIN flex_report_submission s ON s.id = v.submission_id
WHERE s.report_id = :r AND s.period = :p AND s.status = 'submitted' GROUP BY v.field_id"""
PLAIN_ROWS = """SELECT v.field_id, v.number FROM flex_report_value v
JOIN flex_report_submission s ON s.id = v.submission_id
WHERE s.report_id = :r AND s.period = :p AND s.status = 'submitted'"""
PLAIN_STATS = """SELECT period, count(*), SUM(CASE WHEN status = 'submitted' THEN 1 ELSE 0 END)
FROM flex_report_submission WHERE report_id = :r GROUP BY period"""


def timed(fn: Any, runs: int = 3) -> tuple[float, Any]:
    """The median of ``runs`` runs, and the last result."""
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def make_tree(branch: list[int]) -> tuple[Any, list[list[Any]], dict[int, Any]]:
    """A bureau, its units on len(branch) levels, and a clerk in each (not timed)."""
    from models import Department, User, UserRole, db
    from models.org import DepartmentKind, DepartmentLevel
    from models.roles import Role
    from persistence.org import place_department

    def dept(name: str, parent: Any, level: DepartmentLevel) -> Any:
        d = Department(name=name, parent=parent, level=level, kind=DepartmentKind.SUPERVISION, region_code="510108")
        db.session.add(d)
        db.session.flush()
        place_department(d, parent)
        return d

    city = dept("压测市", None, DepartmentLevel.CITY)
    bureau = dept("压测区市场监督管理局", city, DepartmentLevel.BUREAU)
    levels, parents = [], [bureau]
    for depth, n in enumerate(branch, start=1):
        level = [dept(f"{p.name[:20]}-{depth}.{i}", p, DepartmentLevel.STATION) for p in parents for i in range(n)]
        levels.append(level)
        parents = level
    clerks = {}
    for d in [bureau, *[u for level in levels for u in level]]:
        user = User(account=f"bench_r{d.id}", name="压测经办人", department=d, password_hash="x",
                    must_change_password=False)
        user.roles = [UserRole(role=str(Role.CLERK))]
        db.session.add(user)
        clerks[d.id] = user
    db.session.commit()
    return bureau, levels, clerks


def fill_all(report: Any) -> int:
    """Every filling of every period reported, with a value in every cell (bulk, not timed)."""
    from sqlalchemy import update

    from models import db
    from models.reports import ReportSubmission, ReportValue
    from persistence.bulk import insert_rows

    ids = [i for (i,) in db.session.query(ReportSubmission.id).filter(ReportSubmission.report_id == report.id)]
    fields = [f.id for f in report.fields]
    rows = ([s, f, (s * 7 + f) % 100, ""] for s in ids for f in fields)
    written = insert_rows(ReportValue.__table__, ["submission_id", "field_id", "number", "text"], rows)
    db.session.execute(update(ReportSubmission).where(ReportSubmission.report_id == report.id)
                       .values(status="submitted", submitted_at=datetime(2025, 7, 3), late=False))
    db.session.commit()
    return written


def bench(url: str, instance: Path, branch: list[int], fields: int, periods: int) -> None:
    app = make_app(url, instance)
    with app.app_context():
        from sqlalchemy import text

        from models import db
        from services.reports import definitions, filling, summary

        bureau, levels, clerks = make_tree(branch)
        units = sum(len(level) for level in levels)
        months = f"2025-{periods:02d}-28" if periods <= 12 else "2025-12-31"
        report = definitions.create_report(clerks[bureau.id], {
            "name": "压测月报", "kind": "monthly", "starts_on": "2025-01-01", "ends_on": months, "due_workdays": "5",
            "fields": "\n".join(f"项目{i}" for i in range(fields))})
        db.session.commit()
        print(f"units: {units} on {len(levels)} levels ({' × '.join(map(str, branch))}), {fields} cells, "
              f"{periods} periods; load average {os.getloadavg()}")

        def assign_all() -> None:
            for parent in [bureau, *[u for level in levels[:-1] for u in level]]:
                children = [c.id for c in parent.children]
                filling.assign(clerks[parent.id], report, children)
            db.session.commit()

        t0 = time.perf_counter()
        assign_all()
        print(f"  分派 level by level (services.reports.filling.assign)  {time.perf_counter() - t0:8.2f} s")
        written = fill_all(report)
        print(f"  values written (bulk, not timed): {written:,}")
        period = f"2025-{min(periods, 12):02d}"  # the last month
        inner = [bureau, *[u for level in levels[:-1] for u in level]]

        def page() -> Any:
            db.session.expire_all()
            return summary.subtree_sums(report, period, bureau), summary.level_sums(report, period, bureau)

        def cascade() -> int:
            for unit in inner:
                summary.subtree_sums(report, period, unit)
                summary.level_sums(report, period, unit)
            return len(inner)

        seconds, (total, below) = timed(page)
        print(f"  汇总 of the bureau by two path queries (subtree_sums + level_sums) {seconds * 1000:9.1f} ms  "
              f"{len(total)} cells, {len(below)} units below")
        seconds, n = timed(cascade)
        print(f"  the same two queries for each of the {n} units with units below {seconds * 1000:8.1f} ms")
        seconds, every = timed(lambda: summary.rollup(report, period, bureau))
        print(f"  汇总 of every unit at once, level by level (rollup, the page) {seconds * 1000:7.1f} ms  "
              f"{len(every)} units (goal ≤ 5 s)")
        assert every[bureau.id] == total
        conn = db.session.connection()
        args = {"r": report.id, "p": period}
        seconds, plain = timed(lambda: conn.execute(text(PLAIN_SQL), args).all())
        print(f"  bare SQL SUM … GROUP BY field (no tree)        {seconds * 1000:9.1f} ms  {len(plain)} cells")

        def python_sums() -> dict[int, Any]:
            sums: dict[int, Any] = {}
            for field_id, number in conn.execute(text(PLAIN_ROWS), args):
                sums[field_id] = sums.get(field_id, 0) + number
            return sums

        seconds, bare = timed(python_sums)
        print(f"  bare Python (fetch the values, add in a dict)  {seconds * 1000:9.1f} ms  {len(bare)} cells")
        assert {k: float(v) for k, v in bare.items()} == {k: float(v) for k, v in total.items()}
        seconds, stats = timed(lambda: summary.period_stats(report, bureau))
        print(f"  填报情况 (period_stats)                         {seconds * 1000:9.1f} ms  {len(stats)} periods")
        seconds, _ = timed(lambda: conn.execute(text(PLAIN_STATS), {"r": report.id}).all())
        print(f"  bare GROUP BY period                           {seconds * 1000:9.1f} ms")
        seconds, data = timed(lambda: summary.export_summary(report, period, bureau))
        print(f"  Excel 汇总 in the template's layout             {seconds * 1000:9.1f} ms  {len(data):,} bytes")
        print(f"load average {os.getloadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--branch", default="6,7,6", help="units below each unit, level by level")
    parser.add_argument("--fields", type=int, default=50)
    parser.add_argument("--periods", type=int, default=12)
    parser.add_argument("--database-url", default="", help="PostgreSQL server URL; default a temporary SQLite file")
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="zhjg-bench-reports-"))
    drop = None
    try:
        if args.database_url:
            url, drop = scratch_database(args.database_url, "reports")
        else:
            url = f"sqlite:///{instance}/bench.sqlite3"
        print(f"database: {'PostgreSQL' if args.database_url else 'SQLite'}")
        bench(url, instance, [int(n) for n in args.branch.split(",")], args.fields, args.periods)
    finally:
        if drop is not None:
            drop()
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
