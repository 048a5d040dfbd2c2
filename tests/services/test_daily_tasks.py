"""日常监管 (services/daily): categories, generation, manual and event tasks, 认领/退回, results
and the 提醒/警示/截止 ladder across the National Day holiday of 2026 (the calendar tables)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from infrastructure.errors import Conflict, Forbidden, Invalid
from models import Message, db
from models.daily import DailyTask, Escalation, TaskOrigin, TaskStatus
from models.roles import Role
from persistence.workdays import CalendarNotCovered
from services.daily import categories, claim, escalation, generate, officers, tasks
from services.daily.objects import supervisors_of
from services.daily.runs import daily_run
from tests.factories import daily as f


def _count(**where):
    query = select(func.count()).select_from(DailyTask)
    for key, value in where.items():
        query = query.where(getattr(DailyTask, key) == value)
    return db.session.execute(query).scalar_one()


def _messages(user):
    return [m.subject for m in db.session.execute(select(Message).where(Message.user_id == user.id)).scalars()]


@pytest.fixture()
def placed(org, session):
    """Two objects of 甲区市场监督管理局 in a 30-day category starting 30 September 2026, one with
    an officer."""
    food, other = f.entity(org, name="甲区小吃餐饮店"), f.entity(org, name="甲区餐饮配送中心")
    claim(session, org.bureau_a.id, [food.id, other.id], "claim", org.clerk_a)
    objs = {o.entity_id: o for o in supervisors_of(food.id) + supervisors_of(other.id)}
    officers.assign(org.clerk_a, [objs[food.id]], org.inspector_a.id)
    cat = f.category(org.bureau_a, starts_on=date(2026, 9, 30), ladder=(1, 2, 3), lead=3)
    assert categories.classify(session, cat) == 2
    return cat, objs[food.id], objs[other.id]


def test_category_cycle_zero_is_refused(org):
    data = {"name": "重点区域", "kind": "area", "cycle_days": "0", "keywords": "东大街"}
    with pytest.raises(Invalid, match="监管周期"):
        categories.save(org.clerk_a, data)
    with pytest.raises(Invalid, match="反馈表第1行"):
        categories.save(org.clerk_a, {**data, "cycle_days": "30", "form": "结论|单选"})
    cat = categories.save(org.clerk_a, {**data, "cycle_days": "30", "form": "结论|选择项|合格,不合格\n人数|数值项"})
    assert cat.form[0] == {"label": "结论", "type": "choice", "options": ["合格", "不合格"]}


def test_generation_is_idempotent_and_dispatches_to_the_officer(org, session, placed):
    cat, food, other = placed
    assert generate.generate(session, date(2026, 9, 26)).cycle == 0  # before the lead time
    first = generate.generate(session, date(2026, 9, 28))
    assert first.cycle == 2
    assert generate.generate(session, date(2026, 9, 28)).cycle == 0
    assert generate.generate(session, date(2026, 10, 20)).cycle == 0  # same period
    assert _count(category_id=cat.id) == 2
    mine = session.execute(select(DailyTask).where(DailyTask.object_id == food.id)).scalar_one()
    assert mine.status is TaskStatus.ASSIGNED and mine.officer_id == org.inspector_a.id
    assert session.execute(select(DailyTask.status).where(DailyTask.object_id == other.id)).scalar_one() \
        is TaskStatus.UNASSIGNED
    # working days across 国庆: 1 October to 7 October are holidays, 10 October a make-up day
    assert (mine.period_start, mine.remind_on, mine.warn_on, mine.due_on) == (
        date(2026, 9, 30), date(2026, 10, 8), date(2026, 10, 9), date(2026, 10, 10))
    assert generate.generate(session, date(2026, 10, 27)).cycle == 2  # the next period, 30 October


def test_a_year_without_a_holiday_table_waits_and_the_rest_is_generated(org, session, placed):
    cat, *_ = placed
    later = f.category(org.bureau_a, name="明年餐饮重点行业", starts_on=date(2027, 3, 1), ladder=(1, 2, 3), lead=3)
    assert categories.classify(session, later) == 2
    result = generate.generate(session, date(2027, 3, 1))
    # 2027 is not in the holiday table: no deadline is guessed, nothing of that category is
    # written, the reason is reported, and the other category's period (which needs 2027 too)
    # waits likewise; the run itself does not fail
    assert _count(category_id=later.id) == 0 and _count(category_id=cat.id) == 0
    assert any("2027年的节假日安排尚未录入" in reason and later.name in reason for reason in result.skipped)
    assert result.cycle == 0
    with pytest.raises(CalendarNotCovered):  # the calendar itself still refuses to guess
        generate.ladder(generate.WorkCalendar(), date(2027, 3, 1), (1, 2, 3))
    run = daily_run(session, date(2027, 3, 1))
    assert "未生成：" in run.summary() and "2027年的节假日安排尚未录入" in run.summary()


def test_escalation_ladder_across_the_holiday(org, session, placed, make_user):
    monitor = make_user(org.district_a, Role.EFFICIENCY, name="效能监察员")
    upper = make_user(org.district_a, Role.DEPT_LEADER, name="区领导")
    outsider = make_user(org.district_b, Role.EFFICIENCY, name="乙区效能监察")
    generate.generate(session, date(2026, 9, 28))
    task = session.execute(select(DailyTask).where(DailyTask.officer_id == org.inspector_a.id)).scalar_one()
    assert escalation.escalate(session, date(2026, 10, 5)).raised == {1: 0, 2: 0, 3: 0}
    assert escalation.escalate(session, date(2026, 10, 8)).raised[1] == 1
    assert escalation.escalate(session, date(2026, 10, 8)).messages == 0  # idempotent per day
    assert any("已到提醒时间" in s for s in _messages(org.inspector_a))
    assert escalation.todo(org.leader_a).warnings_count == 0
    escalation.escalate(session, date(2026, 10, 9))
    session.refresh(task)
    assert task.escalation == Escalation.WARNED
    assert any("警示" in s for s in _messages(org.leader_a))
    assert [t.id for t in escalation.todo(org.leader_a).warnings] == [task.id]
    assert escalation.warnings_query(monitor) is not None
    assert session.execute(escalation.warnings_query(monitor)).scalars().all() == []
    assert escalation.escalate(session, date(2026, 10, 10)).raised[3] == 0  # the deadline day itself
    assert escalation.escalate(session, date(2026, 10, 12)).raised[3] == 1
    for user in (monitor, upper):
        assert any("已超过截止时间" in s for s in _messages(user))
        assert task.id in [t.id for t in session.execute(escalation.warnings_query(user)).scalars()]
    assert _messages(outsider) == []
    assert session.execute(escalation.warnings_query(outsider)).scalars().all() == []


def test_claim_return_and_result(org, session, placed):
    cat, food, other = placed
    cat.form = [{"label": "是否亮证经营", "type": "yesno", "options": []},
                {"label": "从业人员数", "type": "number", "options": []}]
    generate.generate(session, date(2026, 9, 28))
    mine = session.execute(select(DailyTask).where(DailyTask.object_id == food.id)).scalar_one()
    waiting = session.execute(select(DailyTask).where(DailyTask.object_id == other.id)).scalar_one()
    assert [t.id for t in escalation.todo(org.clerk_a).to_assign] == [waiting.id]
    with pytest.raises(Forbidden):
        tasks.claim_task(org.inspector_a, waiting)
    tasks.claim_task(org.inspector_a, mine)
    with pytest.raises(Conflict):
        tasks.claim_task(org.inspector_a, mine)
    with pytest.raises(Invalid, match="“从业人员数”应为数值"):
        tasks.record_result(org.inspector_a, mine, {"f0": "是", "f1": "很多"})
    tasks.record_result(org.inspector_a, mine, {"f0": "是", "f1": "12"})
    assert mine.status is TaskStatus.DONE and mine.result == {"是否亮证经营": "是", "从业人员数": "12"}
    tasks.assign(org.clerk_a, waiting, org.inspector_a.id)
    with pytest.raises(Invalid, match="退回原因"):
        tasks.return_task(org.inspector_a, waiting, "")
    tasks.return_task(org.inspector_a, waiting, "不在本人辖区")
    assert waiting.status is TaskStatus.RETURNED and waiting.officer_id is None
    assert any("被退回" in s for s in _messages(org.clerk_a))


def test_manual_task_needs_the_leaders_approval(org, session):
    a = f.entity(org)
    data = {"title": "节前食品安全检查", "level": "紧急", "period_start": "2026-11-02", "period_end": "2026-11-20",
            "items": "食品安全", "requirements": "全覆盖", "entity": a.uscc, "officer_id": str(org.inspector_a.id),
            "area": "东片区"}
    with pytest.raises(Invalid, match="结束日期"):
        tasks.create_manual(org.clerk_a, {**data, "period_end": "2026-10-01"})
    task = tasks.create_manual(org.clerk_a, data)
    assert task.status is TaskStatus.PENDING_APPROVAL
    assert [t.id for t in escalation.todo(org.leader_a).approvals] == [task.id]
    with pytest.raises(Forbidden):
        tasks.approve(org.leader_b, task, True)
    with pytest.raises(Invalid, match="理由"):
        tasks.approve(org.leader_a, task, False, "")
    tasks.approve(org.leader_a, task, True)
    assert task.status is TaskStatus.ASSIGNED and task.due_on is not None
    assert [t.id for t in escalation.todo(org.inspector_a).mine] == [task.id]


def test_event_tasks_and_followups(org, session):
    a, b = f.entity(org), f.entity(org)
    foreign = f.entity(org, "b")
    with pytest.raises(Invalid, match="不在本部门辖区内"):
        tasks.create_event(org.clerk_a, {"origin": "complaint", "entity": foreign.uscc, "source_ref": "TS-1"})
    task = tasks.create_event(org.clerk_a, {"origin": "complaint", "entity": a.uscc, "source_ref": "12315-0001"})
    assert task.origin is TaskOrigin.COMPLAINT and task.status is TaskStatus.UNASSIGNED
    f.permit(a, org.bureau_a, valid_from=date(2026, 10, 20))
    f.penalty(b, org.bureau_a, date(2026, 10, 25))
    claim(session, org.bureau_a.id, [a.id, b.id], "claim", org.clerk_a)
    assert generate.generate(session, date(2026, 11, 2)).followups == 2
    assert generate.generate(session, date(2026, 11, 2)).followups == 0
    assert _count(origin=TaskOrigin.PERMIT_VISIT) == 1 and _count(origin=TaskOrigin.PENALTY_TRACK) == 1


def test_the_header_count_includes_daily_tasks(org, session, placed):
    from services.todo_count import todo_count

    generate.generate(session, date(2026, 9, 28))
    assert todo_count(org.inspector_a) == 1  # the task dispatched to the officer
    assert todo_count(org.clerk_a) == 1  # the one waiting for 分派
