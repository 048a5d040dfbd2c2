"""The eight indicators of 表26 (services/risk/rules_*.py): for each, entities that just meet
its condition and entities that just miss it, judged on TODAY."""

from __future__ import annotations

from decimal import Decimal

from models import (
    CapitalContribution,
    ClusterAddress,
    Complaint,
    Lawsuit,
    Officer,
    OtherFact,
    Permit,
    Sanction,
)
from services import entities
from tests.factories.dossier import fact
from tests.factories.risk import day, entity, hits, listed, someone


def test_address_abnormal_three_listed_entities_flag_the_others(org):
    three = [entity(org, domicile="甲区建设路1号") for _ in range(4)]
    for e in three[:3]:
        listed(org, e)
    two = [entity(org, domicile="甲区建设路2号") for _ in range(3)]
    for e in two[:2]:
        listed(org, e)
    cluster = [entity(org, domicile="甲区集群路8号") for _ in range(4)]
    for e in cluster[:3]:
        listed(org, e)
    fact(ClusterAddress, org.bureau_a, address="甲区集群路8号", agent_name="甲区商务秘书有限公司")
    assert hits("address_abnormal") == {three[3].id}  # 3户及以上; the listed ones are not "other"
    assert hits("address_abnormal", {"min_entities": 2}) == {three[3].id, two[2].id}
    assert hits("address_abnormal", {"min_entities": 4}) == set()


def test_address_abnormal_counts_only_listings_in_force(org):
    at = [entity(org, domicile="甲区建设路3号") for _ in range(4)]
    for e in at[:2]:
        listed(org, e)
    listed(org, at[2], removed_on=day(-1), removal_reason="补报年报")
    assert hits("address_abnormal") == set()


def test_cluster_registration_agent_listed_or_revoked(org):
    bad_agent = entity(org, name="甲区坏秘书有限公司")
    listed(org, bad_agent)
    revoked_agent = entity(org, name="甲区吊销秘书有限公司", status="revoked")
    good_agent = entity(org, name="甲区好秘书有限公司")
    via_bad, via_revoked, via_good, at_address = (entity(org) for _ in range(4))
    at_address.domicile = "甲区秘书路9号"
    for tenant, agent in ((via_bad, bad_agent), (via_revoked, revoked_agent), (via_good, good_agent)):
        fact(ClusterAddress, org.bureau_a, entity_id=tenant.id, address="甲区秘书路1号", agent_name=agent.name,
             agent_code=agent.uscc)
    fact(ClusterAddress, org.bureau_a, address="甲区秘书路9号", agent_name=bad_agent.name, agent_code=bad_agent.uscc)
    assert hits("cluster_registration") == {via_bad.id, via_revoked.id, at_address.id}


def test_capital_unpaid_when_short_and_due_date_passed(org):
    short_due, short_today, paid = entity(org), entity(org), entity(org)
    for e, due, amount in ((short_due, day(-1), "10"), (short_today, day(0), "10"), (paid, day(-1), "100")):
        fact(CapitalContribution, org.bureau_a, entity_id=e.id, shareholder="股东甲", subscribed_amount=Decimal("100"),
             paid_amount=Decimal(amount), due_date=due, year=2025)
    # the latest report counts: an older year's shortfall, paid since
    later = entity(org)
    fact(CapitalContribution, org.bureau_a, entity_id=later.id, shareholder="股东乙", subscribed_amount=Decimal("100"),
         paid_amount=Decimal("0"), due_date=day(-400), year=2024)
    fact(CapitalContribution, org.bureau_a, entity_id=later.id, shareholder="股东乙", subscribed_amount=Decimal("100"),
         paid_amount=Decimal("100"), due_date=day(-400), year=2025)
    assert hits("capital_unpaid") == {short_due.id}


def test_capital_method_changed_without_filing(org):
    changed, same, filed = entity(org), entity(org), entity(org)
    for e, old, new in ((changed, "货币", "非货币"), (same, "货币", "货币"), (filed, "非货币", "货币")):
        fact(CapitalContribution, org.bureau_a, entity_id=e.id, shareholder="股东丙", method=old, year=2024)
        fact(CapitalContribution, org.bureau_a, entity_id=e.id, shareholder="股东丙", method=new, year=2025)
    fact(OtherFact, org.bureau_a, entity_id=filed.id, category="出资方式变更备案", title="备案", occurred_on=day(-10))
    assert hits("capital_method") == {changed.id}


def _office(org, e, role, list_kind, **sanction):
    who = someone()
    fact(Officer, org.bureau_a, entity_id=e.id, person_id=who.id, role=role, from_date=day(-900),
         to_date=sanction.pop("to_date", None))
    fact(Sanction, org.bureau_a, person_id=who.id, list_kind=list_kind, decided_on=sanction.pop("decided_on", day(-5)),
         **sanction)


def test_officer_dishonest_legal_rep_executed_or_executive_listed(org):
    rep, rep_other_list, supervisor, removed, former = (entity(org) for _ in range(5))
    _office(org, rep, "法定代表人", "失信被执行人")
    _office(org, rep_other_list, "法定代表人", "严重违法失信名单")  # 法定代表人: 失信被执行人 only
    _office(org, supervisor, "监事", "其他失信名单")
    _office(org, removed, "法定代表人", "失信被执行人", removed_on=day(0))
    _office(org, former, "经理", "失信被执行人", to_date=day(-1))
    assert hits("officer_dishonest") == {rep.id, supervisor.id}


def test_permit_lapsed_unless_scope_changed(org):
    revoked, expired, today, cancelled, changed = (entity(org) for _ in range(5))
    for e, status, valid_to in ((revoked, "吊销", day(100)), (expired, "有效", day(-1)), (today, "有效", day(0)),
                                (cancelled, "注销", day(100)), (changed, "过期", day(-10))):
        fact(Permit, org.health_a, entity_id=e.id, permit_no=f"P-{e.id}", name="食品经营许可证", status=status,
             valid_from=day(-1000), valid_to=valid_to)
    entities.update_entity(org.clerk_a, changed, {**_form(changed), "business_scope": "餐饮管理（不含食品经营）"})
    assert hits("permit_lapsed") == {revoked.id, expired.id}


def _form(e):
    return {"name": e.name, "uscc": e.uscc, "entity_type": e.entity_type.value, "division_code": e.division_code,
            "industry_code": e.industry_code, "status": e.status.value}


def test_complaints_three_within_ninety_days(org):
    inside, outside = entity(org), entity(org)
    for e, oldest in ((inside, day(-89)), (outside, day(-90))):
        for n, on in enumerate((oldest, day(-5), day(0))):
            fact(Complaint, org.bureau_a, entity_id=e.id, received_on=on, subject=f"投诉{n}")
    assert hits("complaints") == {inside.id}
    assert hits("complaints", {"min_count": 2}) == {inside.id, outside.id}
    assert hits("complaints", {"window_days": 91}) == {inside.id, outside.id}


def test_lawsuits_two_within_ninety_days(org):
    two, one = entity(org), entity(org)
    for e, count in ((two, 2), (one, 1)):
        for n in range(count):
            fact(Lawsuit, org.bureau_a, entity_id=e.id, case_no=f"（2026）川0108民初{e.id}{n}号", filed_on=day(-n * 30),
                 role="被告")
    fact(Lawsuit, org.bureau_a, entity_id=one.id, case_no="（2026）川0108民初1号", filed_on=day(-90), role="被告")
    assert hits("lawsuits") == {two.id}
