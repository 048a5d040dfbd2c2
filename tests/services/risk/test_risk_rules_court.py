"""司法送达失败预警 (表34; services/risk/rules_court.py): an entity with a case whose 未送达 was not
followed by a 送达 (dated on or after it) — just meets and just misses, on both databases."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from models import RiskWarning, db
from services.risk.catalogue import BY_CODE
from services.risk.evaluate import evaluate
from services.risk.evidence import evidence_link
from tests.factories.court import court_client, feed
from tests.factories.risk import entity, hits, rule

D1, D0, D2 = date(2026, 11, 1), date(2026, 10, 31), date(2026, 11, 2)


@pytest.fixture()
def court(org, make_user):
    return court_client(make_user, org)


def test_the_rule_is_in_the_catalogue_with_a_stable_code(session):
    assert BY_CODE["court_unserved"].name == "司法送达失败预警" and BY_CODE["court_unserved"].source == "表34"
    assert rule("court_unserved").source == "表34"  # seeded by migration 0032


def test_unserved_without_a_later_service_just_meets(org, court):
    unserved, earlier_served, same_day_served, later_served, served_only = (entity(org) for _ in range(5))
    feed(court, unserved, on=D1)
    feed(court, earlier_served, result="送达", on=D0)  # a 送达 the day before does not cure it
    feed(court, earlier_served, on=D1)
    feed(court, same_day_served, on=D1)
    feed(court, same_day_served, result="送达", on=D1)  # served the same day: just misses
    feed(court, later_served, on=D1)
    feed(court, later_served, result="送达", on=D2)
    feed(court, served_only, result="送达", on=D1)
    assert hits("court_unserved") == {unserved.id, earlier_served.id}


def test_each_case_counts_on_its_own(org, court):
    target = entity(org)
    feed(court, target, case_no="(2026)川0108民初1号", on=D1)
    feed(court, target, case_no="(2026)川0108民初2号", result="送达", on=D2)  # another case's 送达
    assert hits("court_unserved") == {target.id}
    assert hits("court_unserved", entity_ids=[target.id]) == {target.id}
    assert hits("court_unserved", entity_ids=[entity(org).id]) == set()


def test_the_warning_links_to_the_case_and_closes_when_served(org, court, session):
    target = entity(org)
    outcome = feed(court, target, on=D1)
    warning = db.session.execute(select(RiskWarning).where(RiskWarning.entity_id == target.id)).scalar_one()
    assert warning.is_open and warning.department_id == target.department_id
    piece = warning.evidence[0]
    assert piece["kind"] == "court_case" and piece["id"] == outcome.case.id and "未送达" in piece["label"]
    assert evidence_link(piece, target.id) == ("court.case", {"case_id": outcome.case.id})
    evaluate(db.session, codes=["court_unserved"])  # the nightly full run agrees
    assert warning.is_open
    feed(court, target, result="送达", on=D2)
    db.session.refresh(warning)
    assert warning.status == "closed" and warning.reason == "预警条件不再满足"
