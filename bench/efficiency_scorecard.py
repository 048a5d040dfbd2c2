"""考核 benchmark: the yearly scorecard of 60 departments (docs/assessment.md).  Goal: ≤ 30 s.

It makes its own data: a temporary SQLite database by default, or a scratch database it creates,
migrates, fills and drops on the PostgreSQL server named by --database-url.  One district with
--departments bureau-level supervision departments (default 60), each with --per records of each
kind over the year: 惩戒信息 and 经营异常名录 facts (D3), permits from a system (D2) and 双告知
notices (R1, R2), about a fifth of them late.  It prints figures, no assertions.

Timed, on the same rows in the same run:
  the bare baseline: the four SELECTs of the rules' columns as plain SQL text, and the lateness of
  each row against a dict of due dates built beforehand (the SQL and a loop alone);
  services.assessment.runs.compute (every rule, every unit, the judgements, the caps);
  services.assessment.runs.run (the same, stored with its deductions and digest).

    .venv/bin/python bench/efficiency_scorecard.py
    .venv/bin/python bench/efficiency_scorecard.py --database-url postgresql://postgres@127.0.0.1:5432/test
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

from bench.entities import entity_rows, make_app, scratch_database  # noqa: E402

YEAR = 2026
AS_OF = date(YEAR, 12, 15)


def _org(departments: int) -> tuple[Any, Any, list[Any]]:
    from models import Department, User, UserRole, db
    from models.org import DepartmentKind, DepartmentLevel
    from models.roles import Role
    from persistence.org import place_department

    def dept(name: str, parent: Any, level: DepartmentLevel, kind: DepartmentKind) -> Any:
        d = Department(name=name, parent=parent, level=level, kind=kind, region_code="510108")
        db.session.add(d)
        db.session.flush()
        place_department(d, parent)
        return d

    city = dept("成都市", None, DepartmentLevel.CITY, DepartmentKind.GOVERNMENT)
    district = dept("成华区", city, DepartmentLevel.DISTRICT, DepartmentKind.GOVERNMENT)
    units = [dept(f"成华区第{n:02d}委办局", district, DepartmentLevel.BUREAU, DepartmentKind.SUPERVISION)
             for n in range(departments)]
    office = dept("成华区联席会议办公室", district, DepartmentLevel.BUREAU, DepartmentKind.CONFERENCE_OFFICE)
    user = User(account="bench_office", name="压测联席办", department=office, password_hash="x",
                must_change_password=False)
    user.roles = [UserRole(role=str(Role.CONFERENCE_OFFICE))]
    db.session.add(user)
    db.session.flush()
    return district, user, units


def _fill(district: Any, units: list[Any], per: int) -> int:
    from sqlalchemy import insert, select

    from infrastructure import clock
    from models import ApprovalAuthority, LicenceItem, MarketEntity, db
    from models.facts import AbnormalListing, FactSource, Permit, Sanction
    from models.notice import NoticeStatus, ScopeNotice

    db.session.execute(insert(MarketEntity.__table__), [
        {**r, "department_id": district.id} for r in entity_rows(per * 4, seed=7, districts=[("510108", "成华区")])])
    entities = list(db.session.execute(select(MarketEntity.id)).scalars())
    items = list(db.session.execute(select(LicenceItem.id)).scalars())
    authority = db.session.execute(select(ApprovalAuthority.id).limit(1)).scalar_one()
    rnd = random.Random(3)

    def when(day: date, late: bool) -> datetime:
        shift = rnd.randint(8, 20) if late else rnd.randint(0, 4)
        return clock.from_china(datetime.combine(day + timedelta(days=shift), datetime.min.time()) + timedelta(hours=10))

    rows: dict[Any, list[dict[str, Any]]] = {Sanction: [], AbnormalListing: [], Permit: [], ScopeNotice: []}
    for u in units:
        for i in range(per):
            day = date(YEAR, 1, 5) + timedelta(days=rnd.randint(0, 320))
            late = rnd.random() < 0.2
            base = {"source_department_id": u.id, "entity_id": rnd.choice(entities), "received_at": when(day, late)}
            rows[Sanction].append({**base, "source_kind": FactSource.ONLINE, "list_kind": "严重违法失信名单",
                                   "decided_on": day})
            rows[AbnormalListing].append({**base, "source_kind": FactSource.IMPORT, "listed_on": day, "reason": "压测"})
            rows[Permit].append({**base, "source_kind": FactSource.EXCHANGE, "permit_no": f"P{u.id}-{i}",
                                 "name": "许可证", "valid_from": day})
            sent = when(day, False)
            rows[ScopeNotice].append({"entity_id": entities[i % len(entities)], "item_id": items[(u.id * 7 + i) % len(items)],
                                      "authority_id": authority, "department_id": u.id, "created_at": sent,
                                      "received_at": sent + timedelta(days=3 if late else 0, hours=1),
                                      "status": NoticeStatus.ISSUED, "issued_on": day + timedelta(days=10),
                                      "feedback_at": when(day + timedelta(days=10), late)})
    total = 0
    for model, batch in rows.items():
        if model is ScopeNotice:  # one notice per (entity, item, authority)
            seen, unique = set(), []
            for r in batch:
                if (r["entity_id"], r["item_id"]) not in seen:
                    seen.add((r["entity_id"], r["item_id"]))
                    unique.append(r)
            batch = unique
        db.session.execute(insert(model.__table__), batch)
        total += len(batch)
    db.session.commit()
    return total


def _baseline(units: list[Any]) -> int:
    from sqlalchemy import text

    from infrastructure import clock
    from models import db
    from persistence.workdays import WorkCalendar

    cal = WorkCalendar()
    due5 = {date(YEAR, 1, 1) + timedelta(days=i): cal.add_workdays(date(YEAR, 1, 1) + timedelta(days=i), 5)
            for i in range(366) if date(YEAR, 1, 1) + timedelta(days=i) <= AS_OF}
    ids = ",".join(str(u.id) for u in units)
    late = 0
    for table, produced in (("fact_sanction", "decided_on"), ("fact_abnormal", "listed_on"),
                            ("fact_permit", "valid_from")):
        rows = db.session.execute(text(
            f"SELECT id, source_department_id, {produced}, received_at FROM {table} "
            f"WHERE replaces_id IS NULL AND source_department_id IN ({ids})"))
        for _id, _dept, day, received in rows:
            day = day if isinstance(day, date) else date.fromisoformat(day)
            received = received if isinstance(received, datetime) else datetime.fromisoformat(received)
            late += clock.china_date(received) > due5[day]
    rows = db.session.execute(text(
        f"SELECT id, department_id, created_at, received_at, issued_on, feedback_at FROM scope_notice "
        f"WHERE department_id IN ({ids})"))
    late += sum(1 for _ in rows)
    return late


def bench(url: str, instance: Path, departments: int, per: int) -> None:
    from models import db
    from services.assessment import runs

    app = make_app(url, instance)
    with app.app_context():
        district, office, units = _org(departments)
        db.session.commit()
        t = time.perf_counter()
        total = _fill(district, units, per)
        print(f"data: {departments} departments, {total} records ({time.perf_counter() - t:.1f} s to write)")
        t = time.perf_counter()
        _baseline(units)
        bare = time.perf_counter() - t
        t = time.perf_counter()
        cards = runs.compute(district, YEAR, AS_OF)
        computed = time.perf_counter() - t
        t = time.perf_counter()
        stored = runs.run(office, district, YEAR)
        db.session.commit()
        written = time.perf_counter() - t
        deductions = sum(len(c.deductions) for c in cards)
        print(f"bare SQL baseline (4 SELECTs + a due-date dict): {bare:.2f} s")
        print(f"runs.compute, {len(cards)} cards, {deductions} deductions: {computed:.2f} s ({computed / bare:.1f}× bare)")
        print(f"runs.run (stored, digest {stored.digest[:12]}): {written:.2f} s (goal ≤ 30 s)")
    print(f"load average: {os.getloadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--departments", type=int, default=60)
    parser.add_argument("--per", type=int, default=500, help="records of each kind per department")
    parser.add_argument("--database-url", default="", help="PostgreSQL server URL; default a temporary SQLite file")
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="zhjg-bench-scorecard-"))
    drop: Any = None
    try:
        if args.database_url:
            url, drop = scratch_database(args.database_url, "scorecard")
        else:
            url = f"sqlite:///{instance}/bench.sqlite3"
        print(f"database: {'PostgreSQL' if args.database_url else 'SQLite'}; load average: {os.getloadavg()}")
        bench(url, instance, args.departments, args.per)
    finally:
        if drop is not None:
            drop()
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
