"""Two participants answer a joint item's 表13 consultation at the same moment, on PostgreSQL
with real connections: both answers land in the pending proposal (no lost update)."""

from __future__ import annotations

import json
import threading

from sqlalchemy import select

from models import CheckItem, Department, User, UserRole, db, utcnow
from models.org import DepartmentKind, DepartmentLevel
from models.roles import Role
from persistence.org import place_department
from services import joint_item_queries
from services import joint_items as svc
from tests.conftest import _HASH

FIELDS = {"name": "并发联合事项", "objects": "对象", "methods": ["实地核查"], "levels": ["区县级"], "own_tasks": "事项"}


def _setup(app) -> int:
    with app.app_context():
        def dept(name, parent, level, kind=DepartmentKind.SUPERVISION):
            d = Department(name=name, parent=parent, level=level, kind=kind)
            db.session.add(d)
            db.session.flush()
            place_department(d, parent)
            return d

        def user(account, d, role):
            u = User(account=account, name=account, department=d, password_hash=_HASH,
                     must_change_password=False, password_changed_at=utcnow())
            u.roles = [UserRole(role=str(role))]
            db.session.add(u)
            db.session.flush()
            return u

        district = dept("并发区", None, DepartmentLevel.DISTRICT, DepartmentKind.GOVERNMENT)
        bureau = dept("并发区市场监督管理局", district, DepartmentLevel.BUREAU)
        health = dept("并发区卫生健康局", district, DepartmentLevel.BUREAU)
        safety = dept("并发区应急管理局", district, DepartmentLevel.BUREAU)
        office = dept("并发区联席会议办公室", district, DepartmentLevel.BUREAU, DepartmentKind.CONFERENCE_OFFICE)
        clerk, h, s = user("clerk", bureau, Role.CLERK), user("h", health, Role.CLERK), user("s", safety, Role.CLERK)
        o = user("o", office, Role.CONFERENCE_OFFICE)

        def v(u, item, step):
            return joint_item_queries.my_steps(u, joint_item_queries.active_instance(item))[step].version

        item = svc.create(clerk, FIELDS, [health.id, safety.id])
        svc.consult(clerk, item, v(clerk, item, "consult"), FIELDS, [health.id, safety.id])
        svc.participate(h, item, v(h, item, "participate"), True)
        svc.participate(s, item, v(s, item, "participate"), True)
        for u in (clerk, h, s):
            svc.own_list(u, item, v(u, item, "own_list"), "事项", ["区县级"])
        svc.submit(clerk, item, v(clerk, item, "submit"))
        svc.review(o, item, v(o, item, "review"), True)
        svc.start_edit(clerk, item)
        svc.consult(clerk, item, v(clerk, item, "consult"), FIELDS, [health.id, safety.id])
        db.session.commit()
        return item.id


def test_two_participants_answer_at_once(pg_app):
    item_id = _setup(pg_app)
    barrier = threading.Barrier(2)
    errors: list[str] = []

    def answer(account: str, accept: bool) -> None:
        with pg_app.app_context():
            user = db.session.execute(select(User).where(User.account == account)).scalar_one()
            item = db.session.get(CheckItem, item_id)
            version = joint_item_queries.my_steps(user, joint_item_queries.active_instance(item))["participate"].version
            barrier.wait()
            try:
                svc.participate(user, item, version, accept, "" if accept else "不参与理由")
                db.session.commit()
            except Exception as exc:  # pragma: no cover - reported below
                db.session.rollback()
                errors.append(repr(exc))

    threads = [threading.Thread(target=answer, args=a) for a in (("h", True), ("s", False))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    with pg_app.app_context():
        item = db.session.get(CheckItem, item_id)
        parts = {p["department_id"]: p for p in json.loads(item.pending_edit)["parts"]}
        declined = [p for p in parts.values() if p["declined"]]
        assert len(declined) == 1 and declined[0]["decline_reason"] == "不参与理由"
        assert joint_item_queries.active_instance(item).current_step == "own_list"
