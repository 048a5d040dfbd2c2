"""The deadline for inspection results: 检查任务完成后20个工作日内公示 (seed 001 §4, seed 003).

The rule (docs/chapters.md, "Deadlines"): a task's results are due 20 working days after the last day of
its 执行时间 (``Task.end_date``: the day by which the task is complete), counted on the holiday
table (persistence/workdays.py: the next working day is day 1).  A result is due for every
drawn object still on the list (``TaskObject.removed`` false) and every 填报部门 — a department
with an inspector on the task's active team (services/inspections.record_departments) — and
is met when that object's record of that department is 已公示 (``RecordStatus.PUBLISHED``).

Every figure is one set-based query.  Deadlines grow with the end date, so "overdue today" is
``Task.end_date <= bound`` with one bound from ``WorkCalendar.latest_start_due_before``, not a
deadline per row; "due within 3 working days" is a second bound.  A year missing from the
holiday table raises ``CalendarNotCovered`` (pages show its message, never a guess).

Reminders (models/reminders.py) are kept by ``remind`` (``flask deadlines remind``, daily) and
shown in 我的待办 to the 填报部门's clerks, the leaders above it and the task's team members of
that department (``reminders_for``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, and_, exists, false, func, or_, select

from models import (
    Department,
    InspectionRecord,
    Inspector,
    RecordStatus,
    Reminder,
    ReminderKind,
    Task,
    TaskDepartment,
    TaskObject,
    TeamMember,
    User,
    db,
    utcnow,
)
from models.plans import TaskStatus
from models.roles import Role
from persistence.scope import subtree_ids
from persistence.workdays import CalendarNotCovered, Countdown, WorkCalendar, countdown
from services.plan_queries import today as platform_today

RESULT_WORKDAYS = 20  # 检查任务完成后20个工作日内 (seeds 001 and 003)
REMIND_WITHIN = 3  # working days before the deadline when the reminder starts
# Tasks whose results are being gathered: from dispatch (派发抽查任务) on.
RESULT_STATUSES = (TaskStatus.DISPATCHED, TaskStatus.INSPECTING, TaskStatus.PUBLISHED, TaskStatus.DONE)
VIEW_ROLES = (Role.CLERK, Role.DEPT_LEADER)


def today() -> date:
    return platform_today()


# ------------------------------------------------------------------ one task


def due_date(task: Task, calendar: WorkCalendar | None = None) -> date:
    return (calendar or WorkCalendar()).add_workdays(task.end_date, RESULT_WORKDAYS)


@dataclass(frozen=True)
class Deadline:
    """What a page shows about a task's or record's deadline: a countdown, 已公示, or the
    reason it cannot be computed."""

    countdown: Countdown | None = None
    published: bool = False
    error: str = ""

    @property
    def label(self) -> str:
        if self.error:
            return self.error
        if self.published:
            return "检查结果已公示"
        assert self.countdown is not None
        return self.countdown.label

    @property
    def css(self) -> str:
        if self.error:
            return "warn"
        if self.published:
            return "ok"
        assert self.countdown is not None
        return self.countdown.css

    @property
    def due(self) -> date | None:
        return self.countdown.due if self.countdown else None


def deadline_of(subject: Any, on: date | None = None) -> Deadline | None:
    """The deadline of a ``Task`` or an ``InspectionRecord`` (None before the task is
    dispatched: nothing is due yet)."""
    record = subject if isinstance(subject, InspectionRecord) else None
    task: Task = subject.task if record is not None else subject
    if task.status not in RESULT_STATUSES:
        return None
    if record is not None and record.status == RecordStatus.PUBLISHED:
        return Deadline(published=True)
    if record is None and task.status in (TaskStatus.PUBLISHED, TaskStatus.DONE):
        return Deadline(published=True)
    cal = WorkCalendar()
    try:
        return Deadline(countdown=countdown(due_date(task, cal), on or today(), cal))
    except CalendarNotCovered as exc:
        return Deadline(error=exc.message)


# ------------------------------------------------------------------ the set-based figures


@dataclass(frozen=True)
class Bounds:
    """End dates at or before ``overdue`` are past their deadline today; those after it and
    at or before ``due_soon`` are due within ``REMIND_WITHIN`` working days."""

    on: date
    overdue: date
    due_soon: date


def bounds(on: date | None = None, calendar: WorkCalendar | None = None) -> Bounds:
    cal = calendar or WorkCalendar()
    on = on or today()
    horizon = cal.add_workdays(on, REMIND_WITHIN)
    return Bounds(
        on=on,
        overdue=cal.latest_start_due_before(on, RESULT_WORKDAYS),
        due_soon=cal.latest_start_due_before(horizon + timedelta(days=1), RESULT_WORKDAYS),
    )


def reporting_parts() -> Any:
    """(task_id, department_id): the 填报部门 of every task — its departments (TaskDepartment)
    with an inspector on the active team.  A semi-join on a real table, not a DISTINCT over
    team members, so that PostgreSQL estimates its size and hash-joins the objects."""
    has_inspector = exists().where(
        TeamMember.task_id == TaskDepartment.task_id,
        TeamMember.department_id == TaskDepartment.department_id,
        TeamMember.active.is_(True),
        TeamMember.inspector_id.is_not(None),
    )
    return (
        select(TaskDepartment.task_id.label("task_id"), TaskDepartment.department_id.label("department_id"))
        .where(has_inspector)
        .subquery("parts")
    )


def expected_results() -> tuple[Select[Any], Any, Any]:
    """FROM clause of the expected results: active drawn objects × 填报部门, with the
    record of that pair when one was opened (outer join).  Returns (query, parts, record)."""
    parts = reporting_parts()
    query = (
        select()
        .select_from(TaskObject)
        .join(Task, Task.id == TaskObject.task_id)
        .join(parts, parts.c.task_id == Task.id)
        .outerjoin(
            InspectionRecord,
            and_(
                InspectionRecord.task_object_id == TaskObject.id,
                InspectionRecord.department_id == parts.c.department_id,
            ),
        )
        .where(TaskObject.removed.is_(False), Task.status.in_(RESULT_STATUSES))
    )
    return query, parts, InspectionRecord


def unpublished() -> Any:
    return or_(InspectionRecord.id.is_(None), InspectionRecord.status != RecordStatus.PUBLISHED)


def scope_parts(query: Select[Any], parts: Any, user: User) -> Select[Any]:
    """Results the user may see: its department subtree reports them or runs the task."""
    mine = subtree_ids(user.department)
    return query.where(or_(parts.c.department_id.in_(mine), Task.department_id.in_(mine)))


@dataclass(frozen=True)
class DueRow:
    task_id: int
    task_name: str
    plan_id: int
    department_id: int
    department_name: str
    end_date: date
    pending: int
    countdown: Countdown


def due_rows(
    b: Bounds,
    *,
    user: User | None = None,
    department: Department | None = None,
    overdue_only: bool = False,
    calendar: WorkCalendar | None = None,
    limit: int | None = None,
) -> list[DueRow]:
    """Task × 填报部门 with results not yet published whose deadline has passed (or comes within
    ``REMIND_WITHIN`` working days), oldest deadline first: one GROUP BY."""
    query, parts, _ = expected_results()
    bound = b.overdue if overdue_only else b.due_soon
    query = (
        query.add_columns(
            Task.id, Task.name, Task.plan_id, parts.c.department_id, Department.name, Task.end_date, func.count()
        )
        .join(Department, Department.id == parts.c.department_id)
        .where(unpublished(), Task.end_date <= bound)
        .group_by(Task.id, Task.name, Task.plan_id, parts.c.department_id, Department.name, Task.end_date)
        .order_by(Task.end_date, Task.id, parts.c.department_id)
    )
    if user is not None:
        query = scope_parts(query, parts, user)
    if department is not None:
        query = query.where(parts.c.department_id.in_(subtree_ids(department)))
    if limit is not None:
        query = query.limit(limit)
    cal = calendar or WorkCalendar()
    rows = []
    for task_id, name, plan_id, dept_id, dept_name, end, pending in db.session.execute(query):
        due = cal.add_workdays(end, RESULT_WORKDAYS)
        rows.append(DueRow(task_id, name, plan_id, dept_id, dept_name, end, pending, countdown(due, b.on, cal)))
    return rows


# ------------------------------------------------------------------ reminders


@dataclass(frozen=True)
class RemindResult:
    opened: int
    refreshed: int
    closed: int


def remind(on: date | None = None) -> RemindResult:
    """Keep one open reminder per task × 填报部门 that is due within ``REMIND_WITHIN`` working
    days (即将到期) or overdue (已逾期); close the rest.  Idempotent per day."""
    cal = WorkCalendar()
    b = bounds(on, cal)
    wanted: dict[tuple[int, int, str], DueRow] = {}
    for row in due_rows(b, calendar=cal):
        kind = ReminderKind.OVERDUE if row.countdown.overdue else ReminderKind.DUE_SOON
        wanted[(row.task_id, row.department_id, kind.value)] = row
    now = utcnow()
    opened = refreshed = closed = 0
    existing = {
        (r.task_id, r.department_id, r.kind): r
        for r in db.session.execute(
            select(Reminder).where(
                or_(
                    Reminder.closed_at.is_(None),
                    Reminder.task_id.in_({key[0] for key in wanted}) if wanted else false(),
                )
            )
        ).scalars()
    }
    for key, reminder in existing.items():
        if key not in wanted and reminder.closed_at is None:
            reminder.closed_at = now
            closed += 1
    for key, row in wanted.items():
        reminder = existing.get(key)
        if reminder is None:
            db.session.add(Reminder(
                kind=key[2], task_id=row.task_id, department_id=row.department_id, due_date=row.countdown.due,
                pending=row.pending, first_on=b.on, reminded_on=b.on,
            ))
            opened += 1
            continue
        changed = (reminder.closed_at is not None or reminder.pending != row.pending
                   or reminder.reminded_on != b.on or reminder.due_date != row.countdown.due)
        if changed:
            reminder.closed_at = None
            reminder.pending = row.pending
            reminder.due_date = row.countdown.due
            reminder.reminded_on = b.on
            refreshed += 1
    db.session.flush()
    return RemindResult(opened, refreshed, closed)


def _visible(user: User) -> Any:
    """Mirrors who acts on the results: the 填报部门's clerks, the leaders above it, and the
    task's active team members of that department."""
    conditions = []
    if user.has_role(Role.CLERK):
        conditions.append(Reminder.department_id == user.department_id)
    if user.has_role(Role.DEPT_LEADER):
        conditions.append(Reminder.department_id.in_(subtree_ids(user.department)))
    conditions.append(
        exists().where(
            TeamMember.task_id == Reminder.task_id,
            TeamMember.department_id == Reminder.department_id,
            TeamMember.active.is_(True),
            TeamMember.inspector_id == Inspector.id,
            Inspector.user_id == user.id,
        )
    )
    return or_(*conditions)


def reminders_query(user: User) -> Select[Any]:
    """Open reminders for the user; a task whose results were all published since the last run
    drops out at once (the run closes its reminders)."""
    done = exists().where(
        Task.id == Reminder.task_id, Task.status.in_((TaskStatus.PUBLISHED, TaskStatus.DONE))
    )
    return select(Reminder).where(Reminder.closed_at.is_(None), ~done, _visible(user))


def reminders_for(user: User) -> list[Reminder]:
    if not user.is_authenticated or not user.is_active:
        return []
    from sqlalchemy.orm import joinedload

    query = reminders_query(user).options(joinedload(Reminder.task), joinedload(Reminder.department))
    return list(db.session.execute(query.order_by(Reminder.due_date, Reminder.id)).scalars())


def reminder_count(user: User) -> int:
    if not user.is_authenticated or not user.is_active:
        return 0
    return db.session.execute(select(func.count()).select_from(reminders_query(user).subquery())).scalar_one()
