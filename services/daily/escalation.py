"""提醒, 警示, 截止 (seed 004 §2.3 监管任务提醒和警示) and 我的待办 of 日常监管.

Every open task (待认领 or 已认领) carries three working-day dates.  ``escalate`` (``flask
daily escalate``, once a day) raises each task's level to what ``on`` has reached, highest first,
and notifies through persistence.notifications:

- 提醒 (level 1, ``remind_on`` reached): the officer;
- 警示 (level 2, ``warn_on`` reached): the officer's 主管领导 — the 部门领导 of the task's
  department — who sees it in 我的待办 and on /daily/warnings;
- 截止 (level 3, ``due_on`` passed): the 上级领导 (部门领导 of the departments above, within
  the district) and 效能监察 of the district, who see it on /daily/warnings.

A level only rises, so a second run on the same day finds nothing to do and sends nothing.
One message per person and level, counting their tasks (a thousand overdue tasks are one
message, not a thousand).  Which work items follow this ladder is stated in docs/daily.md.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from infrastructure.clock import china_today
from models import Department, User, UserRole, db
from models.daily import OPEN_STATUSES, DailyTask, Escalation, TaskStatus
from models.roles import Role
from persistence.notifications import notify
from persistence.org import region_root
from persistence.scope import subtree_ids

TODO_LIMIT = 50
LEVEL_TEXT = {1: "已到提醒时间", 2: "已到警示时间，请督促办理", 3: "已超过截止时间"}


@dataclass
class EscalateResult:
    raised: dict[int, int] = field(default_factory=lambda: {1: 0, 2: 0, 3: 0})
    messages: int = 0

    def summary(self) -> str:
        return (f"提醒 {self.raised[1]} 项，警示 {self.raised[2]} 项，超过截止时间 {self.raised[3]} 项，"
                f"发出通知 {self.messages} 条")


def _users_with(role: Role, department_ids: Any) -> list[User]:
    return list(db.session.execute(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == role.value, User.department_id.in_(department_ids))).scalars())


def keepers_of(department_id: int) -> list[User]:
    return [u for u in _users_with(Role.CLERK, [department_id]) if u.is_active]


def _recipients(level: int, department: Department, officer_id: int | None) -> list[User]:
    users: list[User] = []
    if officer_id is not None:
        officer = db.session.get(User, officer_id)
        users.append(officer) if officer is not None else None
    if level >= 2:
        users += _users_with(Role.DEPT_LEADER, [department.id])
    if level >= 3:
        root = region_root(department)
        above = [i for i in department.ancestors() if i != department.id]
        upper = select(Department.id).where(Department.id.in_(above), Department.path.startswith(root.path))
        users += _users_with(Role.DEPT_LEADER, upper)
        users += _users_with(Role.EFFICIENCY, subtree_ids(root))
    return [u for u in users if u.is_active]


def _reached(level: int, on: date) -> Any:
    if level == 3:
        return DailyTask.due_on < on
    if level == 2:
        return DailyTask.warn_on <= on
    return DailyTask.remind_on <= on


def escalate(session: Session, on: date | None = None) -> EscalateResult:
    on = on or china_today()
    result = EscalateResult()
    counts: dict[tuple[int, int], int] = defaultdict(int)  # (user id, level) -> tasks
    users: dict[int, User] = {}
    for level in (3, 2, 1):
        condition = and_(DailyTask.status.in_(OPEN_STATUSES), DailyTask.escalation < level, _reached(level, on))
        groups = session.execute(
            select(DailyTask.department_id, DailyTask.officer_id, func.count())
            .where(condition).group_by(DailyTask.department_id, DailyTask.officer_id)).all()
        if not groups:
            continue
        raised = session.execute(
            update(DailyTask).where(condition)
            .values(escalation=level, escalated_on=on, lock_version=DailyTask.lock_version + 1)
            .execution_options(synchronize_session=False)).rowcount or 0
        result.raised[level] = raised
        for department_id, officer_id, count in groups:
            department = session.get(Department, department_id)
            for user in _recipients(level, department, officer_id):
                users[user.id] = user
                counts[(user.id, level)] += count
    for (user_id, level), count in sorted(counts.items()):
        result.messages += notify([users[user_id]], f"日常监管任务{LEVEL_TEXT[level]}：{count} 项",
                                  link="/daily/warnings" if level >= 2 else "/daily/tasks?mine=1")
    session.expire_all()
    return result


# ------------------------------------------------------------------ who sees what


def warnings_query(user: User) -> Any:
    """The warnings list: 警示 of the leader's own department, 截止 of the subtree below; for
    效能监察, every task of the district past its 截止时间."""
    conditions = []
    open_task = DailyTask.status.in_(OPEN_STATUSES)
    if user.has_role(Role.DEPT_LEADER):
        conditions.append(and_(DailyTask.department_id == user.department_id, DailyTask.escalation >= 2))
        conditions.append(and_(DailyTask.department_id.in_(subtree_ids(user.department)), DailyTask.escalation >= 3))
    if user.has_role(Role.EFFICIENCY):
        conditions.append(and_(DailyTask.department_id.in_(subtree_ids(region_root(user.department))),
                               DailyTask.escalation >= 3))
    if not conditions:
        return None
    return (select(DailyTask).where(open_task, or_(*conditions))
            .order_by(DailyTask.escalation.desc(), DailyTask.due_on, DailyTask.id))


@dataclass
class Todo:
    mine: list[DailyTask]
    mine_count: int
    approvals: list[DailyTask]
    to_assign: list[DailyTask]
    warnings: list[DailyTask]
    warnings_count: int

    @property
    def count(self) -> int:
        return self.mine_count + len(self.approvals) + len(self.to_assign) + self.warnings_count


def todo_queries(user: User) -> list[Any]:
    """What the header's 我的待办 count adds for 日常监管: the officer's open tasks, the leader's
    approvals, the clerk's tasks to 分派 (services/todo_count.py)."""
    queries = [select(DailyTask.id).where(DailyTask.officer_id == user.id, DailyTask.status.in_(OPEN_STATUSES))]
    if user.has_role(Role.DEPT_LEADER):
        queries.append(select(DailyTask.id).where(DailyTask.department_id == user.department_id,
                                                  DailyTask.status == TaskStatus.PENDING_APPROVAL))
    if user.has_role(Role.CLERK):
        queries.append(select(DailyTask.id).where(
            DailyTask.department_id == user.department_id,
            DailyTask.status.in_((TaskStatus.UNASSIGNED.value, TaskStatus.RETURNED.value))))
    return queries


