"""The 20-working-day deadline of inspection results: countdowns, the overdue and due-soon
lists (set-based), reminders in 我的待办 and ``flask deadlines remind``."""

from __future__ import annotations

from datetime import date, timedelta

from models import RecordStatus, Reminder
from models.plans import TaskStatus
from persistence import workdays
from services import deadlines
from services.deadlines import bounds, deadline_of, due_rows, remind
from tests.conftest import sign_in
from tests.factories.deadlines import dispatched_task, member_user, objects_of, record

END = date(2026, 9, 30)  # the task's last day; due 20 working days later: 3 November 2026
DUE = date(2026, 11, 3)


def test_due_date_counts_national_day_and_makeup_saturday(session, org):
    task = dispatched_task(org, objects=1, end=END)
    assert deadlines.due_date(task) == DUE
    assert workdays.workdays_between(END, DUE) == 20


def test_countdown_of_task_and_record(session, org):
    task = dispatched_task(org, objects=2, end=END)
    assert deadline_of(task, date(2026, 10, 30)).label == "剩余 2 个工作日"
    assert deadline_of(task, date(2026, 10, 30)).css == "warn"
    assert deadline_of(task, date(2026, 10, 9)).label == "剩余 18 个工作日"
    assert deadline_of(task, DUE).label == "今日到期"
    late = deadline_of(task, date(2026, 11, 5))
    assert late.label == "已逾期 2 个工作日" and late.css == "err" and late.due == DUE
    obj1, obj2 = objects_of(task)
    published = record(task, obj1, org.bureau_a)
    draft = record(task, obj2, org.bureau_a, RecordStatus.DRAFT)
    assert deadline_of(published, date(2026, 11, 5)).label == "检查结果已公示"
    assert deadline_of(draft, date(2026, 11, 5)).label == "已逾期 2 个工作日"
    task.status = TaskStatus.PUBLISHED
    assert deadline_of(task, date(2026, 11, 5)).label == "检查结果已公示"
    task.status = TaskStatus.DRAWING
    assert deadline_of(task, date(2026, 11, 5)) is None  # nothing is due before dispatch


def test_uncovered_year_gives_a_message_not_a_guess(session, org):
    task = dispatched_task(org, objects=1, end=date(2026, 12, 20))
    d = deadline_of(task, date(2026, 12, 21))
    assert d.error == "2027年的节假日安排尚未录入，无法计算期限；请系统管理员在“节假日”中录入"
    assert d.label == d.error and d.due is None


def test_due_rows_count_unpublished_results_per_department(session, org):
    task = dispatched_task(org, objects=3, end=END, participants=(org.health_a,))
    objs = objects_of(task)
    record(task, objs[0], org.bureau_a)
    record(task, objs[1], org.bureau_a, RecordStatus.APPROVED)
    record(task, objs[0], org.health_a)
    # A removed object is no longer due.
    objs[2].removed = True
    session.flush()
    on_time = dispatched_task(org, objects=2, end=date(2026, 10, 30))
    rows = due_rows(bounds(date(2026, 11, 5)), overdue_only=True)
    got = {(r.task_id, r.department_name): r.pending for r in rows}
    assert got == {(task.id, "甲区市场监督管理局"): 1, (task.id, "甲区卫生健康局"): 1}
    assert all(r.countdown.overdue and r.countdown.due == DUE for r in rows)
    assert on_time.id not in {r.task_id for r in rows}
    # Within 3 working days: 5 November + 3 = 10 November; a task ending 13 October is due then.
    soon = dispatched_task(org, objects=1, end=date(2026, 10, 13))
    rows = due_rows(bounds(date(2026, 11, 5)))
    assert {r.task_id for r in rows} == {task.id, soon.id}
    assert [r.countdown.label for r in rows if r.task_id == soon.id] == ["剩余 3 个工作日"]
    # Scope: another district sees nothing; a department filter keeps its subtree.
    assert due_rows(bounds(date(2026, 11, 5)), user=org.clerk_b) == []
    only_health = due_rows(bounds(date(2026, 11, 5)), user=org.clerk_a, department=org.health_a)
    assert {r.department_name for r in only_health} == {"甲区卫生健康局"}


