"""The demo district shows the year's scorecard after ``flask demo`` (services/assessment/demo.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cli.demo import load_demo
from models import AssessmentRun
from services.assessment import runs
from services.assessment.demo import load_demo_assessment
from tests.factories.clock import freeze


@pytest.fixture(autouse=True)
def _frozen(monkeypatch):
    """Early November: the daily demo's ladder would reach into 2027, a year the holiday table
    does not cover yet, from a late-December day (services/daily/generate.py)."""
    freeze(monkeypatch)


def test_the_demo_year_has_a_scorecard_with_deductions(app, session):
    load_demo()
    session.commit()
    run = session.execute(select(AssessmentRun)).scalar_one()
    cards = {c.department.name: c for c in run.cards}
    assert run.year == 2026 and len(cards) == 8
    bureau = cards["成华区市场监督管理局"]
    assert {d.item for d in bureau.deductions} >= {"D3"} and bureau.total is not None and bureau.total < 100
    assert {d.item for d in cards["成华区卫生健康局"].deductions} >= {"D3", "R1", "R2"}
    assert all(c.scored or "不予评分" in c.reason for c in cards.values())
    assert cards["成华区应急管理局"].pending == 5  # its S2 is judged, the other five items wait
    assert runs.verify(run).same
    load_demo_assessment()  # loaded once
    assert len(session.execute(select(AssessmentRun)).all()) == 1