def todo(user: User) -> Todo:
    """我的待办 of 日常监管, at most ``TODO_LIMIT`` rows of each list (the counts are exact)."""
    def rows(query: Any) -> list[DailyTask]:
        return list(db.session.execute(query.limit(TODO_LIMIT)).scalars())

    def count(query: Any) -> int:
        return db.session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()

    mine_q = (select(DailyTask).where(DailyTask.officer_id == user.id, DailyTask.status.in_(OPEN_STATUSES))
              .order_by(DailyTask.escalation.desc(), DailyTask.due_on, DailyTask.id))
    mine_count = count(mine_q)
    mine = rows(mine_q) if mine_count else []
    approvals: list[DailyTask] = []
    to_assign: list[DailyTask] = []
    if user.has_role(Role.DEPT_LEADER):
        approvals = rows(select(DailyTask).where(DailyTask.department_id == user.department_id,
                                                 DailyTask.status == TaskStatus.PENDING_APPROVAL)
                         .order_by(DailyTask.id))
    if user.has_role(Role.CLERK):
        to_assign = rows(select(DailyTask).where(
            DailyTask.department_id == user.department_id,
            DailyTask.status.in_((TaskStatus.UNASSIGNED.value, TaskStatus.RETURNED.value))).order_by(DailyTask.id))
    warn_q = warnings_query(user)
    warnings_count = count(warn_q) if warn_q is not None else 0
    warnings = rows(warn_q) if warnings_count else []
    return Todo(mine, mine_count, approvals, to_assign, warnings, warnings_count)


def level_label(level: int) -> str:
    return Escalation(level).label
