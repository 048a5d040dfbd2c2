"""Department administration (部门管理): the tree of an administrator's subtree, and creating,
editing, deactivating and reactivating its departments.

A system administrator manages the departments strictly below its own (分级管理: the
department at its own level is managed from the level above); it may add children to any node
of its subtree, its own department included.  Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from infrastructure.errors import Forbidden, Invalid
from models import Department, User, db
from models.org import DepartmentKind, DepartmentLevel, UserStatus
from models.roles import Role
from persistence import audit
from persistence.org import place_department
from persistence.scope import scope_departments

_RANK = {
    DepartmentLevel.CITY: 0,
    DepartmentLevel.DISTRICT: 1,
    DepartmentLevel.BUREAU: 2,
    DepartmentLevel.SECTION: 3,
    DepartmentLevel.STATION: 3,
}
# Levels that may repeat under themselves (分局 under 局, 二级科室 under 科室, …).
_NESTING = {DepartmentLevel.BUREAU, DepartmentLevel.SECTION, DepartmentLevel.STATION}


@dataclass
class TreeRow:
    """One department in the administrator's tree, with its depth below the tree's root."""

    department: Department
    depth: int
    active_users: int = 0
    children: list[TreeRow] = field(default_factory=list)


def allowed_child_levels(parent_level: DepartmentLevel) -> list[DepartmentLevel]:
    """Levels a child of a ``parent_level`` department may have: lower ones, or the same one
    for bureaus, sections and stations."""
    rank = _RANK[parent_level]
    return [lvl for lvl in DepartmentLevel if _RANK[lvl] > rank or (lvl == parent_level and lvl in _NESTING)]


def is_department_admin(actor: User) -> bool:
    return actor.has_role(Role.SYSTEM_ADMIN)


def can_create_child(actor: User, parent: Department) -> bool:
    """Any active node of the actor's subtree may get children."""
    return is_department_admin(actor) and parent.is_within(actor.department) and parent.active


def can_edit_department(actor: User, department: Department) -> bool:
    """Only departments strictly below the actor's own."""
    return (
        is_department_admin(actor)
        and department.is_within(actor.department)
        and department.id != actor.department_id
    )


def department_tree(actor: User) -> list[TreeRow]:
    """The actor's subtree in pre-order (children by sort order, then name)."""
    departments = db.session.execute(scope_departments(select(Department), actor)).scalars().all()
    counts = dict(
        db.session.execute(
            select(User.department_id, func.count(User.id))
            .where(User.department_id.in_([d.id for d in departments]), User.status == UserStatus.ACTIVE)
            .group_by(User.department_id)
        ).all()
    )
    by_parent: dict[int | None, list[Department]] = {}
    for d in departments:
        by_parent.setdefault(d.parent_id, []).append(d)
    rows: list[TreeRow] = []

    def walk(dept: Department, depth: int) -> None:
        rows.append(TreeRow(dept, depth, counts.get(dept.id, 0)))
        for child in sorted(by_parent.get(dept.id, []), key=lambda c: (c.sort_order, c.name, c.id)):
            walk(child, depth + 1)

    walk(actor.department, 0)
    return rows


def department_choices(actor: User, *, active_only: bool = True) -> list[tuple[int, str]]:
    """(id, indented name) of the actor's subtree, for select boxes."""
    choices = []
    for row in department_tree(actor):
        d = row.department
        if active_only and not d.active:
            continue
        label = "\u3000" * row.depth + d.name + ("" if d.active else "（已停用）")
        choices.append((d.id, label))
    return choices


def _check_values(
    parent: Department, name: str, level: DepartmentLevel, region_code: str, exclude_id: int | None
) -> str:
    name = (name or "").strip()
    if not name:
        raise Invalid("请填写部门名称", "name")
    if len(name) > 100:
        raise Invalid("部门名称不能超过100个字", "name")
    if not (region_code.isdigit() and 6 <= len(region_code) <= 12):
        raise Invalid("行政区划代码应为6–12位数字", "region_code")
    if level not in allowed_child_levels(parent.level):
        raise Invalid(f"“{parent.name}”的下级部门不能是“{level.label}”层级", "level")
    query = select(Department.id).where(Department.parent_id == parent.id, Department.name == name)
    if exclude_id is not None:
        query = query.where(Department.id != exclude_id)
    if db.session.execute(query).first() is not None:
        raise Invalid(f"“{parent.name}”下已有名为“{name}”的部门", "name")
    return name


