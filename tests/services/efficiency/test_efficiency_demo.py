"""The demo district shows 效能管理: rules with warnings, stalled work past them, figures in the
overview's periods and one 督办 waiting in someone's 我的待办."""

from __future__ import annotations

from sqlalchemy import select

from models import Urge, User
from models.efficiency import UrgeStatus
from services.efficiency import overdue, overview, urges
from services.efficiency.periods import custom_period


def test_demo_district_has_rules_stalled_work_and_an_urge(app, session):
    from cli.demo import load_demo

    load_demo()
    monitor = session.execute(select(User).where(User.account == "xiaolj")).scalar_one()
    warnings = overdue.rule_warnings(monitor)
    assert len(warnings) == 2 and max(warnings.values()) >= 3
    assert sum(c.count for c in overdue.by_department_and_process(monitor)) >= 3
    rep = overview.overview(monitor, "department", custom_period({}))
    totals = rep.totals
    assert totals[0] > 0 and totals[2] > 0 and rep.total_overdue >= 3  # 今日 and 上月
    urge = session.execute(select(Urge)).scalar_one()
    assert urge.status == UrgeStatus.OPEN and urge.sent_by_id == monitor.id
    assert any(urges.todo(r.user) == [urge] for r in urge.recipients)
    load_demo()
    assert len(session.execute(select(Urge)).all()) == 1
