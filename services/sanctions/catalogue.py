"""联合奖惩事项清单 (表30 新增, 表31 维护): the 牵头部门's catalogue.

表30: 新增联合奖惩清单 is the entry form (the entry is saved as 待发布 and its instance waits at
发布), 发布联合奖惩清单 makes it effective (a ``Publication`` of the entry's public fields).
表31: 选择拟维护的联合奖惩清单 starts maintenance of a published entry, 停用 withdraws it at once
(no new task uses it), then 修改 (the form) or 删除 (refused while open tasks use it: it may stay
停用), and 发布 again.  Every publication is kept (services/publication.py), so every version of
an entry stays visible.  Only a 牵头部门 user of the entry's own department acts; the published
catalogue is read by everybody of the area.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, exists, func, or_, select

from infrastructure.errors import Conflict, Forbidden, Invalid
from infrastructure.excel import parse_date
from models import (
    Department,
    DepartmentLevel,
    ProcessInstance,
    Publication,
    PublicationAction,
    User,
    db,
    utcnow,
)
from models.roles import Role
from models.sanctions import EntryKind, EntryStatus, SanctionEntry, SanctionMeasure, SanctionTask
from models.sanctions import SanctionTaskStatus as TS
from persistence import audit
from persistence.org import region_root
from services import publication
from workflows import engine

SUBJECT = "sanction_entry"
ADD_TABLE = 30
MAINTAIN_TABLE = 31
TABLES = (ADD_TABLE, MAINTAIN_TABLE)
BUSINESS_STEPS = {ADD_TABLE: ("add", "publish"), MAINTAIN_TABLE: ("select", "suspend", "choose", "edit", "delete",
                                                                  "publish")}
NATURES = ("严重违法失信名单", "失信被执行人", "其他失信名单")
MAX_MEASURES = 50
NOT_OPEN = "该环节当前不由您办理，或已办理完毕，请刷新页面查看最新状态"


# ------------------------------------------------------------------ who


def is_leading(user: User, entry: SanctionEntry | None = None) -> bool:
    """牵头部门: the role, in the entry's own department."""
    if not (user.is_active and user.has_role(Role.LEADING_DEPARTMENT)):
        return False
    return entry is None or entry.department_id == user.department_id


def _same_area(user: User, department: Department) -> bool:
    return department.is_within(region_root(user.department)) or user.department.is_within(region_root(department))


def can_view(user: User, entry: SanctionEntry) -> bool:
    """An entry never published is its department's own; a published one is read by the area."""
    if entry.version == 0:
        return user.department.is_within(entry.department)
    return _same_area(user, entry.department)


def list_query(user: User, *, q: str = "", status: str = "", agency: str = "",
               department_id: int | None = None) -> Select[tuple[SanctionEntry]]:
    """The catalogue as the user sees it (查询: by 信息产生机构, 限制惩戒机构 and words)."""
    own = SanctionEntry.department_id == user.department_id
    area = region_root(user.department)
    query = select(SanctionEntry).join(Department, Department.id == SanctionEntry.department_id).where(
        or_(own, (SanctionEntry.version > 0) & or_(Department.path.startswith(area.path),
                                                     func.substr(area.path, 1, func.length(Department.path))
                                                     == Department.path)),
        SanctionEntry.status != EntryStatus.DELETED,
    )
    if status in {s.value for s in EntryStatus}:
        query = query.where(SanctionEntry.status == status)
    if q:
        query = query.where(SanctionEntry.behaviour.contains(q, autoescape=True)
                            | SanctionEntry.legal_basis.contains(q, autoescape=True))
    if agency:
        query = query.where(SanctionEntry.source_agency.contains(agency, autoescape=True))
    if department_id:
        query = query.where(exists().where(SanctionMeasure.entry_id == SanctionEntry.id,
                                           SanctionMeasure.department_id == department_id))
    return query.order_by(SanctionEntry.id.desc())


def implementing_choices(user: User) -> list[Department]:
    """Departments of the user's area that may implement a measure (the org tree's bureaus)."""
    root = region_root(user.department)
    return list(db.session.execute(
        select(Department).where(Department.path.startswith(root.path), Department.active.is_(True),
                                 Department.level == DepartmentLevel.BUREAU)
        .order_by(Department.path, Department.sort_order)
    ).scalars())


# ------------------------------------------------------------------ the form


def _text(data: Mapping[str, Any], key: str, title: str, limit: int, *, required: bool = True) -> str:
    value = str(data.get(key) or "").strip()
    if required and not value:
        raise Invalid(f"请填写{title}", key)
    if len(value) > limit:
        raise Invalid(f"{title}不能超过{limit}个字", key)
    return value


def _date(data: Mapping[str, Any], key: str, title: str, *, required: bool) -> date | None:
    try:
        value = parse_date(str(data.get(key) or "").strip() or None)
    except ValueError:
        raise Invalid(f"{title}不是有效的日期", key) from None
    if required and value is None:
        raise Invalid(f"请填写{title}", key)
    return value


