"""Item list benchmark: an A.1.1 import through 表7, and the public list and feed (一公开).

It makes its own data in a temporary SQLite database, or in a scratch database it creates,
migrates and drops on the PostgreSQL server named by --database-url (never the named database
itself).  It prints figures; nothing here is a pass/fail assertion.

(a) Builds an --import-rows row A.1.1 workbook, then times the upload check (store_import) and
    the confirmation (every row through 表7: the item, the instance, its history, the
    publication and the audit rows), then a re-import of the same file with one changed column
    (every row through 表8).
(b) Adds --publications publication rows (bulk, not timed) and times, through the test client
    and without signing in, the first page of /public/items, a filtered page, and the feed
    /public/items.json and .csv (500 records, from the start and from a cursor in the middle).

    .venv/bin/python bench/items.py
    .venv/bin/python bench/items.py --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DOMAINS = ["食品安全", "特种设备", "产品质量", "广告监管", "价格监管", "企业信息公示", "计量", "认证认可"]


def _scratch_pg(url: str) -> tuple[str, Any]:
    import psycopg

    name = "bench_items_" + uuid.uuid4().hex[:8]
    base = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    scratch = base.rsplit("/", 1)[0] + "/" + name

    def drop() -> None:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return scratch.replace("postgresql://", "postgresql+psycopg://"), drop


def _workbook(rows: int, objects: str = "生产经营者") -> bytes:
    from openpyxl import Workbook

    from services.imports.check_items import EXTENDED

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(EXTENDED.sheet)
    ws.append(list(EXTENDED.titles))
    for i in range(rows):
        general = i % 3 != 0
        ws.append([
            str(i + 1), DOMAINS[i % len(DOMAINS)], f"抽查事项{i:05d}", f"{DOMAINS[i % len(DOMAINS)]}{objects}",
            "一般检查事项" if general else "重点检查事项", "书面检查、实地核查", "测试区市场监督管理局",
            "《中华人民共和国产品质量法》第十五条", "", "5" if general else "", "区县级", "F", "",
        ])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _timed(fn: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--import-rows", type=int, default=1000)
    parser.add_argument("--publications", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    drop = None
    tmp = tempfile.mkdtemp(prefix="bench-items-")
    if args.database_url:
        url, drop = _scratch_pg(args.database_url)
    else:
        url = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ["ZHJG_INSTANCE"] = tmp
    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    try:
        with app.app_context():
            from flask_migrate import upgrade

            from models import Department, Publication, PublicationAction, User, UserRole, db, utcnow
            from models.org import DepartmentKind, DepartmentLevel
            from models.roles import Role
            from persistence.bulk import insert_rows
            from persistence.org import place_department
            from services.imports import check_items, framework

            upgrade()

            def dept(name: str, parent: Department | None, level: DepartmentLevel) -> Department:
                kind = DepartmentKind.GOVERNMENT if level in (DepartmentLevel.CITY, DepartmentLevel.DISTRICT) \
                    else DepartmentKind.SUPERVISION
                d = Department(name=name, parent=parent, level=level, kind=kind)
                db.session.add(d)
                db.session.flush()
                place_department(d, parent)
                return d

            city = dept("测试市", None, DepartmentLevel.CITY)
            district = dept("测试区", city, DepartmentLevel.DISTRICT)
            bureau = dept("测试区市场监督管理局", district, DepartmentLevel.BUREAU)
            clerk = User(account="clerk", name="经办人", department=bureau, must_change_password=False)
            clerk.roles = [UserRole(role=str(Role.CLERK))]
            db.session.add(clerk)
            db.session.commit()
            backend = db.engine.dialect.name
            print(f"backend: {backend}")

            # (a) import
            data = _workbook(args.import_rows)
            (batch, check), upload = _timed(lambda: framework.upload(check_items.KIND, clerk, "bench.xlsx", data, {}))
            db.session.commit()
            summary, confirm = _timed(lambda: framework.confirm(check_items.KIND, clerk, batch, valid_only=False))
            db.session.commit()
            print(f"import {args.import_rows} rows: upload check {upload:.2f}s, confirm (表7 each) {confirm:.2f}s "
                  f"= {args.import_rows / confirm:.0f} items/s; {summary}")
            data = _workbook(args.import_rows, objects="经营者")
            (batch, check), upload = _timed(lambda: framework.upload(check_items.KIND, clerk, "bench2.xlsx", data, {}))
            db.session.commit()
            summary, confirm = _timed(lambda: framework.confirm(check_items.KIND, clerk, batch, valid_only=False))
            db.session.commit()
            print(f"re-import {args.import_rows} rows: upload check {upload:.2f}s, confirm (表8 each) {confirm:.2f}s; "
                  f"{summary}")

            # (b) public list and feed
            now = utcnow()
            start_id = 10_000_000
            rows = []
            for i in range(args.publications):
                domain = DOMAINS[i % len(DOMAINS)]
                payload = {"清单类型": "单部门", "抽查类别": domain, "抽查事项": f"批量事项{i:06d}", "检查对象": "经营者",
                           "事项类别": "一般检查事项", "检查方式": "书面检查", "检查主体": "测试区市场监督管理局",
                           "检查依据": "《产品质量法》", "牵头处室": "", "实施层级": "区县级"}
                rows.append({
                    "subject_type": "check_item", "subject_id": start_id + i // 2, "version": i % 2 + 1,
                    "action": PublicationAction.PUBLISH.value, "department_id": bureau.id,
                    "title": payload["抽查事项"], "list_type": "单部门", "domain": domain,
                    "payload": json.dumps(payload, ensure_ascii=False), "instance_id": None,
                    "published_at": now, "latest": i % 2 == 1,
                })
            columns = list(rows[0])
            insert_rows(Publication.__table__, columns, [tuple(r[c] for c in columns) for r in rows])
            db.session.commit()
            if backend == "postgresql":
                db.session.execute(db.text("ANALYZE publication"))
                db.session.commit()
            else:
                db.session.execute(db.text("ANALYZE"))
                db.session.commit()
            middle = db.session.execute(db.select(db.func.min(Publication.id))).scalar_one() + args.publications // 2
        client = app.test_client()
        for label, path in (
            ("/public/items", "/public/items"),
            ("/public/items?domain=计量&page=3", "/public/items?domain=%E8%AE%A1%E9%87%8F&page=3"),
            ("/public/items.json", "/public/items.json"),
            ("/public/items.json?after_id=middle", f"/public/items.json?after_id={middle}"),
            ("/public/items.csv", "/public/items.csv"),
        ):
            times = []
            for _ in range(args.runs):
                resp, t = _timed(lambda path=path: client.get(path))
                assert resp.status_code == 200, (path, resp.status_code)
                times.append(t * 1000)
            print(f"{label} over {args.publications + 2 * args.import_rows} publications: "
                  f"p50 {statistics.median(times):.0f} ms, p95 {_pct(times, 0.95):.0f} ms")
    finally:
        with app.app_context():
            from models import db

            db.engine.dispose()
        if drop:
            drop()


if __name__ == "__main__":
    main()
