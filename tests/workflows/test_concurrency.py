"""Two leaders approve the same scheme at the same moment, on PostgreSQL with real
connections: exactly one succeeds, the other is told 该事项已被他人处理, nothing is doubled."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from models import Department, ProcessHistory, User, UserRole, WorkItem, db, utcnow
from models.org import DepartmentKind, DepartmentLevel
from models.roles import Role
from models.workflow import WorkItemStatus
from persistence.org import place_department
from tests.conftest import _HASH
from workflows import engine
from workflows.errors import StaleSubmission


def _setup(app):
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
            return u

        city = dept("并发市", None, DepartmentLevel.CITY, DepartmentKind.GOVERNMENT)
        bureau = dept("并发区市场监督管理局", city, DepartmentLevel.BUREAU)
        clerk = user("clerk", bureau, Role.CLERK)
        user("leader1", bureau, Role.DEPT_LEADER)
        user("leader2", bureau, Role.DEPT_LEADER)
        db.session.flush()
        inst = engine.start(20, clerk, title="并发审核")
        item = next(i for i in inst.work_items if i.step_key == "scheme")
        inst = engine.complete(clerk, item.id, "next", version=item.version)
        review = next(i for i in inst.work_items if i.step_key == "review_scheme")
        db.session.commit()
        return inst.id, review.id, review.version


def test_two_leaders_at_once(pg_app):
    instance_id, item_id, version = _setup(pg_app)
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def approve(account: str) -> None:
        with pg_app.app_context():
            leader = db.session.execute(select(User).where(User.account == account)).scalar_one()
            barrier.wait()
            try:
                engine.complete(leader, item_id, "approve", version=version)
                db.session.commit()
                results[account] = "ok"
            except StaleSubmission as exc:
                db.session.rollback()
                results[account] = exc.message

    threads = [threading.Thread(target=approve, args=(a,)) for a in ("leader1", "leader2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results.values()) == ["ok", "该事项已被他人处理"]
    with pg_app.app_context():
        approvals = db.session.scalar(
            select(func.count()).select_from(ProcessHistory).where(
                ProcessHistory.instance_id == instance_id, ProcessHistory.action == "approve"
            )
        )
        assert approvals == 1
        open_draws = db.session.scalar(
            select(func.count()).select_from(WorkItem).where(
                WorkItem.instance_id == instance_id,
                WorkItem.step_key == "draw_objects",
                WorkItem.status == WorkItemStatus.OPEN,
            )
        )
        assert open_draws == 1


def test_two_audit_writers_interleaved_keep_one_chain(pg_app):
    """A transaction that has written an audit row keeps the chain to itself (the advisory
    lock taken before its first row) until it ends, so its later rows can follow the hash it
    remembers; a second writer waits, then continues from the first one's last row."""
    import time

    from persistence import audit

    first_wrote = threading.Event()
    errors: list[BaseException] = []

    def writer(name: str, wait_for: threading.Event | None) -> None:
        try:
            with pg_app.app_context():
                if wait_for is not None:
                    wait_for.wait(10)
                audit.record("update", object_type="bench", object_id=f"{name}0", account=name)
                if wait_for is None:
                    first_wrote.set()
                    time.sleep(0.5)  # the other writer is waiting for the lock meanwhile
                for i in range(1, 4):
                    audit.record("update", object_type="bench", object_id=f"{name}{i}", account=name)
                db.session.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=("a", None)), threading.Thread(target=writer, args=("b", first_wrote))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    with pg_app.app_context():
        checked, problems = audit.verify()
        rows = db.session.execute(select(audit.AuditEvent.object_id).order_by(audit.AuditEvent.id)).scalars().all()
    assert problems == []
    assert rows == ["a0", "a1", "a2", "a3", "b0", "b1", "b2", "b3"]
    assert checked == 8
