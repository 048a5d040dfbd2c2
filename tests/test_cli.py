"""``flask audit verify``.

The command runs in the app context the CLI runner provides and queries ``db.session``;
the ``session`` fixture swaps that module-global scoped session for one bound to the test's
connection, so the command sees the test's uncommitted rows (asserted by the row counts).
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import text

from persistence import audit
from tests.factories.audit import allow_tampering


def _invoke(app: Flask) -> Any:
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def test_audit_verify_on_an_empty_trail(app: Flask, session: Any) -> None:
    result = _invoke(app)
    assert result.exit_code == 0, result.output
    assert "已校验 0 条记录，哈希链完整。" in result.output


def test_audit_verify_intact(app: Flask, session: Any, org: Any) -> None:
    for i in range(3):
        audit.record("update", object_type="user", object_id=i, user=org.clerk_a)
    result = _invoke(app)
    assert result.exit_code == 0, result.output
    assert "已校验 3 条记录，哈希链完整。" in result.output


def test_audit_verify_reports_a_tampered_row(app: Flask, session: Any, org: Any) -> None:
    events = [audit.record("update", object_type="user", object_id=i, user=org.clerk_a) for i in range(3)]
    allow_tampering(session)
    session.execute(text("UPDATE audit_event SET user_account = 'mallory' WHERE id = :i"), {"i": events[1].id})
    result = _invoke(app)
    assert result.exit_code == 1
    assert f"记录 #{events[1].id}: 记录内容与其哈希不符" in result.output
    assert "已校验 3 条记录，发现 1 处异常。" in result.output


def test_audit_verify_reports_a_deleted_row(app: Flask, session: Any, org: Any) -> None:
    events = [audit.record("update", object_type="user", object_id=i, user=org.clerk_a) for i in range(3)]
    allow_tampering(session)
    session.execute(text("DELETE FROM audit_event WHERE id = :i"), {"i": events[1].id})
    result = _invoke(app)
    assert result.exit_code == 1
    assert f"记录 #{events[2].id}: 与上一条记录的链接不符" in result.output
