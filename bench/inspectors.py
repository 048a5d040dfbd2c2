"""Inspector directory benchmark: an A.5 import of --rows rows (most people already have an
account, --new-accounts do not) and the list and eligible_inspectors() over --directory
entries.  It makes its own temporary SQLite database; nothing here is a pass/fail assertion,
it prints figures.

(a) Upload check (services.imports.framework.upload of the inspectors kind) and confirmation (check again, then
    表17 per row: the entry, an instance with its steps, the account match or a new account with
    its argon2 hash, audit rows), then a re-import of the same file (every row unchanged) and
    one with every row changed (表18 per row).
(b) --directory entries inserted in bulk, then the list page's query (first page + count) with
    and without filters, and eligible_inspectors() for the bureau (p50/p95 over --runs runs).

    .venv/bin/python bench/inspectors.py
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from infrastructure.clock import china_today  # noqa: E402


def _id(n: int) -> str:
    """A distinct valid ID number for every n (birth date from n // 1000, sequence n % 1000)."""
    from infrastructure.validators import id_number_check_char

    born = date(1950, 1, 1) + timedelta(days=n // 1000)
    first17 = f"510108{born:%Y%m%d}{n % 1000:03d}"
    return first17 + id_number_check_char(first17)


def _ids(count: int, start: int = 0) -> list[str]:
    return [_id(n) for n in range(start, start + count)]


def _timed(label: str, fn):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    result = fn()
    print(f"{label}: {time.perf_counter() - t0:.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--new-accounts", type=int, default=50)
    parser.add_argument("--directory", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy import insert

    from app import create_app
    from models import Department, Inspector, InspectorTag, User, UserRole, db
    from models.org import DepartmentKind, DepartmentLevel
    from models.roles import Role
    from persistence.org import place_department
    from services import inspector_search
    from services.imports import framework
    from services.imports.inspectors import KIND
    from services.templates_catalogue import TEMPLATES

    tmp = tempfile.mkdtemp(prefix="bench-inspectors-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3", "SECRET_KEY": "bench"})
    with app.app_context(), app.test_request_context():
        upgrade()

        def dept(name: str, parent: Department | None, level: DepartmentLevel) -> Department:
            kind = DepartmentKind.GOVERNMENT if level in (DepartmentLevel.CITY, DepartmentLevel.DISTRICT) else DepartmentKind.SUPERVISION
            d = Department(name=name, parent=parent, level=level, kind=kind, region_code="510108")
            db.session.add(d)
            db.session.flush()
            place_department(d, parent)
            return d

        city = dept("成都市", None, DepartmentLevel.CITY)
        district = dept("成华区", city, DepartmentLevel.DISTRICT)
        bureau = dept("成华区市场监督管理局", district, DepartmentLevel.BUREAU)
        stations = [dept(f"第{i}市场监管所", bureau, DepartmentLevel.STATION) for i in range(1, 6)]
        clerk = User(account="clerk", name="经办人", department=bureau, mobile="13800000000", password_hash="x")
        clerk.roles = [UserRole(role=Role.CLERK.value)]
        db.session.add(clerk)
        ids = _ids(args.rows)
        existing = args.rows - args.new_accounts
        for n in range(existing):
            u = User(account=f"u{n}", name=f"执法员{n}", department=stations[n % 5], mobile=f"139{n:08d}",
                     password_hash="x")
            db.session.add(u)
        db.session.commit()

        def workbook(duty: str) -> bytes:
            wb = TEMPLATES["A.5"].workbook()
            ws = wb.worksheets[0]
            for n in range(args.rows):
                row = {
                    "序号": n + 1, "姓名": f"执法员{n}", "身份证号": ids[n], "电话号码": f"139{n:08d}",
                    "单位": "成华区市场监督管理局", "科室": f"第{n % 5 + 1}市场监管所", "执法检查人员类别": "行政执法类公务员",
                    "发证机关": "成都市人民政府", "执法证编号": f"ZF{n:06d}", "执法证有效期起": "2024-01-01",
                    "执法证有效期止": 47848, "监督检查（执法）事项": "食品经营许可检查、价格检查", "在岗状态": duty,
                }
                for c, title in enumerate(TEMPLATES["A.5"].titles, start=1):
                    ws.cell(row=n + 2, column=c, value=row.get(title))
            buf = io.BytesIO()
            wb.save(buf)
            return buf.getvalue()

        print(f"(a) A.5 import of {args.rows} rows ({existing} with an account, {args.new_accounts} without)")
        data = workbook("在岗")
        batch, _ = _timed("  upload check", lambda: framework.upload(KIND, clerk, "a5.xlsx", data, {}))
        db.session.commit()
        result = _timed("  confirm (表17 per row)", lambda: framework.confirm(KIND, clerk, batch, valid_only=False))
        db.session.commit()
        print(f"  → { {k: v for k, v in result.items() if k != framework.SHOWN} }")
        batch, _ = framework.upload(KIND, clerk, "a5.xlsx", data, {})
        result = _timed("  re-import, nothing changed", lambda: framework.confirm(KIND, clerk, batch, valid_only=False))
        db.session.commit()
        batch, _ = framework.upload(KIND, clerk, "a5.xlsx", workbook("不在岗"), {})
        result = _timed("  re-import, every row changed (表18 per row)",
                        lambda: framework.confirm(KIND, clerk, batch, valid_only=False))
        db.session.commit()

        print(f"(b) list and eligible_inspectors over {args.directory} entries")
        more = _ids(args.directory, start=100_000)
        users = [{"account": f"b{n}", "name": f"人员{n}", "department_id": stations[n % 5].id, "mobile": f"137{n:08d}",
                  "password_hash": "x", "status": "active", "must_change_password": False, "failed_logins": 0,
                  "session_nonce": f"{n:032d}"} for n in range(args.directory)]
        db.session.execute(insert(User), users)
        user_ids = dict(db.session.execute(db.select(User.account, User.id).where(User.account.like("b%"))).all())
        db.session.execute(insert(UserRole), [{"user_id": u, "role": Role.INSPECTOR.value} for u in user_ids.values()])
        today = china_today()
        rows = [{
            "department_id": stations[n % 5].id, "name": f"人员{n}", "sex": "男", "id_number": more[n],
            "mobile": f"137{n:08d}", "post": "", "section": "", "area": "成华区", "category": "行政执法类公务员",
            "cert_issuer": "", "cert_no": f"B{n}", "cert_valid_from": None,
            "cert_valid_to": today + timedelta(days=(n % 800) - 100), "reported_on": None,
            "duty": "on" if n % 10 else "off", "random_permission": n % 7 != 0, "user_id": user_ids[f"b{n}"],
            "active": True, "note": "",
        } for n in range(args.directory)]
        db.session.execute(insert(Inspector), rows)
        inspector_ids = [i for (i,) in db.session.execute(db.select(Inspector.id).where(Inspector.name.like("人员%")))]
        db.session.execute(insert(InspectorTag), [
            {"inspector_id": i, "kind": "speciality", "value": ["食品安全", "特种设备", "计量", "价格监督"][i % 4]}
            for i in inspector_ids
        ])
        db.session.commit()
        db.session.execute(db.text("ANALYZE"))

        def p(label: str, fn) -> None:  # type: ignore[no-untyped-def]
            times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                fn()
                times.append((time.perf_counter() - t0) * 1000)
            times.sort()
            print(f"  {label}: p50 {statistics.median(times):.1f} ms, p95 {times[int(len(times) * 0.95) - 1]:.1f} ms")

        clerk = db.session.get(User, clerk.id)
        p("list, no filter (page 1 + count)", lambda: inspector_search.search(clerk, inspector_search.parse_filters(clerk, {})))
        p("list, 在岗 + 30日内到期 + 业务专长", lambda: inspector_search.search(
            clerk, inspector_search.parse_filters(clerk, {"duty": "on", "cert": "expiring", "speciality": "计量"})))
        found: list[int] = []
        p("eligible_inspectors(bureau, today)", lambda: found.append(len(inspector_search.eligible_inspectors(bureau, today))))
        p("eligible_inspectors(bureau, today, speciality=食品安全)",
          lambda: inspector_search.eligible_inspectors(bureau, today, speciality="食品安全"))
        print(f"  eligible today: {found[-1]} of {args.directory + args.rows}")


if __name__ == "__main__":
    main()
