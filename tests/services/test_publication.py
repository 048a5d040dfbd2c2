"""一公开: versions, withdrawals, the current list and the feed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import AuditEvent, PublicationAction
from services import publication as pub


def test_versions_current_list_and_withdrawal(org, session):
    a1 = pub.publish("check_item", 1, title="食品抽查", payload={"抽查事项": "食品抽查"}, department_id=org.bureau_a.id)
    pub.publish("check_item", 2, title="药品抽查", payload={"抽查事项": "药品抽查"}, department_id=org.bureau_a.id)
    a2 = pub.publish("check_item", 1, title="食品抽查（修订）", payload={"抽查事项": "食品抽查（修订）"},
                     department_id=org.bureau_a.id)
    assert (a1.version, a2.version) == (1, 2)
    current = session.execute(pub.current("check_item")).scalars().all()
    assert sorted((p.subject_id, p.version) for p in current) == [(1, 2), (2, 1)]
    assert pub.payload_of(a2) == {"抽查事项": "食品抽查（修订）"}
    pub.publish("check_item", 2, title="药品抽查", payload={}, department_id=org.bureau_a.id,
                action=PublicationAction.WITHDRAW)
    current = session.execute(pub.current("check_item")).scalars().all()
    assert [p.subject_id for p in current] == [1]
    assert len(session.execute(pub.feed("check_item")).scalars().all()) == 4
    after = session.execute(pub.feed("check_item", after_id=a2.id)).scalars().all()
    assert [p.action for p in after] == [PublicationAction.WITHDRAW]
    assert [p.version for p in pub.history("check_item", 1)] == [1, 2]
    actions = session.execute(select(AuditEvent.action).where(AuditEvent.object_type == "check_item")).scalars()
    assert sorted(actions) == ["publish", "publish", "publish", "unpublish"]
    assert session.execute(pub.current("plan")).scalars().all() == []


def test_internal_fields_never_reach_a_snapshot(org, session):
    with pytest.raises(ValueError, match="internal"):
        pub.publish("check_item", 1, title="x", payload={"信用风险分类": "E"}, department_id=org.bureau_a.id)
