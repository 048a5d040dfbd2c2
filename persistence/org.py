"""Organisation queries shared by several chapters."""

from __future__ import annotations

from sqlalchemy import select

from models import Department, db
from models.org import DepartmentKind, DepartmentLevel


def region_root(department: Department) -> Department:
    """The nearest 区 or 市 node above (or at) a department: the area it works in."""
    ids = department.ancestors()
    nodes = {d.id: d for d in db.session.execute(select(Department).where(Department.id.in_(ids))).scalars()}
    for ident in reversed(ids):
        node = nodes.get(ident)
        if node is not None and node.level in (DepartmentLevel.DISTRICT, DepartmentLevel.CITY):
            return node
    return department


def partner_departments(department: Department) -> list[Department]:
    """Bureau-level supervision departments of the same area, other than the user's own unit:
    the departments one can invite as 参与部门 or 成员单位."""
    root = region_root(department)
    own_ids = set(department.ancestors())
    rows = db.session.execute(
        select(Department)
        .where(
            Department.path.startswith(root.path),
            Department.level == DepartmentLevel.BUREAU,
            Department.kind == DepartmentKind.SUPERVISION,
            Department.active.is_(True),
        )
        .order_by(Department.path, Department.sort_order)
    ).scalars()
    return [d for d in rows if d.id not in own_ids]


def place_department(department: Department, parent: Department | None) -> None:
    """Set ``path`` from the parent; call after the department has an id."""
    department.path = (parent.path if parent else "/") + f"{department.id}/"
