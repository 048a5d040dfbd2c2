"""Who sees which work on the 效能 pages.

部门领导 see the work of their department and everything below it; 效能监察 and 联席会议办公室
see their whole area (the 区 or 市 node above them, persistence.org.region_root).  A work item
belongs to the department that holds it (``WorkItem.department_id``); an instance is visible
when one of its work items, or its own department, is."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, or_, select

from models import Department, ProcessInstance, User, WorkItem, db
from models.roles import Role
from persistence.org import region_root
from persistence.scope import subtree_ids

VIEW_ROLES = (Role.DEPT_LEADER, Role.EFFICIENCY, Role.CONFERENCE_OFFICE)
AREA_ROLES = (Role.EFFICIENCY, Role.CONFERENCE_OFFICE)
RULE_EDITORS = (Role.EFFICIENCY, Role.CONFERENCE_OFFICE)


def root_of(user: User) -> Department:
    """The top of what ``user`` watches: the area for 效能监察 and the office, else the department."""
    return region_root(user.department) if user.has_role(*AREA_ROLES) else user.department


def visible_ids(user: User) -> Any:
    """A subquery of the department ids whose work ``user`` sees."""
    return subtree_ids(root_of(user))


def can_view_instance(user: User, instance: ProcessInstance) -> bool:
    if not user.has_role(*VIEW_ROLES):
        return False
    mine = visible_ids(user)
    query = select(ProcessInstance.id).where(
        ProcessInstance.id == instance.id,
        or_(ProcessInstance.department_id.in_(mine),
            exists().where(WorkItem.instance_id == ProcessInstance.id, WorkItem.department_id.in_(mine))))
    return db.session.execute(query).first() is not None


def can_view_item(user: User, item: WorkItem) -> bool:
    if not user.has_role(*VIEW_ROLES) or item.department_id is None:
        return False
    return db.session.execute(
        select(Department.id).where(Department.id == item.department_id, Department.id.in_(visible_ids(user)))
    ).first() is not None


def departments_of(user: User) -> list[Department]:
    """The departments of the filters: the user's subtree or area, active ones, in tree order."""
    root = root_of(user)
    return list(db.session.execute(
        select(Department).where(Department.path.startswith(root.path), Department.active.is_(True))
        .order_by(Department.path)).scalars())