def _measures(user: User, departments: Sequence[Any], contents: Sequence[Any]) -> list[tuple[int, str]]:
    allowed = {d.id for d in implementing_choices(user)}
    found: list[tuple[int, str]] = []
    for raw_dept, raw_content in zip(departments, contents, strict=False):
        content = str(raw_content or "").strip()
        dept = str(raw_dept or "").strip()
        if not content and not dept:
            continue
        if not dept.isdigit() or int(dept) not in allowed:
            raise Invalid("请为每项措施选择本地区的实施部门", "measure_department")
        if not content:
            raise Invalid("请填写每个实施部门的措施内容", "measure_content")
        if len(content) > 1000:
            raise Invalid("每项措施不能超过1000个字", "measure_content")
        found.append((int(dept), content))
    if not found:
        raise Invalid("请至少填写一项措施（实施部门和措施内容）", "measure_content")
    if len(found) > MAX_MEASURES:
        raise Invalid(f"一个事项最多{MAX_MEASURES}项措施", "measure_content")
    return found


def read_form(user: User, data: Mapping[str, Any], departments: Sequence[Any],
              contents: Sequence[Any]) -> dict[str, Any]:
    """The fields of an entry, checked; a wrong field raises Invalid naming it."""
    kind = str(data.get("kind") or "")
    if kind not in {k.value for k in EntryKind}:
        raise Invalid("请选择奖惩类别（惩戒或激励）", "kind")
    nature = str(data.get("nature") or "").strip()
    if kind == EntryKind.PUNISH and nature not in NATURES:
        raise Invalid("请选择失信性质", "nature")
    starts_on = _date(data, "starts_on", "期限开始日期", required=True)
    ends_on = _date(data, "ends_on", "期限结束日期", required=False)
    if ends_on is not None and starts_on is not None and ends_on < starts_on:
        raise Invalid("期限结束日期不能早于开始日期", "ends_on")
    return {
        "kind": kind,
        "nature": nature if kind == EntryKind.PUNISH else "",
        "behaviour": _text(data, "behaviour", "违法/违规名称", 200),
        "source_agency": _text(data, "source_agency", "信息产生机构", 200),
        "legal_basis": _text(data, "legal_basis", "法律依据", 4000),
        "starts_on": starts_on,
        "ends_on": ends_on,
        "measures": _measures(user, departments, contents),
    }


def _apply(entry: SanctionEntry, fields: dict[str, Any]) -> None:
    for key in ("kind", "nature", "behaviour", "source_agency", "legal_basis", "starts_on", "ends_on"):
        setattr(entry, key, fields[key])
    kept = {(m.department_id, m.content): m for m in entry.measures}
    entry.measures = [kept.get((dept, content)) or SanctionMeasure(department_id=dept, content=content)
                      for dept, content in fields["measures"]]
    for position, measure in enumerate(entry.measures):
        measure.position = position
    entry.updated_at = utcnow()


def check_lock(entry: SanctionEntry, lock_version: int | None) -> None:
    db.session.refresh(entry, ["lock_version"], with_for_update=True)
    if lock_version is None or lock_version != entry.lock_version:
        raise Conflict("该事项已被他人修改，请刷新页面后重试（您填写的内容已保留）")
    entry.lock_version += 1


# ------------------------------------------------------------------ the process


def instance_of(entry: SanctionEntry) -> ProcessInstance | None:
    return db.session.get(ProcessInstance, entry.instance_id) if entry.instance_id else None


def open_step(user: User, entry: SanctionEntry) -> str:
    """The step of the entry's open instance the user may do now, or ''."""
    inst = instance_of(entry)
    if inst is None or not is_leading(user, entry):
        return ""
    for item in inst.work_items:
        if engine.can_act(user, item):
            return item.step_key
    return ""


def _advance(user: User, entry: SanctionEntry, key: str, outcome: str = "next") -> None:
    inst = instance_of(entry)
    if inst is None or engine.open_item(user, inst, key) is None:
        raise Conflict(NOT_OPEN)
    engine.advance(user, inst, key, outcome)


def _require(user: User, entry: SanctionEntry | None = None) -> None:
    if not is_leading(user, entry):
        raise Forbidden("只有本牵头部门可以管理该联合奖惩事项清单")


def create_entry(user: User, fields: dict[str, Any]) -> SanctionEntry:
    """新增联合奖惩清单 (表30): saved 待发布, its instance at 发布联合奖惩清单."""
    _require(user)
    entry = SanctionEntry(department_id=user.department_id, created_by_id=user.id, status=EntryStatus.DRAFT)
    _apply(entry, fields)
    db.session.add(entry)
    db.session.flush()
    inst = engine.start(ADD_TABLE, user, title=f"新增联合奖惩清单：{entry.behaviour}", subject_type=SUBJECT,
                        subject_id=entry.id)
    entry.instance_id = inst.id
    engine.advance(user, inst, "add", "next")
    audit.record("create", object_type=SUBJECT, object_id=entry.id,
                 summary={"违法/违规名称": entry.behaviour, "措施数": len(entry.measures)}, user=user)
    return entry


