"""The fact tables (信息归集): provenance, versions, the pending pool and the database's own rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError

from models import (
    AbnormalListing,
    CapitalContribution,
    ClusterAddress,
    Complaint,
    FactSource,
    Lawsuit,
    Officer,
    OtherFact,
    Penalty,
    PendingFact,
    Permit,
    Person,
    Sanction,
    SupervisionRecord,
    db,
)
from tests.factories.directories import make_entity


def provenance(org, **extra):
    return {"source_department_id": org.health_a.id, "source_kind": FactSource.ONLINE, **extra}


def test_every_kind_is_stored_with_its_provenance(org, session):
    entity = make_entity(org.clerk_a, 1)
    person = Person(name="张三", id_number="11010519491231002X")
    session.add(person)
    session.flush()
    facts = [
        Permit(entity_id=entity.id, permit_no="JY15101080000001", name="食品经营许可证", kind="食品经营",
               valid_from=date(2026, 1, 5), valid_to=date(2031, 1, 4), **provenance(org)),
        Penalty(entity_id=entity.id, decision_no="甲卫罚〔2026〕1号", decided_on=date(2026, 3, 1),
                amount=Decimal("500000.00"), **provenance(org)),
        SupervisionRecord(entity_id=entity.id, inspected_on=date(2026, 2, 1), result="未发现问题", **provenance(org)),
        Sanction(person_id=person.id, list_kind="失信被执行人", decided_on=date(2025, 6, 1), **provenance(org)),
        AbnormalListing(entity_id=entity.id, listed_on=date(2025, 7, 1), reason="未按期公示年报", **provenance(org)),
        CapitalContribution(entity_id=entity.id, person_id=person.id, shareholder="张三",
                            subscribed_amount=Decimal("100"), paid_amount=Decimal("10"), **provenance(org)),
        Officer(entity_id=entity.id, person_id=person.id, role="法定代表人", **provenance(org)),
        ClusterAddress(address="甲区科技路1号", agent_name="甲区商务秘书有限公司", **provenance(org)),
        Complaint(entity_id=entity.id, received_on=date(2026, 4, 1), subject="食品过期", **provenance(org)),
        Lawsuit(entity_id=entity.id, case_no="（2026）川0108民初1号", role="被告", **provenance(org)),
        OtherFact(entity_id=entity.id, category="股权冻结", title="冻结股权50%", **provenance(org)),
    ]
    session.add_all(facts)
    session.flush()
    session.expire_all()
    for fact in facts:
        stored = session.get(type(fact), fact.id)
        assert stored.current is True and stored.replaces_id is None
        assert stored.source_kind == FactSource.ONLINE and stored.source_label == "在线填报"
        assert stored.source_department.name == "甲区卫生健康局"
        assert stored.received_at is not None
    sanction = session.get(Sanction, facts[3].id)
    assert sanction.person.masked_id_number == "1101**********002X" and sanction.entity is None
    assert session.get(Penalty, facts[1].id).amount == Decimal("500000.00")


def test_a_new_version_points_to_the_one_it_replaced(org, session):
    entity = make_entity(org.clerk_a, 2)
    first = Permit(entity_id=entity.id, permit_no="P-1", name="许可证", **provenance(org))
    session.add(first)
    session.flush()
    first.current = False
    second = Permit(entity_id=entity.id, permit_no="P-1", name="许可证", status="注销", replaces_id=first.id,
                    **provenance(org, source_kind=FactSource.IMPORT))
    session.add(second)
    session.flush()
    live = db.session.query(Permit).filter_by(permit_no="P-1", current=True).all()
    assert [p.id for p in live] == [second.id]
    assert session.get(Permit, second.id).replaces_id == first.id


@pytest.mark.parametrize(
    "build",
    [
        # 止 before 起
        lambda e, p, o: Permit(entity_id=e, permit_no="X", name="X", valid_from=date(2026, 5, 1),
                               valid_to=date(2026, 4, 30), **provenance(o)),
        lambda e, p, o: Permit(entity_id=e, permit_no="X", name="X", status="作废", **provenance(o)),
        lambda e, p, o: Permit(entity_id=None, permit_no="X", name="X", **provenance(o)),
        lambda e, p, o: Penalty(entity_id=e, decision_no="X", decided_on=date(2026, 1, 1),
                                amount=Decimal("-1"), **provenance(o)),
        # a sanction concerns an entity or a person, not both and not neither
        lambda e, p, o: Sanction(entity_id=e, person_id=p, list_kind="失信被执行人", decided_on=date(2026, 1, 1),
                                 **provenance(o)),
        lambda e, p, o: Sanction(list_kind="失信被执行人", decided_on=date(2026, 1, 1), **provenance(o)),
        lambda e, p, o: Sanction(entity_id=e, list_kind="黑名单", decided_on=date(2026, 1, 1), **provenance(o)),
        lambda e, p, o: Officer(entity_id=e, role="董事", **provenance(o)),
        lambda e, p, o: Officer(entity_id=e, person_id=p, role="会计", **provenance(o)),
        lambda e, p, o: CapitalContribution(entity_id=e, shareholder="甲", method="期权", **provenance(o)),
        lambda e, p, o: CapitalContribution(entity_id=e, shareholder="甲", paid_amount=Decimal("-5"), **provenance(o)),
        lambda e, p, o: AbnormalListing(entity_id=e, listed_on=date(2026, 2, 1), removed_on=date(2026, 1, 1),
                                        **provenance(o)),
        lambda e, p, o: Lawsuit(entity_id=e, case_no="X", role="证人", **provenance(o)),
    ],
)
def test_the_database_refuses_what_no_kind_allows(org, session, build):
    entity = make_entity(org.clerk_a, 3)
    person = Person(name="李四", id_number="110105194912310029")
    session.add(person)
    session.flush()
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(build(entity.id, person.id, org))
        session.flush()


def test_a_person_is_known_once_by_id_number(org, session):
    session.add(Person(name="王五", id_number="110105194912310029"))
    session.flush()
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(Person(name="王五五", id_number="110105194912310029"))
        session.flush()


def test_pending_fact_keeps_the_record_as_received(org, session):
    pending = PendingFact(kind="permit", payload={"统一社会信用代码": "91510108MA6D000013", "valid_from": "2026-01-05"},
                          reason="未匹配", detail="未找到统一社会信用代码为91510108MA6D000013的市场主体",
                          source_department_id=org.health_a.id, source_kind=FactSource.EXCHANGE)
    session.add(pending)
    session.flush()
    session.expire_all()
    stored = session.get(PendingFact, pending.id)
    assert stored.payload["统一社会信用代码"] == "91510108MA6D000013"
    assert stored.open and stored.source_kind == FactSource.EXCHANGE
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(PendingFact(kind="permit", payload={}, reason="丢弃", source_department_id=org.health_a.id,
                                source_kind=FactSource.ONLINE))
        session.flush()
