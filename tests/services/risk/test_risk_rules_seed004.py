"""The warnings of seed 004 §6 (services/risk/rules_*.py): entities that just meet and just miss
each condition, judged on TODAY; 经营异常 with facts that arrive out of order."""

from __future__ import annotations

from models import (
    AbnormalListing,
    MarketEntity,
    OtherFact,
    Penalty,
    Permit,
    ResultCategory,
    SupervisionRecord,
)
from tests.factories.dossier import fact
from tests.factories.followups import published_record
from tests.factories.risk import day, entity, hits, listed


def _permit(org, e, status="有效", valid_to=None):
    return fact(Permit, org.health_a, entity_id=e.id, permit_no=f"P-{e.id}-{status}", name="食品经营许可证",
                status=status, valid_from=day(-1000), valid_to=valid_to)


def test_permit_expiring_within_days_before(org):
    at_limit, past_limit, expired, revoked = (entity(org) for _ in range(4))
    _permit(org, at_limit, valid_to=day(30))
    _permit(org, past_limit, valid_to=day(31))
    _permit(org, expired, valid_to=day(-1))
    _permit(org, revoked, "吊销", valid_to=day(10))
    assert hits("permit_expiring") == {at_limit.id}
    assert hits("permit_expiring", {"days_before": 31}) == {at_limit.id, past_limit.id}


def test_deregistered_and_licence_revoked(org):
    cancelled, active = entity(org, status="cancelled"), entity(org)
    revoked_licence = entity(org, status="revoked")
    revoked_permit, withdrawn_permit = entity(org), entity(org)
    _permit(org, revoked_permit, "吊销")
    _permit(org, withdrawn_permit, "撤销")
    assert hits("deregistered") == {cancelled.id}
    assert active.id not in hits("deregistered")
    assert hits("licence_revoked") == {revoked_licence.id, revoked_permit.id}


def test_lost_contact_after_repeated_failures(org, session):
    twice, once = entity(org), entity(org)
    for e, count in ((twice, 2), (once, 1)):
        for n in range(count):
            fact(SupervisionRecord, org.health_a, entity_id=e.id, inspected_on=day(-10 - n), department="甲区卫生健康局",
                 kind="日常检查", result="经营场所关闭，电话无法联系")
    fact(SupervisionRecord, org.health_a, entity_id=once.id, inspected_on=day(-3), result="正常经营")
    assert hits("lost_contact") == {twice.id}
    record = published_record(org, result=ResultCategory.UNREACHABLE, note="")
    assert record.entity_id not in hits("lost_contact")
    listed(org, session.get(MarketEntity, record.entity_id), reason="通过登记的住所或者经营场所无法联系")
    assert record.entity_id in hits("lost_contact")  # an own record and an abnormal listing: twice


def test_abnormal_list_in_force(org):
    on_list, removed, relisted = entity(org), entity(org), entity(org)
    listed(org, on_list)
    listed(org, removed, on=day(-100), removed_on=day(-1), removal_reason="补报年报")
    listed(org, relisted, on=day(-300), removed_on=day(-200), removal_reason="补报年报")
    listed(org, relisted, on=day(-20))
    assert hits("abnormal_list") == {on_list.id, relisted.id}


def test_abnormal_removal_received_before_its_listing(org):
    """The 移出 arrives first (a version with 列入 and 移出), then the 列入 alone as a newer
    version: the entity stays off the list."""
    e = entity(org)
    removal = listed(org, e, on=day(-60), removed_on=day(-5), removal_reason="已补报")
    removal.current = False
    fact(AbnormalListing, org.bureau_a, entity_id=e.id, listed_on=day(-60), reason="未按期公示年度报告",
         replaces_id=removal.id)
    assert hits("abnormal_list") == set()
    # a later, separate listing is in force again
    listed(org, e, on=day(-2))
    assert hits("abnormal_list") == {e.id}


def test_case_filed_until_a_penalty_is_decided(org):
    open_case, decided = entity(org), entity(org)
    for e in (open_case, decided):
        fact(OtherFact, org.bureau_a, entity_id=e.id, category="正被立案", title="涉嫌虚假宣传立案",
             occurred_on=day(-40))
    fact(Penalty, org.bureau_a, entity_id=decided.id, decision_no="甲市监罚〔2026〕1号", decided_on=day(-40),
         violation="虚假宣传")
    fact(Penalty, org.bureau_a, entity_id=open_case.id, decision_no="甲市监罚〔2026〕2号", decided_on=day(-41),
         violation="旧案")
    assert hits("case_filed") == {open_case.id}


def test_case_filed_on_an_own_record(org, session):
    from models import CaseFiling

    record = published_record(org)
    session.add(CaseFiling(record_id=record.id, case_no="甲市监立〔2026〕7号", filed_on=day(-3)))
    session.flush()
    assert record.entity_id in hits("case_filed")
