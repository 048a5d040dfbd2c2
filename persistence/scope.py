"""The one data-scope filter (docs/security.md).

A user sees business data of their own department and its subtree, plus every process
instance to which a department of that subtree is a party.  The entity registry (市场主体库) is
shared by a whole district: a user sees the entities of their area (the 区 or 市 node above
their department, persistence.org.region_root) and of the districts below it.  Every query of
business data goes through these helpers; views load one object with
blueprints.common.get_visible_or_404, whose default rule is ``in_scope``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, exists, select

from models import Department, InstanceParty, MarketEntity, ProcessInstance, User, db
from persistence.org import region_root


def subtree_ids(department: Department) -> Select[Any]:
    """A subquery of the ids of ``department`` and everything below it."""
    return select(Department.id).where(Department.path.startswith(department.path))


def scope_departments(query: Select[Any], user: User) -> Select[Any]:
    return query.where(Department.path.startswith(user.department.path))


def scope_users(query: Select[Any], user: User) -> Select[Any]:
    return query.where(User.department_id.in_(subtree_ids(user.department)))


def scope_instances(query: Select[Any], user: User) -> Select[Any]:
    mine = subtree_ids(user.department)
    party = exists().where(InstanceParty.instance_id == ProcessInstance.id, InstanceParty.department_id.in_(mine))
    return query.where(ProcessInstance.department_id.in_(mine) | party)


def scope_entities(query: Select[Any], user: User) -> Select[Any]:
    """Market entities of the registries of the user's area (district, or the whole city)."""
    return query.where(MarketEntity.department_id.in_(subtree_ids(region_root(user.department))))


def scope_owned(query: Select[Any], model: Any, user: User) -> Select[Any]:
    """For any model with a ``department_id`` owner column."""
    return query.where(model.department_id.in_(subtree_ids(user.department)))


def in_scope(user: User, obj: Any) -> bool:
    """Whether one loaded object lies in the user's scope."""
    if isinstance(obj, Department):
        return obj.is_within(user.department)
    if isinstance(obj, MarketEntity):
        return obj.department.is_within(region_root(user.department))
    if isinstance(obj, ProcessInstance):
        return db.session.execute(
            scope_instances(select(ProcessInstance.id).where(ProcessInstance.id == obj.id), user)
        ).first() is not None
    department = getattr(obj, "department", None)
    if isinstance(department, Department):
        return department.is_within(user.department)
    raise TypeError(f"no scope rule for {type(obj).__name__}")

