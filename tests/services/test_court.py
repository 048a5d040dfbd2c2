"""services/court: reading the court's feedback, recording lookups and feedback with their 表34
instance, and what the 监管部门 read of them (scope, filters, statistics)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from models import CourtCase, CourtDelivery, ProcessInstance, db
from models.workflow import InstanceStatus
from services.court import queries, sharing
from tests.factories.api import api_user
from tests.factories.clock import freeze
from tests.factories.court import body, court_client, feed
from tests.factories.directories import make_entity


@pytest.fixture(autouse=True)
def _frozen(monkeypatch):
    freeze(monkeypatch)  # 2026-11-04 07:30 in China


@pytest.fixture()
def court(org, make_user):
    return court_client(make_user, org)


def test_read_feedback_names_every_wrong_field(org):
    entity = make_entity(org.clerk_a, 3501)
    sent = body(entity, result="送到了", on="2026/11/01", address="")
    sent["case"]["parties"] = [{"role": "原告"}, "x"]
    with pytest.raises(sharing.FeedbackInvalid) as caught:
        sharing.read_feedback(sent)
    assert set(caught.value.errors) == {"delivery.result", "delivery.date", "delivery.address",
                                        "case.parties[0].name", "case.parties[1]"}
    with pytest.raises(sharing.FeedbackInvalid):
        sharing.read_feedback([1, 2])
    fb = sharing.read_feedback(body(entity, on="2026-11-04"))  # today is accepted
    assert (fb.result, fb.served_on) == ("unserved", date(2026, 11, 4))


def test_case_status_reads_later_as_on_or_after():
    d = [CourtDelivery(result="unserved", served_on=date(2026, 11, 1)),
         CourtDelivery(result="served", served_on=date(2026, 11, 1))]
    assert sharing.case_status(d) == "served"
    d[1].served_on = date(2026, 10, 31)
    assert sharing.case_status(d) == "unserved"


def test_a_lookup_then_feedback_is_one_pass_of_table_34(org, court, session):
    entity = make_entity(org.clerk_a, 3502)
    first = sharing.record_lookup(court, None, entity, entity.uscc, ["法定代表人"])
    second = sharing.record_lookup(court, None, entity, entity.uscc, [])
    assert first.instance_id == second.instance_id and second.fields == "标识信息"
    outcome = feed(court, entity)
    assert outcome.delivery.instance_id == first.instance_id
    instance = db.session.get(ProcessInstance, first.instance_id)
    assert instance.status == InstanceStatus.COMPLETED and instance.department_id == court.department_id
    comments = {h.step_key: h.comment for h in instance.history if h.action == "next"}
    assert "未送达" in comments["serve"] and "成都市锦江区人民法院" in comments["feedback"]


def test_feedback_without_a_lookup_says_so_and_updates_the_case(org, court, session):
    entity = make_entity(org.clerk_a, 3503)
    feed(court, entity, on=date(2026, 11, 1))
    outcome = feed(court, entity, result="送达", on=date(2026, 11, 2), court="成都市中级人民法院")
    case = outcome.case
    assert case.court_name == "成都市中级人民法院" and case.status == "served" and len(case.deliveries) == 2
    assert case.deliveries[0].case_snapshot["court"] == "成都市锦江区人民法院"  # the history keeps what was sent
    instance = db.session.get(ProcessInstance, outcome.delivery.instance_id)
    assert "未经接口获取" in next(h.comment for h in instance.history if h.step_key == "fetch" and h.action == "next")
    again = feed(court, entity, result="送达", on=date(2026, 11, 2), court="成都市中级人民法院")
    assert again.created is False and again.delivery.id == outcome.delivery.id


def test_staff_see_the_calls_of_their_area_only(org, court, make_user, session):
    mine = make_entity(org.clerk_a, 3504)
    theirs = make_entity(org.clerk_b, 3505, division_code="510109001000")
    court_b = api_user(make_user, org.bureau_b)
    sharing.record_lookup(court, None, mine, mine.uscc, [])
    feed(court, mine)
    feed(court_b, theirs)
    page = queries.calls(org.clerk_a, queries.CallFilters())
    assert page.total == 2 and {c.entity.id for c in page.items} == {mine.id}
    assert queries.calls(org.clerk_b, queries.CallFilters()).total == 1
    only = queries.calls(org.clerk_a, queries.parse_call_filters({"kind": "feedback", "result": "unserved"}))
    assert [c.kind for c in only.items] == ["feedback"]
    assert queries.calls(org.clerk_a, queries.parse_call_filters({"result": "served"})).total == 0
    assert queries.calls(org.clerk_a, queries.parse_call_filters({"entity": mine.uscc.lower()})).total == 2
    assert queries.calls(org.clerk_a, queries.parse_call_filters({"until": "2026-11-03"})).total == 0
    assert not queries.case_visible(org.clerk_a, db.session.execute(
        select(CourtCase).where(CourtCase.entity_id == theirs.id)).scalar_one())


def test_statistics_by_china_day_and_month(org, court, session):
    a, b = make_entity(org.clerk_a, 3506), make_entity(org.clerk_a, 3507)
    sharing.record_lookup(court, None, a, a.uscc, [])
    feed(court, a)
    feed(court, b, result="送达")
    stats = queries.statistics(org.clerk_a, queries.parse_stat_filters({}))
    assert [(p.label, p.lookups, p.feedbacks, p.served, p.unserved) for p in stats.periods] == [
        ("2026-11-04", 1, 2, 1, 1)]  # 23:30 UTC on the 3rd is the 4th in China
    assert [(e.id, n, day) for e, n, day in stats.unserved_entities] == [(a.id, 1, date(2026, 11, 1))]
    monthly = queries.statistics(org.clerk_a, queries.parse_stat_filters({"by": "month"}))
    assert [p.label for p in monthly.periods] == ["2026-11"]
    assert queries.statistics(org.clerk_b, queries.parse_stat_filters({})).periods == []
    long = queries.parse_stat_filters({"since": "2025-01-01", "until": "2026-11-04"})
    assert long.by == "month" and long.problems
    assert db.session.execute(select(func.count()).select_from(CourtDelivery)).scalar_one() == 2
