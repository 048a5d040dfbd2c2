"""services/receipts: password re-check, one receipt per (subject, version, unit), lockout."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from infrastructure.errors import Conflict, Forbidden, Invalid
from models import AuditEvent, Department, Receipt
from models.roles import Role
from services import receipts
from tests.conftest import PASSWORD


@dataclass
class Notice:
    """A minimal Signable."""

    id: int
    units: list[Department]
    version: int = 1
    body: str = "请各成员单位按时报送。"
    is_recalled: bool = False
    receipt_kind: str = "test_notice"
    extra: dict = field(default_factory=dict)

    def receipt_content(self) -> dict:
        return {"id": self.id, "version": self.version, "body": self.body}

    def receipt_units(self) -> list[Department]:
        return self.units


@pytest.fixture()
def liaisons(org, make_user):
    health = make_user(org.health_a, Role.MEMBER_LIAISON, name="卫健联络员")
    safety = make_user(org.safety_a, Role.MEMBER_LIAISON, name="应急联络员")
    return health, safety


def test_sign_records_who_unit_version_hash_and_ip(app, session, org, liaisons):
    health, _ = liaisons
    notice = Notice(1, [org.health_a, org.safety_a])
    with app.test_request_context(environ_base={"REMOTE_ADDR": "10.1.2.3"}):
        receipt = receipts.sign(health, notice, PASSWORD, version=1, label="通知")
    assert receipt.department_id == org.health_a.id
    assert receipt.user_id == health.id and receipt.user_name == "卫健联络员"
    assert receipt.version == 1 and receipt.ip == "10.1.2.3"
    assert receipt.content_sha256 == receipts.content_hash(notice)
    assert len(receipt.content_sha256) == 64
    sheet = receipts.receipt_sheet(notice)
    assert [(s.department.id, s.receipt is not None) for s in sheet] == [(org.health_a.id, True), (org.safety_a.id, False)]
    assert not receipts.all_signed(notice)
    assert receipts.unsigned_units(notice) == [org.safety_a]
    event = session.execute(select(AuditEvent).where(AuditEvent.action == "sign")).scalars().one()
    assert "通知" in event.summary and org.health_a.name in event.summary


def test_content_hash_changes_with_content_and_version(org):
    a = Notice(1, [org.health_a])
    b = Notice(1, [org.health_a], body="改了一个字。")
    c = Notice(1, [org.health_a], version=2)
    assert len({receipts.content_hash(a), receipts.content_hash(b), receipts.content_hash(c)}) == 3
    assert receipts.content_hash(a) == receipts.content_hash(Notice(1, [org.health_a]))


def test_signing_twice_is_409(app, session, org, liaisons):
    health, _ = liaisons
    notice = Notice(2, [org.health_a])
    receipts.sign(health, notice, PASSWORD)
    with pytest.raises(Conflict, match="已签收"):
        receipts.sign(health, notice, PASSWORD)
    assert receipts.all_signed(notice)


def test_a_second_liaison_of_the_same_unit_cannot_sign_again(org, make_user, liaisons):
    health, _ = liaisons
    other = make_user(org.health_a, Role.MEMBER_LIAISON, name="另一联络员")
    notice = Notice(3, [org.health_a])
    receipts.sign(health, notice, PASSWORD)
    assert not receipts.can_sign(other, notice)
    with pytest.raises(Conflict, match="已签收"):
        receipts.sign(other, notice, PASSWORD)


def test_new_version_needs_signing_again(session, org, liaisons):
    health, _ = liaisons
    notice = Notice(4, [org.health_a])
    first = receipts.sign(health, notice, PASSWORD)
    notice.version, notice.body = 2, "修改后的正文"
    assert receipts.can_sign(health, notice)
    assert receipts.receipt_sheet(notice)[0].receipt is None
    second = receipts.sign(health, notice, PASSWORD, version=2)
    assert second.content_sha256 != first.content_sha256
    assert session.execute(select(Receipt).where(Receipt.subject_id == 4)).scalars().all() == [first, second]


def test_stale_version_recalled_and_unpublished_are_409(org, liaisons):
    health, _ = liaisons
    notice = Notice(5, [org.health_a], version=2)
    with pytest.raises(Conflict, match="最新版本"):
        receipts.sign(health, notice, PASSWORD, version=1)
    notice.is_recalled = True
    with pytest.raises(Conflict, match="已撤回"):
        receipts.sign(health, notice, PASSWORD, version=2)
    assert not receipts.can_sign(health, notice)
    with pytest.raises(Conflict, match="尚未发布"):
        receipts.sign(health, Notice(6, [org.health_a], version=0), PASSWORD)


def test_not_a_unit_or_not_a_liaison_is_403(org, make_user, liaisons):
    _, safety = liaisons
    notice = Notice(7, [org.health_a])
    with pytest.raises(Forbidden, match="不在签收范围"):
        receipts.sign(safety, notice, PASSWORD)
    with pytest.raises(Forbidden, match="联络员"):
        receipts.sign(org.health_clerk, notice, PASSWORD)
    assert not receipts.can_sign(org.health_clerk, notice)


def test_empty_password_is_asked_for(org, liaisons):
    health, _ = liaisons
    with pytest.raises(Invalid, match="请输入登录密码"):
        receipts.sign(health, Notice(8, [org.health_a]), "")


def test_wrong_password_counts_toward_lockout_and_writes_no_receipt(app, session, org, liaisons):
    health, _ = liaisons
    notice = Notice(9, [org.health_a])
    for attempt in range(1, 5):
        with pytest.raises(receipts.PasswordRejected, match="密码不正确"):
            receipts.sign(health, notice, "wrong-password")
        assert health.failed_logins == attempt
    with pytest.raises(receipts.PasswordRejected):
        receipts.sign(health, notice, "wrong-password")
    assert health.locked_until is not None and health.failed_logins == 0
    # Locked: even the right password is refused until the lock ends.
    with pytest.raises(Forbidden, match="锁定"):
        receipts.sign(health, notice, PASSWORD)
    assert session.execute(select(Receipt).where(Receipt.subject_id == 9)).first() is None
    actions = session.execute(select(AuditEvent.action).where(AuditEvent.user_id == health.id)).scalars().all()
    assert actions.count("sign_failed") == 5 and "account_locked" in actions


def test_database_refuses_a_second_receipt_for_the_same_version_and_unit(session, org, liaisons):
    from sqlalchemy.exc import IntegrityError

    health, _ = liaisons
    row = dict(subject_type="x", subject_id=1, version=1, content_sha256="0" * 64,
               department_id=org.health_a.id, user_id=health.id)
    session.add(Receipt(**row))
    session.flush()
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(Receipt(**row))
        session.flush()