def create_department(
    actor: User,
    parent: Department,
    *,
    name: str,
    level: DepartmentLevel,
    kind: DepartmentKind,
    region_code: str,
    sort_order: int = 0,
) -> Department:
    """Add a child department under ``parent`` (a node of the actor's subtree)."""
    if not parent.is_within(actor.department) or not is_department_admin(actor):
        raise Forbidden("您无权在该部门下新增部门")
    if not parent.active:
        raise Invalid("上级部门已停用，不能新增下级部门")
    name = _check_values(parent, name, level, region_code, None)
    department = Department(
        name=name, parent=parent, level=level, kind=kind, region_code=region_code, sort_order=sort_order
    )
    db.session.add(department)
    db.session.flush()
    place_department(department, parent)
    db.session.flush()
    audit.record(
        "create",
        object_type="department",
        object_id=department.id,
        summary={"名称": name, "上级部门": parent.name, "层级": level.label, "类型": kind.label},
        user=actor,
    )
    return department


def update_department(
    actor: User,
    department: Department,
    *,
    name: str,
    level: DepartmentLevel,
    kind: DepartmentKind,
    region_code: str,
    sort_order: int,
) -> None:
    """Change a department strictly below the actor's own."""
    if not can_edit_department(actor, department):
        raise Forbidden("本级部门由上级管理员维护，您只能修改下级部门")
    parent = department.parent
    assert parent is not None  # a department below the actor's has a parent
    name = _check_values(parent, name, level, region_code, department.id)
    for child in department.children:
        if child.level not in allowed_child_levels(level):
            raise Invalid(f"下级部门“{child.name}”的层级与“{level.label}”不相容", "level")
    before = {
        "名称": department.name,
        "层级": department.level.label,
        "类型": department.kind.label,
        "行政区划代码": department.region_code,
        "排序": department.sort_order,
    }
    department.name, department.level, department.kind = name, level, kind
    department.region_code, department.sort_order = region_code, sort_order
    after = {
        "名称": name,
        "层级": level.label,
        "类型": kind.label,
        "行政区划代码": region_code,
        "排序": sort_order,
    }
    changes = {k: f"{before[k]} → {after[k]}" for k in before if before[k] != after[k]}
    db.session.flush()
    audit.record(
        "update", object_type="department", object_id=department.id, summary=changes or "未修改", user=actor
    )


def set_department_active(actor: User, department: Department, active: bool) -> None:
    """停用 or 启用 a department.  A department still holding active users or active children
    cannot be deactivated; one under a deactivated parent cannot be reactivated."""
    if not can_edit_department(actor, department):
        raise Forbidden("本级部门由上级管理员维护，您只能停用或启用下级部门")
    if department.active == active:
        raise Invalid("该部门已是" + ("启用" if active else "停用") + "状态")
    if active:
        if department.parent is not None and not department.parent.active:
            raise Invalid(f"上级部门“{department.parent.name}”已停用，请先启用上级部门")
    else:
        users = db.session.execute(
            select(func.count(User.id)).where(
                User.department_id == department.id, User.status == UserStatus.ACTIVE
            )
        ).scalar_one()
        if users:
            raise Invalid(f"该部门还有{users}名在用用户，请先停用这些用户或将其调整到其他部门后再停用部门")
        children = db.session.execute(
            select(func.count(Department.id)).where(
                Department.parent_id == department.id, Department.active.is_(True)
            )
        ).scalar_one()
        if children:
            raise Invalid(f"该部门还有{children}个在用的下级部门，请先停用下级部门")
    department.active = active
    db.session.flush()
    audit.record(
        "update",
        object_type="department",
        object_id=department.id,
        summary={"名称": department.name, "操作": "启用" if active else "停用"},
        user=actor,
    )
