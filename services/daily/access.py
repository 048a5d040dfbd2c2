"""Who does what in 监管认领 and 日常监管, and the entity conditions the rules share.

A department's 监管部门经办人 (clerk) keeps its objects, rules and categories and creates and
分派 tasks; its 部门领导 approves manual tasks and sees the 警示; its 执法人员 are the 管理责任者
who 认领/退回 their tasks and record results; 效能监察 sees what passed its 截止时间 in its
area.  A user works for the department of their own account; they see the objects and tasks of
that department's subtree.  Another district's row is answered with 404.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select

from infrastructure.errors import Forbidden, Invalid
from models import Department, MarketEntity, User, db
from models.daily import DailyTask, RuleKind, SupervisedObject
from models.entity import EntityType
from models.roles import Role
from persistence.org import region_root
from persistence.scope import subtree_ids

KEEPERS = (Role.CLERK, Role.DEPT_LEADER)
OUTSIDE_AREA = "以下市场主体不在本部门辖区内，不能认领：{names}"


def can_keep(user: User) -> bool:
    """Maintains objects, rules, categories and tasks of the user's department."""
    return user.is_active and user.has_role(*KEEPERS)


def require_keeper(user: User) -> None:
    if not can_keep(user):
        raise Forbidden("只有监管部门经办人或部门领导可以维护监管对象和日常监管任务")


def in_department_tree(user: User, department_id: int) -> bool:
    department = db.session.get(Department, department_id)
    return department is not None and department.is_within(user.department)


def can_view_object(user: User, obj: SupervisedObject) -> bool:
    return obj.officer_id == user.id or (can_keep(user) and obj.department.is_within(user.department))


def can_view_task(user: User, task: DailyTask) -> bool:
    if task.officer_id == user.id:
        return True
    if user.has_role(Role.EFFICIENCY) and task.escalation >= 3:
        return task.department.is_within(region_root(user.department))
    return (can_keep(user) or user.has_role(Role.INSPECTOR)) and task.department.is_within(user.department)


def area_entities(department: Department) -> Any:
    """A subquery of the ids of the entities in the department's area (its 区 or 市)."""
    root = region_root(department)
    return select(MarketEntity.id).where(MarketEntity.department_id.in_(subtree_ids(root)))


def officer_candidates(department: Department) -> list[User]:
    """执法人员 of the department's subtree: who may be 管理责任者 or do a task."""
    from models import UserRole

    rows = db.session.execute(
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.department_id.in_(subtree_ids(department)), UserRole.role == Role.INSPECTOR.value)
        .order_by(User.name)
    ).scalars()
    return [u for u in rows if u.is_active]


def require_officer(department: Department, officer_id: int | None) -> User:
    officer = db.session.get(User, officer_id) if officer_id else None
    if officer is None or not officer.is_active or not officer.has_role(Role.INSPECTOR) \
            or not officer.department.is_within(department):
        raise Invalid("请选择本部门的执法人员作为管理责任者", field="officer_id")
    return officer


def _like(column: Any, word: str) -> ColumnElement[bool]:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(f"%{escaped}%", escape="\\")


def entity_condition(kind: RuleKind | str, value: str) -> ColumnElement[bool]:
    """The condition on ``market_entity`` of one rule (认领规则, 片区, attribute)."""
    kind, value = RuleKind(kind), value.strip()
    if not value:
        return false()
    if kind is RuleKind.NAME:
        return _like(MarketEntity.name, value)
    if kind is RuleKind.INDUSTRY:
        return or_(MarketEntity.industry_code.startswith(value), _like(MarketEntity.industry_name, value))
    if kind is RuleKind.SCOPE:
        return _like(MarketEntity.business_scope, value)
    if kind is RuleKind.TYPE:
        return MarketEntity.entity_type == value
    if kind is RuleKind.ADDRESS:
        return or_(_like(MarketEntity.business_address, value), _like(MarketEntity.domicile, value))
    return MarketEntity.division_code.startswith(value)


def check_rule_value(kind: str, value: str) -> tuple[RuleKind, str]:
    try:
        rule_kind = RuleKind(kind)
    except ValueError:
        raise Invalid("请选择规则类型", field="kind") from None
    value = value.strip()
    if not value:
        raise Invalid("请填写规则内容", field="value")
    if len(value) > 100:
        raise Invalid("规则内容不能超过100个字", field="value")
    if rule_kind is RuleKind.TYPE and value not in {t.value for t in EntityType}:
        labels = {t.label: t.value for t in EntityType}
        if value not in labels:
            raise Invalid("市场主体类型应为：" + "、".join(labels), field="value")
        value = labels[value]
    if rule_kind is RuleKind.DIVISION and not value.isdigit():
        raise Invalid("行政区划代码（街道代码）应为数字", field="value")
    return rule_kind, value


def keyword_condition(columns: tuple[Any, ...], words: list[str]) -> ColumnElement[bool]:
    if not words:
        return false()
    return or_(*(and_(_like(c, w)) for w in words for c in columns))


def inserted(session: Any, statement: Any) -> int:
    """Run an INSERT … SELECT and return how many rows it wrote.  On PostgreSQL the count is
    that of the ids RETURNING gives back: SQLAlchemy reports -1 as the row count of a compiled
    INSERT … SELECT there; SQLite's row count is right and cheaper."""
    if session.get_bind().dialect.name == "postgresql":
        return len(session.execute(statement.returning(statement.table.c.id)).all())
    return int(session.execute(statement).rowcount or 0)
