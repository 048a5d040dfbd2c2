"""The audit trail: hash chain, verification, and the database's append-only triggers."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from models import AuditEvent
from persistence import audit
from persistence.audit import GENESIS, compute_hash, verify
from tests.factories.audit import allow_tampering


def _chain(org: Any, n: int = 3) -> list[AuditEvent]:
    users = [org.clerk_a, org.clerk_b, org.sysadmin]
    return [
        audit.record("update", object_type="user", object_id=i, summary={"序号": i}, user=users[i % len(users)])
        for i in range(n)
    ]


def test_records_link_each_hash_to_the_previous_one(org: Any, session: Any) -> None:
    events = _chain(org, 4)
    assert events[0].prev_hash == GENESIS
    for before, after in zip(events, events[1:], strict=False):
        assert after.prev_hash == before.hash
    for event in events:
        assert event.hash == compute_hash(event)
        assert len(event.hash) == 64
    assert len({e.hash for e in events}) == 4


def test_record_copies_the_actor_and_serialises_summaries(org: Any, session: Any) -> None:
    event = audit.record("create", object_type="user", object_id=7, summary={"姓名": "张三", "b": 1}, user=org.clerk_a)
    assert (event.user_id, event.user_account, event.user_name) == (org.clerk_a.id, org.clerk_a.account, "王晓燕")
    assert (event.department_id, event.department_name) == (org.bureau_a.id, "甲区市场监督管理局")
    assert event.object_id == "7"
    assert event.summary == '{"b": 1, "姓名": "张三"}'
    anonymous = audit.record("login_failed", account="nobody", summary="纯文本")
    assert anonymous.user_id is None and anonymous.department_id is None
    assert anonymous.user_account == "nobody" and anonymous.summary == "纯文本"


def test_action_labels() -> None:
    assert audit.action_label("verify") == "校验审计日志"
    assert audit.action_label("export") == "导出"
    assert audit.action_label("something_new") == "something_new"


def test_verify_intact_chain(org: Any, session: Any) -> None:
    _chain(org, 5)
    assert verify() == (5, [])
    assert verify(batch=2) == (5, [])  # batches join up


def test_verify_empty_table(session: Any) -> None:
    assert verify() == (0, [])


def test_verify_detects_a_modified_summary(org: Any, session: Any) -> None:
    events = _chain(org, 3)
    allow_tampering(session)
    session.execute(text("UPDATE audit_event SET summary = :s WHERE id = :i"), {"s": '{"序号": 99}', "i": events[1].id})
    # The session still holds the recorded objects: verify must read the stored rows.
    checked, problems = verify()
    assert checked == 3
    assert [(p.event_id, p.problem) for p in problems] == [(events[1].id, "记录内容与其哈希不符：该记录被修改")]


def test_verify_detects_a_deleted_middle_row_at_the_following_row(org: Any, session: Any) -> None:
    events = _chain(org, 3)
    allow_tampering(session)
    session.execute(text("DELETE FROM audit_event WHERE id = :i"), {"i": events[1].id})
    checked, problems = verify(batch=1)
    assert checked == 2
    assert [p.event_id for p in problems] == [events[2].id]
    assert "删除" in problems[0].problem


def test_verify_keeps_the_callers_session_intact(org: Any, session: Any) -> None:
    """verify() must not detach the objects the caller holds (a view's current_user)."""
    events = _chain(org, 2)
    user = org.clerk_a
    session.expire(user)
    verify()
    assert user in session and events[0] in session
    assert user.department.name == "甲区市场监督管理局"  # lazy loads still work


@pytest.mark.parametrize("statement", ["UPDATE audit_event SET summary = 'x' WHERE id = :i", "DELETE FROM audit_event WHERE id = :i"])
def test_triggers_refuse_update_and_delete(org: Any, session: Any, statement: str) -> None:
    event = _chain(org, 1)[0]
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text(statement), {"i": event.id})
    # The savepoint was rolled back: the session is usable and the row unchanged.
    stored = session.execute(select(AuditEvent.summary).where(AuditEvent.id == event.id)).scalar_one()
    assert stored == '{"序号": 0}'
    assert verify() == (1, [])


def test_triggers_are_in_place(session: Any) -> None:
    """The per-test rollback restored any trigger a tampering test lifted."""
    if session.get_bind().dialect.name == "postgresql":
        names = session.execute(
            text("SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_event'::regclass AND tgenabled <> 'D'")
        ).scalars().all()
        assert "audit_event_append_only" in names
    else:
        names = session.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_event'")
        ).scalars().all()
        assert set(names) == {"audit_event_no_update", "audit_event_no_delete"}


def test_many_records_in_one_transaction_chain_and_verify(org: Any, session: Any) -> None:
    """Later records of a transaction follow the hash it remembers (no lock, no select),
    record_many continues from it and record continues after record_many."""
    statements: list[str] = []
    from sqlalchemy import event as sa_event

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    first = audit.record("update", object_type="user", object_id=0, user=org.clerk_a)
    sa_event.listen(session.get_bind(), "before_cursor_execute", count)
    try:
        later = [audit.record("update", object_type="user", object_id=i, user=org.clerk_a) for i in range(1, 20)]
    finally:
        sa_event.remove(session.get_bind(), "before_cursor_execute", count)
    assert not [s for s in statements if "pg_advisory" in s or "SELECT" in s.upper()]
    assert audit.record_many("import", "user", [(i, {"行": i}) for i in range(5)], user=org.clerk_a) == 5
    last = audit.record("update", object_type="user", object_id=99, user=org.clerk_a)
    rows = session.execute(select(AuditEvent).where(AuditEvent.id >= first.id).order_by(AuditEvent.id)).scalars().all()
    assert len(rows) == 26 and rows[-1].id == last.id
    for before, after in zip(rows, rows[1:], strict=False):
        assert after.prev_hash == before.hash
    assert later[-1].hash == rows[19].hash
    assert verify()[1] == []


def test_a_rolled_back_savepoint_is_not_followed(org: Any, session: Any) -> None:
    kept = audit.record("update", object_type="user", object_id=1, user=org.clerk_a)
    savepoint = session.begin_nested()
    audit.record("update", object_type="user", object_id=2, user=org.clerk_a)
    savepoint.rollback()
    after = audit.record("update", object_type="user", object_id=3, user=org.clerk_a)
    assert after.prev_hash == kept.hash
    assert verify()[1] == []


def test_the_remembered_tail_is_forgotten_at_the_end_of_the_transaction(org: Any, session: Any) -> None:
    audit.record("update", object_type="user", object_id=1, user=org.clerk_a)
    assert audit._TAIL_KEY in session.info
    session.commit()  # a savepoint under the test harness: the chain is read again afterwards
    assert audit._TAIL_KEY not in session.info
    nxt = audit.record("update", object_type="user", object_id=2, user=org.clerk_a)
    assert verify()[1] == []
    assert nxt.prev_hash != GENESIS