def update_draft(user: User, entry: SanctionEntry, lock_version: int | None, fields: dict[str, Any]) -> None:
    """Correct an entry that waits at 发布 (never published, or 修改 of 表31 already saved)."""
    _require(user, entry)
    if open_step(user, entry) != "publish" or entry.status == EntryStatus.DELETED:
        raise Conflict("只有待发布的事项可以修改")
    check_lock(entry, lock_version)
    _apply(entry, fields)
    audit.record("update", object_type=SUBJECT, object_id=entry.id, summary={"违法/违规名称": entry.behaviour},
                 user=user)


def public_fields(entry: SanctionEntry) -> dict[str, Any]:
    kind = entry.kind_enum
    return {
        "奖惩类别": kind.label,
        kind.behaviour_label: entry.behaviour,
        "失信性质": entry.nature,
        "信息产生机构": entry.source_agency,
        "措施清单": [{kind.department_label: publication.department_name(m.department), "措施": m.content}
                     for m in entry.measures],
        "法律依据": entry.legal_basis,
        "期限开始日期": entry.starts_on.isoformat(),
        "期限结束日期": entry.ends_on.isoformat() if entry.ends_on else "长期",
    }


def publish(user: User, entry: SanctionEntry) -> None:
    """发布联合奖惩清单 (表30, and 表31 after 修改 or 删除)."""
    _require(user, entry)
    inst = instance_of(entry)
    deleting = entry.status == EntryStatus.DELETED
    _advance(user, entry, "publish")
    entry.instance_id = None
    entry.updated_at = utcnow()
    if deleting:
        payload = {**public_fields(entry), "状态": "已删除"}
        publication.publish(SUBJECT, entry.id, title=entry.behaviour, payload=payload,
                            department_id=entry.department_id, action=PublicationAction.WITHDRAW,
                            instance_id=inst.id if inst else None, user=user)
        return
    entry.status = EntryStatus.PUBLISHED
    entry.version += 1
    publication.publish(SUBJECT, entry.id, title=entry.behaviour, payload=public_fields(entry),
                        department_id=entry.department_id, instance_id=inst.id if inst else None, user=user)


def select_for_maintenance(user: User, entry: SanctionEntry) -> None:
    """选择拟维护的联合奖惩清单 (表31): a published entry with no open maintenance."""
    _require(user, entry)
    if entry.status != EntryStatus.PUBLISHED or entry.instance_id is not None:
        raise Conflict("只有已发布且未在维护中的事项可以选择维护")
    inst = engine.start(MAINTAIN_TABLE, user, title=f"维护联合奖惩清单：{entry.behaviour}", subject_type=SUBJECT,
                        subject_id=entry.id)
    entry.instance_id = inst.id
    engine.advance(user, inst, "select", "next")


def suspend(user: User, entry: SanctionEntry) -> None:
    """停用联合奖惩清单: effective at once (withdrawn from the published catalogue)."""
    _require(user, entry)
    inst = instance_of(entry)
    _advance(user, entry, "suspend")
    entry.status = EntryStatus.SUSPENDED
    entry.updated_at = utcnow()
    publication.publish(SUBJECT, entry.id, title=entry.behaviour, payload={**public_fields(entry), "状态": "已停用"},
                        department_id=entry.department_id, action=PublicationAction.WITHDRAW,
                        instance_id=inst.id if inst else None, user=user)


def edit(user: User, entry: SanctionEntry, lock_version: int | None, fields: dict[str, Any]) -> None:
    """判断修改/删除? → 修改联合奖惩清单: the form's changes, then 发布 is open."""
    _require(user, entry)
    check_lock(entry, lock_version)
    _advance(user, entry, "choose", "edit")
    _apply(entry, fields)
    _advance(user, entry, "edit")
    audit.record("update", object_type=SUBJECT, object_id=entry.id, summary={"违法/违规名称": entry.behaviour},
                 user=user)


def open_tasks(entry: SanctionEntry) -> int:
    return db.session.execute(
        select(func.count()).select_from(SanctionTask).join(SanctionMeasure, SanctionMeasure.id == SanctionTask.measure_id)
        .where(SanctionMeasure.entry_id == entry.id, SanctionTask.status != TS.RECORDED)
    ).scalar_one()


def delete(user: User, entry: SanctionEntry) -> None:
    """判断修改/删除? → 删除联合奖惩清单; refused while open tasks use the entry (it stays 停用)."""
    _require(user, entry)
    pending = open_tasks(entry)
    if pending:
        raise Conflict(f"该事项有{pending}项未办结的联合奖惩任务，不能删除；可保持停用状态")
    _advance(user, entry, "choose", "delete")
    _advance(user, entry, "delete")
    entry.status = EntryStatus.DELETED
    audit.record("delete", object_type=SUBJECT, object_id=entry.id, summary={"违法/违规名称": entry.behaviour},
                 user=user)


def versions(entry: SanctionEntry) -> list[Publication]:
    return publication.history(SUBJECT, entry.id)


def published_entries() -> list[SanctionEntry]:
    """The catalogue in force (for the exports and the task generation)."""
    return list(db.session.execute(
        select(SanctionEntry).where(SanctionEntry.status == EntryStatus.PUBLISHED).order_by(SanctionEntry.id)
    ).scalars())
