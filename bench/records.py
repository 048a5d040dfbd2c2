"""Record-PDF benchmark: one 检查情况记录表 (A.3.1 and F.1) and a task of 200 records as one PDF.

It makes its own data: a temporary SQLite database by default, or a scratch database it
creates, migrates, fills and drops on the PostgreSQL server named by --database-url (never the
named database itself).  A joint task with --records records (half the objects × the two
departments), each with four A.3.1 lines, the entity's signature and three team members'
confirmations, names with rare characters (堃 喆 昇 𬌗).  It prints figures, no assertions.

Timed:
  one record PDF end to end (load, view-model, QR, HTML, WeasyPrint), cold (the font's first
  load), then rendered (cache emptied) and from the cache (median of --runs);
  the task's records as one PDF (services/task_records_pdf.py: one PDF per record on a pool of
  worker processes, merged) with the cache emptied, then again with everything cached (what a
  second download costs, in the request), then the bare baseline — WeasyPrint alone on the same
  records as one HTML document in one process — alternately, --runs times; the ratios of the medians.

    .venv/bin/python bench/records.py
    .venv/bin/python bench/records.py --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.entities import make_app, make_org, scratch_database  # noqa: E402

NAMES = ("王堃", "李喆", "赵昇𬌗")


def setup(records: int, clerk_id: int) -> int:
    """A joint task of (records // 2) objects and two departments, every record filled."""
    from models import (
        CheckItem,
        Department,
        InspectionRecord,
        InspectionRecordLine,
        Inspector,
        Plan,
        RecordConfirmation,
        Task,
        TaskDepartment,
        TaskObject,
        TeamMember,
        User,
        UserRole,
        db,
    )
    from models.inspections import RecordStatus, ResultCategory
    from models.org import DepartmentKind, DepartmentLevel
    from models.plans import PlanKind, PlanStatus
    from models.roles import Role
    from models.teams import TeamRole
    from persistence.org import place_department

    clerk = db.session.get(User, clerk_id)
    bureau = clerk.department
    health = Department(name="成华区卫生健康局", parent=bureau.parent, level=DepartmentLevel.BUREAU,
                        kind=DepartmentKind.SUPERVISION, region_code=bureau.region_code)
    db.session.add(health)
    db.session.flush()
    place_department(health, bureau.parent)
    item = CheckItem(department_id=bureau.id, name="餐饮服务食品安全监督检查", objects="餐饮服务提供者",
                     methods="实地核查", basis="《中华人民共和国食品安全法》第一百一十条")
    db.session.add(item)
    db.session.flush()
    plan = Plan(kind=PlanKind.JOINT, status=PlanStatus.PUBLISHED, year=2026, name="2026年餐饮联合抽查计划",
                department_id=bureau.id, methods="实地核查", start_date=date(2026, 4, 1), end_date=date(2026, 10, 31))
    db.session.add(plan)
    db.session.flush()
    task = Task(plan_id=plan.id, name="2026年餐饮服务联合抽查任务（堃喆）", department_id=bureau.id, item_id=item.id,
                methods="实地核查", start_date=date(2026, 5, 1), end_date=date(2026, 5, 31))
    db.session.add(task)
    db.session.flush()
    departments = (bureau, health)
    for d, role in zip(departments, ("initiator", "participant"), strict=True):
        db.session.add(TaskDepartment(task_id=task.id, department_id=d.id, role=role, inspectors=2))
    members = []
    for n, name in enumerate(NAMES):
        dept = departments[0] if n < 2 else departments[1]
        user = User(account=f"bench_insp{n}", name=name, department=dept, password_hash="x",
                    must_change_password=False)
        user.roles = [UserRole(role=str(Role.INSPECTOR))]
        db.session.add(user)
        db.session.flush()
        inspector = Inspector(department_id=dept.id, name=name, cert_no=f"川ZF2026{n:04d}", user_id=user.id,
                              random_permission=True)
        db.session.add(inspector)
        db.session.flush()
        member = TeamMember(task_id=task.id, department_id=dept.id, inspector_id=inspector.id,
                            role=TeamRole.LEADER if n == 0 else TeamRole.MEMBER, joined_at=datetime(2026, 5, 1))
        db.session.add(member)
        members.append((member, user))
    db.session.flush()
    for n in range((records + 1) // 2):
        obj = TaskObject(task_id=task.id, key=f"entity:{900000 + n}", entity_id=900000 + n)
        db.session.add(obj)
        db.session.flush()
        for d in departments:
            if n * 2 + departments.index(d) >= records:
                break
            record = InspectionRecord(
                record_no=f"2026-JC-{n * 2 + departments.index(d) + 1:06d}", task_id=task.id, task_object_id=obj.id,
                department_id=d.id, entity_id=obj.entity_id, status=RecordStatus.APPROVED, method="实地核查",
                subject_name=f"成都市昇𬌗{n:04d}餐饮管理有限公司", uscc=f"91510108MA6C{n:05d}X",
                district="成华区", license_no=f"JY2510108{n:07d}", legal_rep="张喆", address=f"成都市成华区建设路{n}号",
                phone="028-84561234", items_text=item.name, findings="现场检查未发现问题，食品经营许可证在有效期内。",
                filled_on=date(2026, 5, 10), inspector_names="、".join(NAMES[:2] if d is bureau else NAMES[2:]),
                inspected_at=datetime(2026, 5, 10, 9, 30), result=ResultCategory.NO_PROBLEM,
                signer_name="张喆", signed_at=datetime(2026, 5, 10, 11, 0), created_by_id=clerk_id,
            )
            for i, (a, b, c) in enumerate((
                ("食品经营许可", "许可证是否在有效期内，经营项目与许可一致", "符合"),
                ("从业人员健康管理", "从业人员健康证明", "符合"),
                ("原料控制", "索证索票、进货查验记录", "符合"),
                ("加工制作过程", "生熟分开、餐饮具清洗消毒", "符合"),
            ), start=1):
                record.lines.append(InspectionRecordLine(position=i, check_item=a, content=b, outcome=c))
            db.session.add(record)
            db.session.flush()
            for member, user in members:
                db.session.add(RecordConfirmation(record_id=record.id, team_member_id=member.id, user_id=user.id,
                                                  record_lock_version=record.lock_version,
                                                  confirmed_at=datetime(2026, 5, 10, 12, 0)))
    db.session.commit()
    return task.id


def _pages(data: bytes) -> str:
    """The page count by pdfinfo (poppler-utils), or "?" without it."""
    if shutil.which("pdfinfo") is None:
        return "?"
    out = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True).stdout.decode()
    found = re.search(r"Pages:\s+(\d+)", out)
    return found.group(1) if found else "?"


def bench(url: str, instance: Path, records: int, runs: int) -> None:
    from weasyprint import HTML

    from infrastructure import pdf, pdf_batch
    from models import InspectionRecord, Task, db
    from services import record_pdf as rp
    from services import task_records_pdf as task_pdf

    app = make_app(url, instance)
    app.config["PUBLIC_BASE_URL"] = "https://zhjg.example.cn"
    with app.app_context():
        ids = make_org()
        t0 = time.perf_counter()
        task_id = setup(records, ids["district_clerk"])
        print(f"generated a joint task with {records} records in {time.perf_counter() - t0:.1f} s (not timed)")
        first_id = db.session.query(InspectionRecord.id).order_by(InspectionRecord.record_no).limit(1).scalar()

        def one(form: str) -> bytes:
            db.session.expunge_all()
            return rp.record_pdf(db.session.get(InspectionRecord, first_id), form)

        cache = pdf_batch.cache_root()
        t = time.perf_counter()
        one("a31")
        print(f"one record PDF, cold (first load of the shipped font):      {time.perf_counter() - t:8.3f} s")
        for form in ("a31", "f1"):
            rendered, cached = [], []
            for _ in range(max(runs, 5)):
                shutil.rmtree(cache, ignore_errors=True)
                t = time.perf_counter()
                data = one(form)
                rendered.append(time.perf_counter() - t)
                t = time.perf_counter()
                one(form)
                cached.append(time.perf_counter() - t)
            print(f"one record PDF ({form}), median of {len(rendered)}: rendered {statistics.median(rendered):6.3f} s,"
                  f" from the cache {statistics.median(cached):6.3f} s  ({len(data) // 1024} KB)")

        task = db.session.get(Task, task_id)
        html = rp.records_html([rp.record_view(r) for r in rp.records_of_task(task)], "a31")
        workers = pdf_batch.worker_count()
        t = time.perf_counter()
        task_pdf.build(task_pdf.bundle(task, "f1"), workers=workers)  # starts the pool; other HTML, not counted
        print(f"worker pool of {workers} started and warmed with the task in F.1 form: {time.perf_counter() - t:.2f} s"
              " (once per job-runner process, not counted below)")
        ours, alone, warm = [], [], []
        for _ in range(runs):
            shutil.rmtree(cache, ignore_errors=True)
            db.session.expunge_all()
            t = time.perf_counter()
            data = task_pdf.build(task_pdf.bundle(db.session.get(Task, task_id), "a31"), workers=workers)
            ours.append(time.perf_counter() - t)
            db.session.expunge_all()
            t = time.perf_counter()
            again = task_pdf.in_request(task_pdf.bundle(db.session.get(Task, task_id), "a31"))
            warm.append(time.perf_counter() - t)
            assert again == data
            t = time.perf_counter()
            HTML(string=html, base_url=pdf.BASE_URL, url_fetcher=pdf.StaticFetcher()).write_pdf(
                font_config=pdf.font_config())
            alone.append(time.perf_counter() - t)
        med = statistics.median
        print(f"task of {records} records as one PDF ({_pages(data)} pages, {len(data) // 1024} KB), {runs} runs:")
        print(f"    ours, cold cache, {workers} workers     wall median {med(ours):7.2f} s  min {min(ours):7.2f} s")
        print(f"    ours, warm cache (in the request) wall median {med(warm):7.2f} s  min {min(warm):7.2f} s")
        print(f"    WeasyPrint alone, one document   wall median {med(alone):7.2f} s  min {min(alone):7.2f} s"
              "   (the bare baseline: the same records as one HTML, one process)")
        print(f"    ratio cold / alone {med(ours) / med(alone):5.2f}×   warm / alone {med(warm) / med(alone):5.3f}×")
        print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default="", help="PostgreSQL server URL; default a temporary SQLite file")
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="zhjg-bench-records-"))
    drop = None
    try:
        if args.database_url:
            url, drop = scratch_database(args.database_url, "records")
        else:
            url = f"sqlite:///{instance}/bench.sqlite3"
        print(f"database: {'PostgreSQL' if args.database_url else 'SQLite'}")
        bench(url, instance, args.records, args.runs)
    finally:
        if drop is not None:
            drop()
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
