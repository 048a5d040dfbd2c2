"""Audit rows written without the chain's lock and chained later (persistence/audit_outbox.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from models import AuditEvent, AuditOutbox, utcnow
from persistence import audit, audit_outbox
from persistence.audit import verify


def _events(session: Any) -> list[AuditEvent]:
    return list(session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars())


def test_deferred_rows_wait_outside_the_chain_then_join_it_in_order(org: Any, session: Any) -> None:
    audit.record("update", object_type="user", object_id=1, user=org.clerk_a)
    audit_outbox.defer("api_call", object_type="api_credential", object_id=7, summary={"状态": 200}, user=org.clerk_b)
    audit_outbox.defer("api_call", object_type="api_credential", object_id=8, summary={"状态": 404}, user=org.clerk_a)
    session.commit()
    waiting = list(session.execute(select(AuditOutbox).order_by(AuditOutbox.id)).scalars())
    assert len(_events(session)) == 1 and audit_outbox.waiting() == 2
    times = [w.at for w in waiting]

    assert audit_outbox.seal() == 2
    session.commit()
    events = _events(session)
    assert [e.action for e in events] == ["update", "api_call", "api_call"]
    assert [e.object_id for e in events[1:]] == ["7", "8"]
    assert [e.at for e in events[1:]] == times  # their own times, not the seal's
    assert (events[1].user_account, events[1].department_name) == (org.clerk_b.account, "乙区市场监督管理局")
    assert events[1].summary == '{"状态": 200}' and events[1].prev_hash == events[0].hash
    assert audit_outbox.waiting() == 0 and verify() == (3, [])
    assert audit_outbox.seal() == 0  # nothing twice


def test_seal_in_batches_and_record_after_it_continues_the_chain(org: Any, session: Any) -> None:
    for i in range(5):
        audit_outbox.defer("api_call", object_type="api_credential", object_id=i, user=org.clerk_a)
    session.commit()
    assert audit_outbox.seal(batch=2) == 5
    audit.record("update", object_type="user", object_id=99, user=org.sysadmin)
    session.commit()
    assert [e.object_id for e in _events(session)] == ["0", "1", "2", "3", "4", "99"]
    assert verify() == (6, [])


def test_a_rolled_back_call_leaves_no_row(org: Any, session: Any) -> None:
    audit_outbox.defer("api_call", object_type="api_credential", object_id=1, user=org.clerk_a)
    session.rollback()
    assert audit_outbox.waiting() == 0


def test_verify_and_the_audit_page_seal_first(app: Any, client: Any, org: Any, session: Any) -> None:
    from services.audit_checkpoints import verify_all
    from tests.conftest import sign_in

    audit_outbox.defer("api_call", object_type="api_credential", object_id=5, summary={"接口": "GET /api/v1/x"},
                       user=org.clerk_a)
    session.commit()
    report = verify_all(results=False)
    assert report.checked == 1 and not report.problems and audit_outbox.waiting() == 0

    audit_outbox.defer("api_call", object_type="api_credential", object_id=6, user=org.clerk_a)
    session.commit()
    sign_in(client, org.auditor)
    html = client.get("/audit/?action=api_call").get_data(as_text=True)
    assert "接口调用" in html and audit_outbox.waiting() == 0


def test_cli_seal(app: Any, org: Any, session: Any) -> None:
    audit_outbox.defer("api_call", object_type="api_credential", object_id=1, user=org.clerk_a)
    session.commit()
    out = app.test_cli_runner().invoke(args=["audit", "seal"])
    assert out.exit_code == 0 and "已并入审计日志 1 条" in out.output
    assert session.execute(select(AuditEvent.at)).scalar_one() <= utcnow() + timedelta(seconds=1)
