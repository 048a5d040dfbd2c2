"""Each automatic rule with records that just meet and just miss its deadline (2026-06-01 is a
Monday; 5 working days later is Monday 2026-06-08, 1 working day later Tuesday 2026-06-02),
its cap, the no-data card, the judged items and the year checks."""

from __future__ import annotations

from datetime import date

import pytest

from infrastructure.errors import Invalid
from models import AssessmentJudgement, db
from models.facts import AbnormalListing, FactSource, Permit, Sanction
from models.notice import NoticeStatus
from services.assessment import runs
from tests.factories import assessment as f


def _cards(org):
    return {c.unit.id: c for c in runs.compute(org.district_a, 2026, f.AS_OF)}


def _found(card, item):
    return [(d.record_kind, d.record_id, d.points) for d in card.deductions if d.item == item]


def test_units_are_the_district_bureaus(org):
    names = [u.name for u in runs.units_of(org.district_a)]
    assert set(names) == {"甲区市场监督管理局", "甲区卫生健康局", "甲区应急管理局"}


def test_sanction_entered_on_the_fifth_working_day_in_china_meets_the_next_misses(org, session):
    on_time = f.fact(Sanction, org.bureau_a, f.cn(2026, 6, 8, 23, 30), list_kind="严重违法失信名单",
                     decided_on=date(2026, 6, 1), entity_id=f.entity(org).id)
    # 07:00 on 9 June in China is still 8 June in UTC: the rule reads China days.
    late = f.fact(Sanction, org.section_a, f.cn(2026, 6, 9, 7, 0), list_kind="严重违法失信名单",
                  decided_on=date(2026, 6, 1), entity_id=f.entity(org).id)
    card = _cards(org)[org.bureau_a.id]
    assert _found(card, "D3") == [("fact_sanction", late.id, 5)]
    assert on_time.id != late.id
    assert card.areas["sharing"] == 25 and card.deductions[0].on_date == date(2026, 6, 8)


def test_warning_information_late_is_capped_at_20(org, session):
    late = [f.fact(AbnormalListing, org.health_a, f.cn(2026, 3, 20 + i, 10), listed_on=date(2026, 3, 2),
                   reason="无法联系", entity_id=f.entity(org).id) for i in range(5)]
    card = _cards(org)[org.health_a.id]
    assert [p for _, _, p in _found(card, "D3")] == [5, 5, 5, 5, 0]
    assert {i for _, i, _ in _found(card, "D3")} == {x.id for x in late}
    assert card.areas["sharing"] == 10


def test_system_data_counts_only_facts_from_a_system(org, session):
    kw = {"permit_no": "P1", "name": "食品经营许可证", "valid_from": date(2026, 6, 1), "entity_id": f.entity(org).id}
    via_system = f.fact(Permit, org.bureau_a, f.cn(2026, 6, 9, 9), FactSource.EXCHANGE, **kw)
    f.fact(Permit, org.bureau_a, f.cn(2026, 6, 9, 9), FactSource.ONLINE, **{**kw, "permit_no": "P2"})
    f.fact(Permit, org.bureau_a, f.cn(2026, 6, 8, 9), FactSource.EXCHANGE, **{**kw, "permit_no": "P3"})
    assert _found(_cards(org)[org.bureau_a.id], "D2") == [("fact_permit", via_system.id, 5)]


def test_receipts_within_one_working_day(org, session):
    f.notice(org, org.health_a, f.cn(2026, 6, 1, 10), f.cn(2026, 6, 2, 23, 0))
    late = f.notice(org, org.health_a, f.cn(2026, 6, 1, 10), f.cn(2026, 6, 3, 8, 0))
    never = f.sanction_task(org, org.health_a, f.cn(2026, 6, 1, 10))
    f.sanction_task(org, org.health_a, f.cn(2026, 12, 15, 9))  # due after the cut-off: not counted
    clerk_digest = f.digest(org.health_clerk, f.cn(2026, 7, 1, 8), f.cn(2026, 7, 3, 9))
    found = _found(_cards(org)[org.health_a.id], "R1")
    assert sorted(found) == sorted([("scope_notice", late.id, 2), ("sanction_task", never.id, 2),
                                    ("risk_digest", clerk_digest.id, 2)])


def test_a_receipt_after_the_cutoff_reads_as_none(org, session):
    notice = f.notice(org, org.health_a, f.cn(2026, 12, 1, 10), f.cn(2026, 12, 18, 10))
    card = _cards(org)[org.health_a.id]
    assert ("scope_notice", notice.id, 2) in _found(card, "R1")
    assert "未接收响应" in next(d.detail for d in card.deductions if d.item == "R1")


def test_feedback_five_working_days_after_issue(org, session):
    ok = f.notice(org, org.health_a, f.cn(2026, 5, 20, 10), f.cn(2026, 5, 20, 11), status=NoticeStatus.ISSUED,
                  issued_on=date(2026, 6, 1), feedback_at=f.cn(2026, 6, 8, 20))
    late = f.notice(org, org.health_a, f.cn(2026, 5, 20, 10), f.cn(2026, 5, 20, 11), status=NoticeStatus.ISSUED,
                    issued_on=date(2026, 6, 1), feedback_at=f.cn(2026, 6, 9, 8))
    silent = f.notice(org, org.health_a, f.cn(2026, 10, 9, 10), f.cn(2026, 10, 9, 11))
    f.notice(org, org.health_a, f.cn(2026, 12, 1, 10), f.cn(2026, 12, 1, 11))  # 25 working days not yet over
    found = _found(_cards(org)[org.health_a.id], "R2")
    assert sorted(found) == sorted([("scope_notice", late.id, 2), ("scope_notice", silent.id, 2)])
    assert ok.id not in {i for _, i, _ in found}


def _answered(org):
    return f.notice(org, org.health_a, f.cn(2026, 6, 1, 10), f.cn(2026, 6, 1, 11), status=NoticeStatus.ISSUED,
                    issued_on=date(2026, 6, 2), feedback_at=f.cn(2026, 6, 3, 9))


def test_a_unit_without_records_is_not_scored_and_says_why(org, session):
    _answered(org)
    cards = _cards(org)
    empty = cards[org.safety_a.id]
    assert empty.status == "no_data" and empty.total is None and "不予评分" in empty.reason
    assert cards[org.health_a.id].status == "scored" and cards[org.health_a.id].total == 100


def test_judged_items_deduct_and_pending_ones_are_counted(org, session):
    _answered(org)
    judged = AssessmentJudgement(year=2026, department_id=org.health_a.id, item="S2", points=10, note="未明确联络员和管理员")
    db.session.add(judged)
    db.session.flush()
    card = _cards(org)[org.health_a.id]
    assert _found(card, "S2") == [("judgement", judged.id, 10)]
    assert card.areas["system"] == 10 and card.total == 90 and card.pending == 5


@pytest.mark.parametrize("year", [2016, 2027])
def test_years_outside_the_rules_are_refused(org, year):
    with pytest.raises(Invalid):
        runs.as_of_for(year)


def test_as_of_is_the_cutoff_or_today():
    assert runs.as_of_for(2026) == date(2026, 12, 15)
    assert runs.as_of_for(2025) == date(2025, 12, 15)
