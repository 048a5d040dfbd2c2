"""Joint inspection items benchmark: the whole 表12 per item through the service and engine,
then the list, 一业一单 and the item's page at --items items.

It makes its own data: a temporary SQLite database by default, or a scratch database it creates,
migrates, fills and drops on the PostgreSQL server named by --database-url (never the named
database itself).  It prints figures; nothing is a pass/fail assertion.

    .venv/bin/python bench/joint_items.py --items 300
    .venv/bin/python bench/joint_items.py --items 300 --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BUREAUS = ["市场监督管理局", "卫生健康局", "应急管理局", "生态环境局", "文化广电旅游局", "消防救援大队", "商务局",
           "交通运输局"]
SECTIONS = "ABCEFGHIKLMNOPQR"


def _timed(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    cleanup: Callable[[], None] = lambda: None  # noqa: E731
    if args.database_url:
        import psycopg

        name = f"bench_joint_{secrets.token_hex(4)}"
        with psycopg.connect(args.database_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = args.database_url.rsplit("/", 1)[0] + "/" + name
        url = url.replace("postgresql://", "postgresql+psycopg://")

        def cleanup() -> None:
            from models import db

            db.engine.dispose()
            with psycopg.connect(args.database_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"

    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True,
                      "SERVER_NAME": "localhost"})
    try:
        with app.app_context():
            run(app, args)
    finally:
        with app.app_context():
            cleanup()


def run(app: Any, args: argparse.Namespace) -> None:
    from flask_migrate import upgrade

    from infrastructure.passwords import hash_password
    from models import Department, User, UserRole, db, utcnow
    from models.org import DepartmentKind, DepartmentLevel
    from models.roles import Role
    from persistence.org import place_department
    from services import joint_item_queries
    from services import joint_items as svc

    upgrade()
    pw = hash_password("Bench#2026x")

    def dept(name: str, parent: Department | None, level: DepartmentLevel, kind=DepartmentKind.SUPERVISION):
        d = Department(name=name, parent=parent, level=level, kind=kind)
        db.session.add(d)
        db.session.flush()
        place_department(d, parent)
        return d

    def user(d: Department, role: Role) -> User:
        u = User(account=f"u{d.id}", name=d.name[:10], department=d, password_hash=pw, must_change_password=False,
                 password_changed_at=utcnow())
        u.roles = [UserRole(role=str(role))]
        db.session.add(u)
        db.session.flush()
        return u

    city = dept("成都市", None, DepartmentLevel.CITY, DepartmentKind.GOVERNMENT)
    district = dept("成华区", city, DepartmentLevel.DISTRICT, DepartmentKind.GOVERNMENT)
    clerks = [user(dept(f"成华区{b}", district, DepartmentLevel.BUREAU), Role.CLERK) for b in BUREAUS]
    office = user(dept("成华区联席会议办公室", district, DepartmentLevel.BUREAU, DepartmentKind.CONFERENCE_OFFICE),
                  Role.CONFERENCE_OFFICE)
    db.session.commit()

    def v(u: User, item: Any, step: str) -> int:
        return joint_item_queries.my_steps(u, joint_item_queries.active_instance(item))[step].version

    per_item = []
    for n in range(args.items):
        start = time.perf_counter()
        initiator = clerks[n % len(clerks)]
        others = [c for c in clerks if c is not initiator][n % 3: n % 3 + 2]
        fields = {"name": f"联合抽查事项{n}", "objects": "对象", "methods": ["实地核查"], "levels": ["区县级"],
                  "own_tasks": "本部门事项", "industry_code": SECTIONS[n % len(SECTIONS)], "domain": f"领域{n % 7}"}
        item = svc.create(initiator, fields, [o.department_id for o in others])
        svc.consult(initiator, item, v(initiator, item, "consult"), fields, [o.department_id for o in others])
        for o in others:
            svc.participate(o, item, v(o, item, "participate"), True)
        for u in (initiator, *others):
            svc.own_list(u, item, v(u, item, "own_list"), "本部门事项", ["区县级"])
        svc.submit(initiator, item, v(initiator, item, "submit"))
        if n % 5:  # four in five are published, the rest wait for the office
            svc.review(office, item, v(office, item, "review"), True)
        db.session.commit()
        per_item.append((time.perf_counter() - start) * 1000)
    per_item.sort()
    dialect = db.engine.dialect.name
    print(f"[{dialect}] 表12 end to end per item (create … 公布事项, 2 participants, committed): "
          f"p50 {statistics.median(per_item):.1f} ms, p95 {per_item[int(len(per_item) * 0.95) - 1]:.1f} ms")
    if dialect == "postgresql":
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()

    clerk = clerks[1]
    p50, p95 = _timed(lambda: joint_item_queries.current_steps(joint_item_queries.list_items(clerk)), args.runs)
    print(f"[{dialect}] list of a participant's joint items ({len(joint_item_queries.list_items(clerk))} rows): "
          f"p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    p50, p95 = _timed(lambda: joint_item_queries.list_items(office), args.runs)
    print(f"[{dialect}] conference office's list ({len(joint_item_queries.list_items(office))} rows): p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    p50, p95 = _timed(lambda: joint_item_queries.industry_groups(clerk), args.runs)
    print(f"[{dialect}] 一业一单 ({sum(len(i) for _, i in joint_item_queries.industry_groups(clerk))} items): "
          f"p50 {p50:.1f} ms, p95 {p95:.1f} ms")

    client = app.test_client()
    from persistence import sessions

    sid = sessions.start(clerk)
    db.session.commit()
    from flask import g

    item_id = joint_item_queries.list_items(clerk)[0].id

    def page() -> None:
        g.__dict__.clear()
        with client.session_transaction() as sess:
            sess["_user_id"] = clerk.get_id()
            sess["sid"] = sid
            sess["_fresh"] = True
            sess["last_seen"] = time.time()
        assert client.get(f"/joint-items/{item_id}").status_code == 200

    p50, p95 = _timed(page, args.runs)
    print(f"[{dialect}] the item's page (GET, signed in): p50 {p50:.1f} ms, p95 {p95:.1f} ms")


if __name__ == "__main__":
    main()
