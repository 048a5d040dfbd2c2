"""Tasks (抽查任务): one home for who sees a task, its departments (the initiator and the
participants), its 表20 / 表22 process instance, and the roles a user holds on it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, exists, or_, select

from models import (
    Inspector,
    PlanKind,
    ProcessInstance,
    Task,
    TaskDepartment,
    TaskStatus,
    TeamMember,
    User,
    db,
)
from models.roles import Role
from persistence.scope import subtree_ids
from workflows import subjects

TASK_SUBJECT = "task"  # ProcessInstance.subject_type of a task's 表20 / 表22 instance
SINGLE_TABLE = 20
JOINT_TABLE = 22
TABLES = (SINGLE_TABLE, JOINT_TABLE)


def instance_of(task: Task) -> ProcessInstance | None:
    """The task's 表20 / 表22 instance (the latest, when one was ever restarted)."""
    return subjects.latest_instance(TASK_SUBJECT, task.id, tables=TABLES)


def task_of(instance: ProcessInstance) -> Task | None:
    if instance.subject_type != TASK_SUBJECT or instance.subject_id is None:
        return None
    return db.session.get(Task, instance.subject_id)


def is_initiator(task: Task, td: TaskDepartment) -> bool:
    return td.role == "initiator" or td.department_id == task.department_id


def initiator_part(task: Task) -> TaskDepartment | None:
    return next((td for td in task.departments if is_initiator(task, td)), None)


def departments_clause(user: User) -> Any:
    """The task's department or a taking-part department lies in the user's subtree."""
    mine = subtree_ids(user.department)
    party = exists().where(TaskDepartment.task_id == Task.id, TaskDepartment.department_id.in_(mine))
    return or_(Task.department_id.in_(mine), party)


def tasks_query(user: User, status: str = "") -> Select[Any]:
    """Tasks of the user's department subtree, those a department of it takes part in, and
    those where the user is an active team member (an inspector of a 市场监管所 outside the
    task's department finds the task they were drawn for, as in_scope does)."""
    on_team = exists().where(
        TeamMember.task_id == Task.id,
        TeamMember.active.is_(True),
        TeamMember.inspector_id.in_(select(Inspector.id).where(Inspector.user_id == user.id)),
    )
    query = select(Task).where(or_(departments_clause(user), on_team))
    if status in {s.value for s in TaskStatus}:
        query = query.where(Task.status == status)
    return query.order_by(Task.start_date.desc(), Task.id.desc())


def is_joint(task: Task) -> bool:
    return task.plan.kind == PlanKind.JOINT


def table_of(task: Task) -> int:
    return JOINT_TABLE if is_joint(task) else SINGLE_TABLE


def participants(task: Task) -> list[TaskDepartment]:
    return [d for d in task.departments if d.role != "initiator" and d.department_id != task.department_id]


def is_task_clerk(user: User, task: Task) -> bool:
    return user.has_role(Role.CLERK) and user.department_id == task.department_id


def is_task_leader(user: User, task: Task) -> bool:
    return user.has_role(Role.DEPT_LEADER) and task.department.is_within(user.department)


def sees_grades(user: User, task: Task) -> bool:
    """Credit-risk grades are internal (DESIGN §7): the clerks and leaders of the task's
    departments see them; a team member who is a plain inspector does not."""
    if not user.has_role(Role.CLERK, Role.DEPT_LEADER):
        return False
    return db.session.execute(
        select(Task.id).where(Task.id == task.id, departments_clause(user))
    ).first() is not None


def member_of(user: User, task: Task) -> TeamMember | None:
    """``user``'s active place in the task's team (through their directory entry)."""
    return db.session.execute(
        select(TeamMember)
        .join(Inspector, Inspector.id == TeamMember.inspector_id)
        .where(TeamMember.task_id == task.id, TeamMember.active.is_(True), Inspector.user_id == user.id)
    ).scalars().first()


def in_scope(user: User, task: Task) -> bool:
    """The task's department or a taking-part department lies in the user's subtree, or the
    user is on the team (an inspector of a 市场监管所 below the task's department)."""
    departments = [task.department, *(td.department for td in task.departments)]
    if any(d.is_within(user.department) for d in departments):
        return True
    return member_of(user, task) is not None
