"""The demo district shows warnings of every kind after ``flask demo`` (services/demo_risk.py)."""

from __future__ import annotations

from sqlalchemy import func, select

from cli.demo import load_demo
from models import RiskRule, RiskWarning
from services.demo_risk import load_demo_risk
from services.risk.catalogue import CATALOGUE


def open_by_rule(session) -> dict[str, int]:
    rows = session.execute(select(RiskRule.code, func.count(RiskWarning.id)).join(RiskWarning)
                           .where(RiskWarning.status == "open").group_by(RiskRule.code))
    return dict(rows.all())


def test_every_rule_has_an_open_warning_in_the_demo(app, session):
    load_demo()
    session.commit()
    found = open_by_rule(session)
    assert {r.code for r in CATALOGUE} == {code for code, n in found.items() if n > 0}, found
    again = load_demo_risk()  # loaded once; the run changes nothing more
    assert again is not None and again.opened == 0 and again.closed == 0, [r for r in again.rules if r.opened or r.closed]
    assert open_by_rule(session) == found
