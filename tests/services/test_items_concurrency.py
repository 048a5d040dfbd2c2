"""Two clerks submit the same item form at once, and two claim the same city item at once, on
PostgreSQL with real connections: exactly one wins, the other is refused, nothing is doubled."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from infrastructure.errors import Conflict
from models import CheckItem, Department, Publication, User, UserRole, db, utcnow
from models.org import DepartmentKind, DepartmentLevel
from models.roles import Role
from persistence.org import place_department
from services import item_claims
from services import items as svc
from tests.conftest import _HASH
from tests.factories.items import FOOD, general


def _setup(app):
    with app.app_context():
        def dept(name, parent, level, kind=DepartmentKind.SUPERVISION):
            d = Department(name=name, parent=parent, level=level, kind=kind)
            db.session.add(d)
            db.session.flush()
            place_department(d, parent)
            return d

        def user(account, d):
            u = User(account=account, name=account, department=d, password_hash=_HASH,
                     must_change_password=False, password_changed_at=utcnow())
            u.roles = [UserRole(role=str(Role.CLERK))]
            db.session.add(u)
            db.session.flush()
            return u

        city = dept("并发市", None, DepartmentLevel.CITY, DepartmentKind.GOVERNMENT)
        city_bureau = dept("并发市市场监督管理局", city, DepartmentLevel.BUREAU)
        district = dept("并发区", city, DepartmentLevel.DISTRICT, DepartmentKind.GOVERNMENT)
        bureau = dept("并发区市场监督管理局", district, DepartmentLevel.BUREAU)
        city_clerk = user("city", city_bureau)
        clerk1 = user("clerk1", bureau)
        user("clerk2", bureau)
        own = svc.create_item(clerk1, FOOD)
        source = svc.create_item(city_clerk, general())
        db.session.commit()
        return own.id, source.id


def _race(app, work):
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def run(account: str) -> None:
        with app.app_context():
            me = db.session.execute(select(User).where(User.account == account)).scalar_one()
            barrier.wait()
            try:
                work(me, account)
                db.session.commit()
                results[account] = "ok"
            except Conflict as exc:
                db.session.rollback()
                results[account] = exc.message

    threads = [threading.Thread(target=run, args=(a,)) for a in ("clerk1", "clerk2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return sorted(results.values())


def test_two_edits_at_once(pg_app):
    own_id, _ = _setup(pg_app)

    def edit(me, account):
        item = db.session.get(CheckItem, own_id)
        svc.edit_item(me, item, FOOD | {"objects": f"{account}的修改"}, version=1)

    results = _race(pg_app, edit)
    assert results[0] == "ok" and "已被他人处理" in results[1]
    with pg_app.app_context():
        item = db.session.get(CheckItem, own_id)
        assert item.version == 2
        assert db.session.scalar(
            select(func.count()).select_from(Publication).where(Publication.subject_id == own_id)
        ) == 2


def test_two_claims_at_once(pg_app):
    _, source_id = _setup(pg_app)

    def claim(me, _account):
        item_claims.claim_item(me, db.session.get(CheckItem, source_id))

    results = _race(pg_app, claim)
    assert results[0] == "ok" and "重复认领" in results[1]
    with pg_app.app_context():
        assert db.session.scalar(
            select(func.count()).select_from(CheckItem).where(CheckItem.source_id == source_id)
        ) == 1
