"""The entity list's filters on collected facts (services/entity_fact_filters.py through
services/entity_search.py): valid permit of a kind today, abnormal list, penalised since, 失信."""

from __future__ import annotations

from datetime import date, timedelta

from models import AbnormalListing, Officer, Penalty, Permit, Sanction
from services import entity_search
from tests.factories.clock import CHINA_DAY, freeze
from tests.factories.directories import make_entity
from tests.factories.dossier import fact, person


def names(org, args) -> set[str]:
    filters = entity_search.parse_filters(args)
    page = entity_search.search_entities(org.clerk_a, filters)
    assert page.total == len(page.items)
    return {e.name.removeprefix("甲区测试").removesuffix("餐饮有限公司") for e in page.items}


def test_fact_filters(org, session, monkeypatch):
    freeze(monkeypatch)
    e = {n: make_entity(org.clerk_a, n) for n in range(7201, 7209)}
    d = org.health_a
    day = timedelta(days=1)
    fact(Permit, d, entity_id=e[7201].id, permit_no="P1", name="许可", kind="食品经营许可", valid_to=CHINA_DAY)
    fact(Permit, d, entity_id=e[7202].id, permit_no="P2", name="许可", kind="食品经营许可", valid_to=CHINA_DAY - day)
    fact(Permit, d, entity_id=e[7203].id, permit_no="P3", name="许可", kind="食品经营许可", status="吊销")
    fact(Permit, d, entity_id=e[7204].id, permit_no="P4", name="许可", kind="食品经营许可", current=False)
    fact(Permit, d, entity_id=e[7205].id, permit_no="P5", name="许可", kind="食品经营许可", valid_from=CHINA_DAY + day)
    fact(Permit, d, entity_id=e[7206].id, permit_no="P6", name="许可", kind="药品经营许可")
    assert names(org, {"permit": "食品经营许可"}) == {"7201"}
    fact(AbnormalListing, d, entity_id=e[7201].id, listed_on=date(2025, 1, 1))
    fact(AbnormalListing, d, entity_id=e[7202].id, listed_on=date(2025, 1, 1), removed_on=date(2025, 6, 1))
    assert names(org, {"abnormal": "1"}) == {"7201"}
    fact(Penalty, d, entity_id=e[7203].id, decision_no="F1", decided_on=date(2025, 1, 1))
    fact(Penalty, d, entity_id=e[7204].id, decision_no="F2", decided_on=date(2024, 12, 31))
    assert names(org, {"penalised": "2025-01-01"}) == {"7203"}
    assert names(org, {"penalised": "2024-12-31"}) == {"7203", "7204"}
    rep, director, gone = person("法人甲", "19800101001"), person("董事乙", "19800101002"), person("前任丙", "19800101003")
    fact(Sanction, d, entity_id=e[7205].id, list_kind="严重违法失信名单", decided_on=date(2025, 1, 1))
    fact(Sanction, d, entity_id=e[7206].id, list_kind="严重违法失信名单", decided_on=date(2024, 1, 1),
         valid_until=CHINA_DAY - day)  # expired
    for who in (rep, director, gone):
        fact(Sanction, d, person_id=who.id, list_kind="失信被执行人", decided_on=date(2025, 1, 1))
    fact(Officer, d, entity_id=e[7207].id, person_id=rep.id, role="法定代表人")
    fact(Officer, d, entity_id=e[7208].id, person_id=director.id, role="董事")  # not the legal representative
    fact(Officer, d, entity_id=e[7208].id, person_id=gone.id, role="法定代表人", to_date=date(2020, 1, 1))
    assert names(org, {"blacklisted": "1"}) == {"7205", "7207"}
    assert names(org, {"blacklisted": "1", "abnormal": "1"}) == set()
    # another district's clerk finds none of them
    page = entity_search.search_entities(org.clerk_b, entity_search.parse_filters({"abnormal": "1"}))
    assert page.items == []


def test_fact_filter_arguments_round_trip_and_bad_dates_are_noted():
    f = entity_search.parse_filters({"permit": " 食品经营许可 ", "abnormal": "on", "penalised": "2025-01-01",
                                     "blacklisted": "1"})
    assert f.as_args() == {"permit": "食品经营许可", "abnormal": "1", "penalised": "2025-01-01", "blacklisted": "1"}
    bad = entity_search.parse_filters({"penalised": "去年"})
    assert bad.penalised_since is None and "处罚日期" in bad.problems[0]