def test_bounds_agree_with_due_dates(session, org):
    cal = workdays.WorkCalendar()
    for day in (date(2026, 11, 3), date(2026, 11, 4), date(2026, 10, 10), date(2026, 2, 24)):
        b = bounds(day, cal)
        assert cal.add_workdays(b.overdue, 20) < day <= cal.add_workdays(b.overdue + timedelta(days=1), 20)
        horizon = cal.add_workdays(day, 3)
        assert cal.add_workdays(b.due_soon, 20) <= horizon


def test_remind_is_idempotent_per_day_and_follows_the_deadline(session, org):
    task = dispatched_task(org, objects=2, end=END)
    first = remind(date(2026, 10, 29))  # due 3 November: 3 working days away
    assert (first.opened, first.refreshed, first.closed) == (1, 0, 0)
    again = remind(date(2026, 10, 29))
    assert (again.opened, again.refreshed, again.closed) == (0, 0, 0)
    assert session.query(Reminder).count() == 1
    soon = session.query(Reminder).one()
    assert (soon.kind, soon.pending, soon.due_date, soon.department_id) == ("due_soon", 2, DUE, org.bureau_a.id)
    next_day = remind(date(2026, 10, 30))
    assert (next_day.opened, next_day.refreshed) == (0, 1)
    overdue = remind(date(2026, 11, 4))
    assert (overdue.opened, overdue.closed) == (1, 1)
    open_rows = session.query(Reminder).filter(Reminder.closed_at.is_(None)).all()
    assert [r.kind for r in open_rows] == ["overdue"]
    obj1, obj2 = objects_of(task)
    record(task, obj1, org.bureau_a)
    assert remind(date(2026, 11, 5)).refreshed == 1
    assert session.query(Reminder).filter(Reminder.closed_at.is_(None)).one().pending == 1
    record(task, obj2, org.bureau_a)
    assert remind(date(2026, 11, 6)).closed == 1
    assert session.query(Reminder).filter(Reminder.closed_at.is_(None)).count() == 0


def test_reminders_reach_the_right_inboxes(client, session, org):
    task = dispatched_task(org, objects=1, end=END)
    inspector = member_user(task, org.bureau_a)
    remind(date(2026, 11, 4))
    session.commit()
    seen = {u.name: deadlines.reminder_count(u) for u in (org.clerk_a, org.leader_a, org.section_clerk_a,
                                                          org.clerk_b, org.leader_b, org.health_clerk)}
    assert seen == {"王晓燕": 1, "李建国": 1, "张磊": 0, "乙区经办人": 0, "乙区领导": 0, "赵敏": 0}
    assert deadlines.reminder_count(inspector) == 1
    task.status = TaskStatus.PUBLISHED  # published since the last run: gone from the inbox at once
    assert deadlines.reminder_count(org.clerk_a) == 0
    task.status = TaskStatus.INSPECTING
    session.commit()
    sign_in(client, inspector)
    html = client.get("/inbox").get_data(as_text=True)
    assert "期限提醒" in html and task.name in html and "已逾期" in html and "2026-11-03" in html
    assert client.get("/inbox/count").get_data(as_text=True) == "1"
    sign_in(client, org.clerk_b)
    html = client.get("/inbox").get_data(as_text=True)
    assert "期限提醒" not in html and task.name not in html


def test_remind_command(app, session, org):
    dispatched_task(org, objects=1, end=END)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["deadlines", "remind", "--date", "2026-11-04"])
    assert result.exit_code == 0, result.output
    assert "新增 1 条" in result.output
    result = runner.invoke(args=["deadlines", "remind", "--date", "2026-11-04"])
    assert "新增 0 条，更新 0 条，关闭 0 条" in result.output
    assert runner.invoke(args=["deadlines", "remind", "--date", "04/11/2026"]).exit_code == 2
    result = runner.invoke(args=["deadlines", "remind", "--date", "2027-03-01"])
    assert result.exit_code == 1 and "2027年的节假日安排尚未录入" in result.output
