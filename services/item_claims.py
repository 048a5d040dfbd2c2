"""The city's items a district department may claim (认领), and the items a department assigns (指派)
to the departments below it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from infrastructure.errors import Conflict, Forbidden, Invalid
from models import (
    CheckItem,
    Department,
    ItemKind,
    ItemStatus,
    ProcessInstance,
    User,
    db,
)
from models.org import DepartmentKind, DepartmentLevel
from persistence import audit
from services.items import (
    SUBJECT_TYPE,
    TITLES,
    can_edit,
    check_manage,
    name_taken,
    require_editor,
    summary_of,
    take_item,
)
from workflows import engine


def _region(department: Department, level: DepartmentLevel) -> Department | None:
    """The nearest ancestor (or the department itself) of ``level``."""
    ids = department.ancestors()
    if not ids:
        return None
    found = {
        d.id: d
        for d in db.session.execute(
            select(Department).where(Department.id.in_(ids), Department.level == level)
        ).scalars()
    }
    return next((found[i] for i in reversed(ids) if i in found), None)


def _city_departments(city: Department) -> Select[Any]:
    """Ids of the departments of the city itself: under the city node, outside every district."""
    districts = db.session.execute(
        select(Department.path).where(
            Department.path.startswith(city.path), Department.level == DepartmentLevel.DISTRICT
        )
    ).scalars().all()
    query = select(Department.id).where(Department.path.startswith(city.path))
    for path in districts:
        query = query.where(~Department.path.startswith(path))
    return query


def can_claim(user: User) -> bool:
    """A district-level (区县级) department claims from the list of its city; its sections and
    stations carry out what it assigns them (表11)."""
    return (
        can_edit(user)
        and user.department.level == DepartmentLevel.BUREAU
        and _region(user.department, DepartmentLevel.DISTRICT) is not None
    )


def city_list_query(user: User) -> Select[tuple[CheckItem]]:
    """The city list the user's district may claim from: the city departments' published items."""
    city = _region(user.department, DepartmentLevel.CITY)
    if city is None or not can_claim(user):
        return select(CheckItem).where(CheckItem.id.is_(None))
    return (
        select(CheckItem)
        .where(
            CheckItem.kind == ItemKind.SINGLE,
            CheckItem.status == ItemStatus.PUBLISHED,
            CheckItem.department_id.in_(_city_departments(city)),
        )
        .options(joinedload(CheckItem.department))
        .order_by(CheckItem.domain, CheckItem.name, CheckItem.id)
    )


def claimed_ids(user: User) -> set[int]:
    """Ids of the city items the user's department has already claimed."""
    return set(
        db.session.execute(
            select(CheckItem.source_id).where(
                CheckItem.department_id == user.department_id,
                CheckItem.source_id.is_not(None),
                CheckItem.status != ItemStatus.DELETED,
            )
        ).scalars()
    )


def claimable(user: User, source_id: int) -> CheckItem | None:
    """The city item ``source_id`` if it is on the user's city list, else None (404)."""
    return db.session.execute(city_list_query(user).where(CheckItem.id == source_id)).scalars().first()


def claim_item(user: User, source: CheckItem) -> CheckItem:
    """选择拟认领的抽查事项 → 认领抽查事项: the department's own copy of a city item."""
    require_editor(user)
    if not can_claim(user):
        raise Forbidden("只有区（市）县的监管部门可以认领市级抽查事项")
    if claimable(user, source.id) is None:
        raise Conflict("该事项已不在市级抽查事项清单中，请刷新页面")
    # Serialise claims of one source (PostgreSQL); SQLite serialises writers anyway.
    db.session.execute(select(CheckItem.id).where(CheckItem.id == source.id).with_for_update())
    if source.id in claimed_ids(user):
        raise Conflict("本部门已认领该事项，不能重复认领")
    if name_taken(user.department_id, source.name):
        raise Conflict("本部门清单中已有同名抽查事项，不能认领")
    copy = CheckItem(
        kind=ItemKind.SINGLE,
        status=ItemStatus.PUBLISHED,
        department_id=user.department_id,
        source_id=source.id,
        created_by_id=user.id,
        version=0,
        **{k: getattr(source, k) for k in TITLES},
    )
    db.session.add(copy)
    db.session.flush()
    instance = engine.start(10, user, title=source.name, subject_type=SUBJECT_TYPE, subject_id=copy.id)
    engine.advance(user, instance, "select", "next")
    audit.record(
        "claim",
        object_type=SUBJECT_TYPE,
        object_id=copy.id,
        summary={**summary_of(copy), "认领自": f"{source.department.name}（事项{source.id}）"},
        user=user,
    )
    engine.advance(user, instance, "claim", "next")
    return copy


def assign_targets(item: CheckItem) -> list[Department]:
    """Where an item can be assigned: the department's own sections (处室/科室) and stations,
    and, for a city department, the district-level (区县级) supervision departments of the city."""
    owner = item.department
    below = db.session.execute(
        select(Department)
        .where(
            Department.path.startswith(owner.path),
            Department.id != owner.id,
            Department.active.is_(True),
            Department.level.in_((DepartmentLevel.SECTION, DepartmentLevel.STATION)),
        )
        .order_by(Department.path)
    ).scalars().all()
    targets = list(below)
    city = _region(owner, DepartmentLevel.CITY)
    if city is not None and _region(owner, DepartmentLevel.DISTRICT) is None:
        district_paths = select(Department.path).where(
            Department.path.startswith(city.path), Department.level == DepartmentLevel.DISTRICT
        )
        lower = db.session.execute(
            select(Department)
            .where(
                Department.parent_id.in_(
                    select(Department.id).where(Department.path.in_(district_paths))
                ),
                Department.level == DepartmentLevel.BUREAU,
                Department.kind == DepartmentKind.SUPERVISION,
                Department.active.is_(True),
            )
            .order_by(Department.path)
        ).scalars().all()
        targets.extend(lower)
    return targets


def assign_item(user: User, item: CheckItem, department_id: int | None, *, version: int | None) -> ProcessInstance:
    """选择拟指派的抽查事项 → 指派抽查事项."""
    check_manage(user, item)
    targets = {d.id: d for d in assign_targets(item)}
    if department_id is None or department_id not in targets:
        raise Invalid("请选择下级区县级监管部门或本部门处室（科室）", "department_id")
    take_item(item, version)
    if item.assigned_department_id == department_id:
        raise Invalid("该事项已指派给该部门", "department_id")
    target = targets[department_id]
    instance = engine.start(11, user, title=item.name, subject_type=SUBJECT_TYPE, subject_id=item.id)
    engine.advance(user, instance, "select", "next")
    before = item.assigned_department.name if item.assigned_department else ""
    item.assigned_department = target
    audit.record(
        "assign",
        object_type=SUBJECT_TYPE,
        object_id=item.id,
        summary={"抽查事项": item.name, "指派给": [before, target.name]},
        user=user,
    )
    engine.advance(user, instance, "assign", "next", comment=f"指派给{target.name}")
    return instance


def claims_of(item: CheckItem) -> list[CheckItem]:
    """The district copies of a city item (who claimed it)."""
    return list(
        db.session.execute(
            select(CheckItem)
            .where(CheckItem.source_id == item.id, CheckItem.status != ItemStatus.DELETED)
            .options(joinedload(CheckItem.department))
        ).scalars()
    )
