"""services/efficiency: the overview, the 超期 rules in working days, the lists, 督办 and the workload."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from infrastructure.errors import Conflict, Forbidden, Invalid
from models import Message, Urge
from models.efficiency import UrgeStatus
from services.efficiency import overdue, overview, rules, urges, work, workload
from services.efficiency.periods import custom_period, standard_periods
from services.todo_count import todo_count
from tests.factories.clock import freeze
from tests.factories.efficiency import NOW, rule
from tests.factories.efficiency import work as make_work


def test_periods_are_china_days(monkeypatch):
    freeze(monkeypatch, datetime(2026, 12, 7, 23, 30))  # Tuesday 8 December, 07:30 in China
    today, last_week, last_month = standard_periods()
    assert today.first == date(2026, 12, 8)
    assert (last_week.first, last_week.last) == (date(2026, 11, 30), date(2026, 12, 6))
    assert (last_month.first, last_month.last) == (date(2026, 11, 1), date(2026, 11, 30))
    assert today.start == datetime(2026, 12, 7, 16, 0)
    with pytest.raises(Invalid, match="结束日期不能早于开始日期"):
        custom_period({"from": "2026-12-08", "to": "2026-12-01"})
    with pytest.raises(Invalid, match="不是有效日期"):
        custom_period({"from": "昨天"})


def test_overview_counts_by_period_department_and_process(org, session, monkeypatch):
    freeze(monkeypatch, NOW)
    make_work(org.clerk_a, "今日办结", datetime(2026, 12, 7, 1), done=datetime(2026, 12, 8, 1))
    make_work(org.clerk_a, "上周办结", datetime(2026, 12, 1, 1), done=datetime(2026, 12, 2, 1))
    make_work(org.clerk_a, "上月办结", datetime(2026, 11, 2, 1), done=datetime(2026, 11, 10, 1))
    make_work(org.clerk_a, "在办", datetime(2026, 12, 7, 1))
    make_work(org.health_clerk, "卫健在办", datetime(2026, 12, 7, 1))
    make_work(org.clerk_b, "乙区办结", datetime(2026, 12, 7, 1), done=datetime(2026, 12, 8, 1))
    custom = custom_period({"from": "2026-11-01", "to": "2026-12-08"})
    rep = overview.overview(org.office_user, "department", custom)
    rows = {r.name: r for r in rep.rows}
    assert rows["甲区市场监督管理局"].counts == [1, 1, 1, 3]
    assert rows["甲区市场监督管理局"].open == 1
    assert rows["甲区卫生健康局"].open == 1 and rows["甲区卫生健康局"].counts == [0, 0, 0, 0]
    assert "乙区市场监督管理局" not in rows  # another district
    assert sum(n for _, n in rep.trend) == 3 and len(rep.trend) == 38
    by_process = overview.overview(org.office_user, "process", custom)
    assert [r.key for r in by_process.rows] == [7] and by_process.rows[0].name.startswith("表7 ")
    assert by_process.distribution[0] == ("甲区市场监督管理局", 3)
    # a leader sees the department and below only
    mine = overview.overview(org.leader_a, "department", custom)
    assert {r.name for r in mine.rows} == {"甲区市场监督管理局"}


def test_overdue_counts_working_days_of_the_holiday_table(org, session, monkeypatch):
    freeze(monkeypatch, NOW)  # Tuesday 8 December 2026
    five = rule(org, 5)
    # created Monday 30 November: due 7 December (5 working days), past on the 8th
    late = make_work(org.clerk_a, "超期", datetime(2026, 11, 30, 2))
    # created Tuesday 1 December: due 8 December, not yet past
    make_work(org.clerk_a, "未超期", datetime(2026, 12, 1, 2))
    make_work(org.clerk_a, "已办结", datetime(2026, 11, 1, 2), done=datetime(2026, 11, 20, 2))
    assert [c.count for c in overdue.by_department_and_process(org.office_user)] == [1]
    assert overdue.rule_warnings(org.office_user) == {five.id: 1}
    listed = work.listing(org.office_user, work.parse_filters({"state": "overdue"}))
    assert [i.id for i in listed.items] == [late.id] and listed.overdue == {late.id}
    five.active = False
    session.flush()
    assert overdue.by_department_and_process(org.office_user) == []


def test_rule_for_one_process_and_rule_editing(org, session, monkeypatch):
    freeze(monkeypatch, NOW)
    make_work(org.clerk_a, "旧事项", datetime(2026, 11, 2, 2))
    rule(org, 3, table=12, name="联合事项3日")
    assert overdue.by_department_and_process(org.office_user) == []
    with pytest.raises(Forbidden):
        rules.save_rule(org.leader_a, None, {"name": "x", "working_days": "3"})
    with pytest.raises(Invalid, match="1至365"):
        rules.save_rule(org.office_user, None, {"name": "x", "working_days": "0"})
    saved = rules.save_rule(org.office_user, None, {"name": "全部业务10日", "working_days": "10"})
    assert saved.department_id == org.district_a.id
    assert [c.count for c in overdue.by_department_and_process(org.office_user)] == [1]
    assert rules.rules_of(org.leader_b) == []


def test_urge_notifies_assignee_and_leader_and_tracks_the_answer(org, session, monkeypatch):
    freeze(monkeypatch, NOW)
    item = make_work(org.clerk_a, "待办事项", datetime(2026, 11, 2, 2))
    urge = urges.send(org.office_user, item, "请于本周内办结")
    names = {r.user.name for r in urge.recipients}
    assert names == {"王晓燕", "李建国", "赵副局长"}  # the clerk who can act and the bureau's leaders
    assert session.execute(select(Message).where(Message.user_id == org.clerk_a.id)).scalars().first().subject \
        .startswith("督办：待办事项")
    assert urges.todo(org.clerk_a) == [urge]
    before = todo_count(org.clerk_a)
    with pytest.raises(Conflict, match="已有督办"):
        urges.send(org.office_user, item, "再次督办")
    with pytest.raises(Forbidden):
        urges.answer(org.health_clerk, urge, "x")
    with pytest.raises(Invalid, match="请填写办理情况"):
        urges.answer(org.clerk_a, urge, " ")
    urges.answer(org.clerk_a, urge, "已安排，明日办结")
    assert urge.status == UrgeStatus.ANSWERED and urges.todo(org.clerk_a) == []
    assert todo_count(org.clerk_a) == before - 1
    with pytest.raises(Conflict, match="已回复"):
        urges.answer(org.leader_a, urge, "x")
    events = [e.kind for e in work.timeline(item.instance)]
    assert events[0] == "step" and events[-2:] == ["urge", "answer"]


def test_urge_on_a_closed_item_is_refused_in_chinese(org, session, monkeypatch):
    freeze(monkeypatch, NOW)
    done = make_work(org.clerk_a, "已办结事项", datetime(2026, 11, 2, 2), done=datetime(2026, 11, 3, 2))
    with pytest.raises(Conflict, match="该业务已办结或已撤销，不能督办"):
        urges.send(org.office_user, done, "请办理")
    assert session.execute(select(Urge)).first() is None
    open_b = make_work(org.clerk_b, "乙区事项", datetime(2026, 11, 2, 2))
    with pytest.raises(Forbidden):
        urges.send(org.office_user, open_b, "越区督办")


def test_workload_by_department_date_process_and_officer(org, session, monkeypatch):
    freeze(monkeypatch, NOW)
    rule(org, 5)
    make_work(org.clerk_a, "一", datetime(2026, 12, 1, 2), done=datetime(2026, 12, 1, 8))  # 6 hours
    make_work(org.clerk_a, "二", datetime(2026, 12, 1, 2), done=datetime(2026, 12, 1, 4))  # 2 hours
    make_work(org.clerk_a, "三", datetime(2026, 11, 20, 2))  # open and past 5 working days
    make_work(org.health_clerk, "四", datetime(2026, 12, 7, 2))
    period = custom_period({"from": "2026-11-01", "to": "2026-12-08"})
    rep = workload.workload(org.office_user, "department", period)
    bureau = next(r for r in rep.rows if r.name == "甲区市场监督管理局")
    assert (bureau.total, bureau.done, bureau.open, bureau.overdue, bureau.hours) == (3, 2, 1, 1, 4.0)
    assert rep.total("total") == 4
    by_date = workload.workload(org.office_user, "date", period)
    assert [(r.key, r.total) for r in by_date.rows] == [("2026-11-20", 1), ("2026-12-01", 2), ("2026-12-07", 1)]
    by_officer = workload.workload(org.office_user, "officer", period)
    assert any(r.name == "王晓燕（甲区市场监督管理局）" and r.done == 2 for r in by_officer.rows)
    assert workload.workload(org.office_user, "process", period).rows[0].key == 7
    listed = work.listing(org.office_user, work.parse_filters({"state": "done", "officer": str(org.clerk_a.id)}))
    assert listed.total == 2
