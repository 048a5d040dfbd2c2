"""Work-ledger benchmark: a ledger of 1,000 rows from 12 member units, aggregated and printed
as one A3 PDF (target: under 20 s), and the Excel export of the same.

It makes its own data: a temporary SQLite database by default, or a scratch database it
creates, migrates, fills and drops on the PostgreSQL server named by --database-url (never the
named database itself).  A district with a 联席会议办公室 and 12 member units, each with a
liaison; a conference plan with one 专项任务 for all 12, issued (12 表32 instances); every unit
signs (password re-checked) and imports its share of the rows from an A.6 file (checked as the
upload page checks it), then reports.  It prints figures, no assertions.

    .venv/bin/python bench/ledgers.py
    .venv/bin/python bench/ledgers.py --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.entities import make_app, scratch_database  # noqa: E402
from infrastructure.clock import china_today  # noqa: E402

PASSWORD = "Bench!2026pass"
UNITS = ("卫生健康局", "应急管理局", "生态环境局", "文化广电旅游局", "消防救援大队", "发展和改革局", "商务局",
         "公安分局", "住房和城乡建设局", "交通运输局", "农业农村局", "市场监督管理局")


def clock(label: str, fn: Callable[[], Any]) -> Any:
    """Wall time and this process's CPU time (the machine may be shared: CPU time is what the
    work costs, wall time what a user waited)."""
    t0, c0 = time.perf_counter(), time.process_time()
    result = fn()
    print(f"    {label:<52}{(time.perf_counter() - t0) * 1000:>10.1f} ms wall {(time.process_time() - c0) * 1000:>9.1f} ms CPU")
    return result


def make_data(rows: int) -> tuple[int, list[tuple[int, bytes]]]:
    """The org, the conference, an issued plan; per liaison the A.6 file of its share of rows."""
    from openpyxl import Workbook

    from infrastructure.excel import workbook_bytes
    from infrastructure.passwords import hash_password
    from models import Department, User, UserRole, db
    from models.conference import Conference, ConferenceMember
    from models.org import DepartmentKind, DepartmentLevel
    from models.roles import Role
    from persistence.org import place_department
    from services import conference_plans, ledgers

    def dept(name: str, parent: Any, level: DepartmentLevel, kind: DepartmentKind) -> Any:
        d = Department(name=name, parent=parent, level=level, kind=kind, region_code="510108")
        db.session.add(d)
        db.session.flush()
        place_department(d, parent)
        return d

    def user(account: str, name: str, department: Any, role: Role, hashed: str) -> Any:
        u = User(account=account, name=name, department=department, password_hash=hashed, must_change_password=False,
                 mobile=f"1388000{len(account):04d}")
        u.roles = [UserRole(role=str(role))]
        db.session.add(u)
        return u

    hashed = hash_password(PASSWORD)
    city = dept("成都市", None, DepartmentLevel.CITY, DepartmentKind.GOVERNMENT)
    district = dept("成华区", city, DepartmentLevel.DISTRICT, DepartmentKind.GOVERNMENT)
    office_dept = dept("成华区联席会议办公室", district, DepartmentLevel.BUREAU, DepartmentKind.CONFERENCE_OFFICE)
    office = user("bench_office", "压测联席办", office_dept, Role.CONFERENCE_OFFICE, hashed)
    units = [dept("成华区" + n, district, DepartmentLevel.BUREAU, DepartmentKind.SUPERVISION) for n in UNITS]
    liaisons = [user(f"bench_liaison{i}", f"联络员{i}", d, Role.MEMBER_LIAISON, hashed) for i, d in enumerate(units)]
    db.session.flush()
    conference = Conference(name="打击传销与无证无照经营联席会议", office_id=office_dept.id)
    conference.members = [ConferenceMember(department_id=d.id, liaison_id=u.id, sort_order=i)
                          for i, (d, u) in enumerate(zip(units, liaisons, strict=True))]
    db.session.add(conference)
    db.session.commit()
    plan = conference_plans.create_plan(office, conference, {"title": "2026年无证无照经营综合治理计划", "year": "2026"})
    conference_plans.add_task(office, plan, {"title": "无证无照经营专项排查", "special": "1",
                                             "ledger_type": "无证无照线索台账",
                                             "due_date": (china_today() + timedelta(days=30)).isoformat()},
                              [d.id for d in units], lock_version=None)
    conference_plans.issue(office, plan, lock_version=None)
    db.session.commit()
    files = []
    today = china_today()
    for i, liaison in enumerate(liaisons):
        share = rows // len(liaisons) + (1 if i < rows % len(liaisons) else 0)
        wb = Workbook()
        ws = wb.active
        ws.title = ledgers.A6.sheet
        ws.append(list(ledgers.COLUMNS))
        for n in range(share):
            ws.append([f"{UNITS[i][:2]}经营者{n:04d}号便利店", f"成华区建设路{n + 1}号附{i}号", "食品销售、日用百货",
                       f"028-8{i:02d}{n:05d}"[:12], "无证" if n % 3 else "证照不全", "是" if n % 2 else "否",
                       "是" if n % 4 == 0 else "否", "否", "是" if n % 10 == 0 else "否", "否",
                       "是" if n % 25 == 0 else "否", round((n % 7) * 0.35, 2) if n % 5 == 0 else None,
                       today - timedelta(days=n % 60)])
        files.append((liaison.id, workbook_bytes(wb)))
    return plan.id, files


def bench(url: str, instance: Path, rows: int) -> None:
    from models import ConferencePlan, User, db
    from services import conference_plans, ledger_export, ledgers
    from services.imports import framework
    from services.imports import ledgers as ledger_kind

    app = make_app(url, instance)
    with app.app_context(), app.test_request_context():
        t0 = time.perf_counter()
        plan_id, files = make_data(rows)
        print(f"generated the org, 12 member units, an issued plan and 12 A.6 files in "
              f"{time.perf_counter() - t0:.1f} s (not timed below)")
        plan = db.session.get(ConferencePlan, plan_id)
        task = plan.tasks[0]
        print("each unit: sign (password), import its A.6 file (check + store + confirm), report:")
        t0 = time.perf_counter()
        for liaison_id, data in files:
            liaison = db.session.get(User, liaison_id)
            conference_plans.sign(liaison, plan, PASSWORD, version=1)
            batch, check = framework.upload(ledger_kind.KIND, liaison, "台账.xlsx", data, {"task_id": task.id})
            assert not check.invalid_rows, check.errors.messages()[:3]
            framework.confirm(ledger_kind.KIND, liaison, batch, valid_only=False)
            conference_plans.report_ledger(liaison, ledgers.ledger_for(task, liaison.department_id), version=None)
            db.session.commit()
        print(f"    12 units × (sign + import + report + commit): {time.perf_counter() - t0:.2f} s wall")
        db.session.expunge_all()

        print(f"the office, {rows:,} rows from 12 units:")
        t0, c0 = time.perf_counter(), time.process_time()
        plan = db.session.get(ConferencePlan, plan_id)
        matrix = clock("matrix (units × tasks)", lambda: conference_plans.matrix(plan))
        agg = clock("aggregate (reported ledgers, subtotals, totals)",
                    lambda: ledgers.aggregate(plan.tasks, title=plan.title))
        data = clock("A3 PDF (WeasyPrint, header repeated, totals)", lambda: ledger_export.pdf_bytes(agg, plan.title))
        total, cpu = time.perf_counter() - t0, time.process_time() - c0
        path = instance / "ledgers.pdf"
        path.write_bytes(data)
        pages = "?"
        if shutil.which("pdfinfo"):
            info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
            pages = next((ln.split()[-1] for ln in info.splitlines() if ln.startswith("Pages")), "?")
        print(f"    -> {agg.row_count:,} rows, {len(matrix)} units, fines {ledgers.amount(agg.totals.fine)} 万元; "
              f"PDF {len(data) / 1e6:.1f} MB, {pages} A3 pages")
        print(f"    aggregated and printed as one A3 PDF: {total:.2f} s wall, {cpu:.2f} s CPU (target under 20 s; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
        db.session.expunge_all()
        plan = db.session.get(ConferencePlan, plan_id)
        t0 = time.perf_counter()
        agg = ledgers.aggregate(plan.tasks, title=plan.title)
        xlsx = clock("Excel (openpyxl, styled, totals row)", lambda: ledger_export.xlsx(agg, plan.title))
        print(f"    -> {len(xlsx) / 1e3:.0f} kB; aggregate + Excel {time.perf_counter() - t0:.2f} s")
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000)
    parser.add_argument("--database-url", default="", help="PostgreSQL server URL; default a temporary SQLite file")
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="zhjg-bench-ledgers-"))
    drop: Callable[[], None] = lambda: None  # noqa: E731
    print(f"bench/ledgers.py on {'PostgreSQL' if args.database_url else 'SQLite'}, {os.cpu_count()} CPUs")
    try:
        if args.database_url:
            url, drop = scratch_database(args.database_url, "ledgers")
        else:
            url = f"sqlite:///{instance}/ledgers.sqlite3"
        bench(url, instance, args.rows)
    finally:
        drop()
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
