"""Single-department inspection item lists (抽查事项清单, DB5101 7.1.1.1, 表7–表11, template A.1.1).

Every verb changes the item and drives its process through the engine in the same transaction
(workflows/bindings.py), so that each change leaves an instance with the standard's steps:

- 新增 (表7): 新增本部门抽查事项 → 公布事项;
- 编辑 (表8): 选择拟编辑的抽查事项 → 编辑抽查事项 → 公布事项;
- 删除 (表9): 选择拟删除的抽查事项 → 删除抽查事项 → 公布事项 (a withdrawal: the item leaves the
  public list, its row stays with status ``deleted``);
- 认领 (表10): a district department takes an item of the city list into its own list (a copy
  with ``source_id``); the standard publishes nothing here, the city item is public already;
- 指派 (表11): to a lower (区县级) department or a section of the department.

公布事项 is the platform lane's automatic step: ``_publish`` (registered with on_auto_step)
stores the item's public snapshot with services.publication and bumps ``CheckItem.version``.
Edits and deletions carry the version the form was shown with; a stale form is refused with
该事项已被他人处理 (409) and nothing changes.  Services never commit; the view does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import joinedload

from models import (
    CheckItem,
    Department,
    ItemCategory,
    ItemKind,
    ItemStatus,
    ProcessInstance,
    PublicationAction,
    User,
    db,
    utcnow,
)
from models.org import DepartmentKind, DepartmentLevel
from models.roles import Role
from services import audit
from services import publication as pub
from services.entities import INDUSTRY_SECTIONS
from services.errors import Conflict, Forbidden, Invalid
from services.excel import parse_decimal
from services.scope import subtree_ids
from services.templates_catalogue import IMPLEMENTATION_LEVELS, INSPECTION_METHODS
from workflows import engine
from workflows.actions import on_auto_step

SUBJECT_TYPE = "check_item"
LIST_TYPE = "单部门"
VIEW_ROLES = (Role.CLERK, Role.DEPT_LEADER)
EDIT_ROLES = (Role.CLERK, Role.DEPT_LEADER)
METHODS = INSPECTION_METHODS
LEVELS = IMPLEMENTATION_LEVELS
STALE = "该事项已被他人处理，请刷新页面查看最新状态"
PUBLISH_NOTE = "已推送信用中国（四川成都）、国家企业信用信息公示系统（四川）向社会公布"
WITHDRAW_NOTE = "已通知信用中国（四川成都）、国家企业信用信息公示系统（四川）撤下该事项"

# Field key → the A.1.1 column title (or the platform's own label for the extra fields).
TITLES: dict[str, str] = {
    "domain": "抽查类别",
    "name": "抽查事项",
    "objects": "检查对象",
    "category": "事项类别",
    "ratio_cap": "抽查比例上限（%）",
    "methods": "检查方式",
    "inspecting_body": "检查主体",
    "basis": "检查依据",
    "lead_office": "牵头处室",
    "levels": "实施层级",
    "industry_code": "行业代码",
    "note": "备注",
}
_LIMITS = {
    "domain": 100,
    "name": 200,
    "objects": 2000,
    "inspecting_body": 200,
    "basis": 4000,
    "lead_office": 100,
    "note": 2000,
}
_REQUIRED = ("domain", "name", "objects", "category", "methods", "inspecting_body", "basis")
_SEPARATORS = re.compile(r"[、,，;；/／\s]+")
_INDUSTRY = re.compile(r"^[A-T](\d{2,4})?$")


class ItemInvalid(Invalid):
    """Form input with one message per field (``errors``); ``message`` is the first."""

    def __init__(self, errors: dict[str, str]) -> None:
        field, message = next(iter(errors.items()))
        super().__init__(f"{TITLES.get(field, field)}：{message}", field)
        self.errors = errors


# ------------------------------------------------------------------ who may do what


def can_view(user: User) -> bool:
    return user.is_active and user.has_role(*VIEW_ROLES)


def can_edit(user: User) -> bool:
    return user.is_active and user.has_role(*EDIT_ROLES)


def _require_editor(user: User) -> None:
    if not can_edit(user):
        raise Forbidden("只有监管部门经办人或部门领导可以维护抽查事项清单")


def in_scope(user: User, item: CheckItem) -> bool:
    """An item of the user's department subtree, or one assigned (表11) into it."""
    if item.department.is_within(user.department):
        return True
    assigned = item.assigned_department
    return assigned is not None and assigned.is_within(user.department)


def can_manage(user: User, item: CheckItem) -> bool:
    """Edit, delete and assign: the owning department's (or an upper one's) clerks and leaders."""
    return (
        can_edit(user)
        and item.kind == ItemKind.SINGLE
        and item.status != ItemStatus.DELETED
        and item.department.is_within(user.department)
    )


def scope_items(query: Select[Any], user: User) -> Select[Any]:
    mine = subtree_ids(user.department)
    return query.where(CheckItem.department_id.in_(mine) | CheckItem.assigned_department_id.in_(mine))


def get_item(user: User, item_id: int) -> CheckItem | None:
    """A single item the user may see, else None (the view answers 404)."""
    item = db.session.get(CheckItem, item_id)
    if item is None or item.kind != ItemKind.SINGLE or not in_scope(user, item):
        return None
    return item


# ------------------------------------------------------------------ parsing


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value).strip()


def _choices(value: Any, allowed: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Selected values from a list or a 、-separated string: (known ones in catalogue order, unknown)."""
    if isinstance(value, list | tuple | set):
        parts = [_text(v) for v in value]
    else:
        parts = _SEPARATORS.split(_text(value))
    parts = [p for p in parts if p]
    unknown = [p for p in parts if p not in allowed]
    return [a for a in allowed if a in parts], unknown


def category_of(value: Any) -> ItemCategory | None:
    text = _text(value)
    for c in ItemCategory:
        if text in (c.value, c.label):
            return c
    return None


def parse_item(raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Check the fields of an item (form or import row): (model values, {field: message})."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, limit in _LIMITS.items():
        text = _text(raw.get(key))
        if len(text) > limit:
            errors[key] = f"不能超过{limit}个字"
        values[key] = text
    category = category_of(raw.get("category"))
    if category is None:
        errors["category"] = "请选择重点检查事项或一般检查事项" if _text(raw.get("category")) else "必填"
    values["category"] = category or ItemCategory.GENERAL
    cap_text = _text(raw.get("ratio_cap")).rstrip("%％")
    cap: Decimal | None = None
    if category == ItemCategory.GENERAL:
        try:
            cap = parse_decimal(cap_text)
        except ValueError:
            errors["ratio_cap"] = "应为数字（百分比），如 5 表示5%"
        else:
            if cap is None:
                errors["ratio_cap"] = "一般检查事项须填写抽查比例上限"
            elif not Decimal(0) < cap <= Decimal(100):
                errors["ratio_cap"] = "应大于0且不超过100"
            elif cap != cap.quantize(Decimal("0.01")):
                errors["ratio_cap"] = "最多两位小数"
    # 重点检查事项: 抽查比例不设上限 (渝 规范), whatever was typed.
    values["ratio_cap"] = cap if "ratio_cap" not in errors else None
    methods, unknown = _choices(raw.get("methods"), METHODS)
    if unknown:
        errors["methods"] = f"“{'、'.join(unknown)}”不是可选的检查方式（{'、'.join(METHODS)}）"
    values["methods"] = "、".join(methods)
    levels, unknown = _choices(raw.get("levels"), LEVELS)
    if unknown:
        errors["levels"] = f"“{'、'.join(unknown)}”不是可选的实施层级（{'、'.join(LEVELS)}）"
    values["levels"] = "、".join(levels)
    industry = _text(raw.get("industry_code")).upper()
    if industry and (not _INDUSTRY.match(industry) or industry[0] not in INDUSTRY_SECTIONS):
        errors["industry_code"] = "应为国民经济行业分类门类字母，可加2–4位代码，如 F、F52、F5211"
    values["industry_code"] = industry
    for key in _REQUIRED:
        if key not in errors and not values.get(key):
            errors[key] = "必填"
    ordered = {k: errors[k] for k in TITLES if k in errors}
    return values, ordered


def form_values(item: CheckItem) -> dict[str, Any]:
    """An item's fields as a form shows them."""
    return {
        "domain": item.domain,
        "name": item.name,
        "objects": item.objects,
        "category": item.category.value,
        "ratio_cap": "" if item.ratio_cap is None else format(item.ratio_cap.normalize(), "f"),
        "methods": [m for m in item.methods.split("、") if m],
        "inspecting_body": item.inspecting_body,
        "basis": item.basis,
        "lead_office": item.lead_office,
        "levels": [v for v in item.levels.split("、") if v],
        "industry_code": item.industry_code,
        "note": item.note,
    }


def _display(key: str, value: Any) -> str:
    if isinstance(value, ItemCategory):
        return value.label
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return "" if value is None else str(value)


def _summary(item: CheckItem) -> dict[str, str]:
    return {TITLES[k]: _display(k, getattr(item, k)) for k in ("domain", "name", "category", "methods")}


def _name_taken(department_id: int, name: str, exclude: int | None = None) -> bool:
    query = select(CheckItem.id).where(
        CheckItem.department_id == department_id,
        CheckItem.kind == ItemKind.SINGLE,
        CheckItem.status != ItemStatus.DELETED,
        CheckItem.name == name,
    )
    if exclude is not None:
        query = query.where(CheckItem.id != exclude)
    return db.session.execute(query.limit(1)).first() is not None


def find_by_name(department_id: int, name: str) -> CheckItem | None:
    """The department's live single item of that name (the key of a re-import)."""
    return db.session.execute(
        select(CheckItem).where(
            CheckItem.department_id == department_id,
            CheckItem.kind == ItemKind.SINGLE,
            CheckItem.status != ItemStatus.DELETED,
            CheckItem.name == name,
        )
    ).scalars().first()


# ------------------------------------------------------------------ 公布事项 (platform lane)


def public_payload(item: CheckItem) -> dict[str, str]:
    """What the public sees of a single item: A.1.1's columns and 实施层级, nothing internal
    (no ratio cap, no industry code, no note; the credit-risk grade is not even in the model)."""
    return {
        "清单类型": LIST_TYPE,
        "抽查类别": item.domain,
        "抽查事项": item.name,
        "检查对象": item.objects,
        "事项类别": item.category.label,
        "检查方式": item.methods,
        "检查主体": item.inspecting_body,
        "检查依据": item.basis,
        "牵头处室": item.lead_office,
        "实施层级": item.levels,
    }


@on_auto_step(9, "publish")
@on_auto_step(8, "publish")
@on_auto_step(7, "publish")
def _publish(instance: ProcessInstance) -> str:
    """公布事项: push the item to the public list (or take it off after 删除)."""
    if instance.subject_type != SUBJECT_TYPE or instance.subject_id is None:
        return ""
    item = db.session.get(CheckItem, instance.subject_id)
    if item is None or item.kind != ItemKind.SINGLE:
        return ""
    if item.status == ItemStatus.DELETED:
        if item.version == 0:
            return "该事项未曾公布，无需撤下"
        publication = pub.publish(
            SUBJECT_TYPE,
            item.id,
            title=item.name,
            payload=public_payload(item),
            department_id=item.department_id,
            action=PublicationAction.WITHDRAW,
            instance_id=instance.id,
        )
        item.version = publication.version
        return f"{WITHDRAW_NOTE}（第{publication.version}版）"
    publication = pub.publish(
        SUBJECT_TYPE,
        item.id,
        title=item.name,
        payload=public_payload(item),
        department_id=item.department_id,
        instance_id=instance.id,
    )
    item.version = publication.version
    item.status = ItemStatus.PUBLISHED
    return f"{PUBLISH_NOTE}（第{publication.version}版）"


# ------------------------------------------------------------------ 表7 新增


def create_item(user: User, raw: Mapping[str, Any], *, source: str = "") -> CheckItem:
    """新增本部门抽查事项 → 公布事项, in the caller's transaction."""
    _require_editor(user)
    values, errors = parse_item(raw)
    if errors:
        raise ItemInvalid(errors)
    if _name_taken(user.department_id, values["name"]):
        raise ItemInvalid({"name": "本部门清单中已有同名抽查事项"})
    item = CheckItem(
        kind=ItemKind.SINGLE,
        status=ItemStatus.DRAFT,
        department_id=user.department_id,
        created_by_id=user.id,
        version=0,
        **values,
    )
    db.session.add(item)
    db.session.flush()
    summary: dict[str, Any] = _summary(item)
    if source:
        summary["来源"] = source
    audit.record("create", object_type=SUBJECT_TYPE, object_id=item.id, summary=summary, user=user)
    instance = engine.start(7, user, title=item.name, subject_type=SUBJECT_TYPE, subject_id=item.id)
    engine.advance(user, instance, "add", "next")
    return item


# ------------------------------------------------------------------ 表8 编辑 / 表9 删除


def _take(item: CheckItem, version: int | None) -> None:
    """Claim the item at the version the form showed: of two concurrent submissions one wins,
    the other (and any stale form) is refused."""
    if version is None or item.version != version:
        raise Conflict(STALE)
    claimed = db.session.execute(
        update(CheckItem)
        .where(CheckItem.id == item.id, CheckItem.version == version, CheckItem.status != ItemStatus.DELETED)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(item)
    if claimed != 1:
        raise Conflict(STALE)


def _check_manage(user: User, item: CheckItem) -> None:
    _require_editor(user)
    if item.status == ItemStatus.DELETED:
        raise Conflict("该事项已删除")
    if not can_manage(user, item):
        raise Forbidden("只能维护本部门（及下属处室）的抽查事项")


def edit_item(user: User, item: CheckItem, raw: Mapping[str, Any], *, version: int | None) -> dict[str, list[str]]:
    """选择拟编辑的抽查事项 → 编辑抽查事项 → 公布事项.  Returns the changes ({} = nothing to do:
    no process, no publication)."""
    _check_manage(user, item)
    values, errors = parse_item(raw)
    if errors:
        raise ItemInvalid(errors)
    _take(item, version)
    if _name_taken(item.department_id, values["name"], exclude=item.id):
        raise ItemInvalid({"name": "本部门清单中已有同名抽查事项"})
    changes = {
        TITLES[k]: [_display(k, getattr(item, k)), _display(k, v)]
        for k, v in values.items()
        if getattr(item, k) != v
    }
    if not changes:
        return {}
    instance = engine.start(8, user, title=values["name"], subject_type=SUBJECT_TYPE, subject_id=item.id)
    engine.advance(user, instance, "select", "next")
    for key, value in values.items():
        setattr(item, key, value)
    item.updated_at = utcnow()
    audit.record("update", object_type=SUBJECT_TYPE, object_id=item.id, summary=changes, user=user)
    engine.advance(user, instance, "edit", "next")
    return changes


def delete_item(user: User, item: CheckItem, *, version: int | None, reason: str = "") -> ProcessInstance:
    """选择拟删除的抽查事项 → 删除抽查事项 → 公布事项 (撤下).  The row stays, status deleted."""
    _check_manage(user, item)
    reason = (reason or "").strip()
    if len(reason) > 500:
        raise Invalid("删除理由不能超过500个字", "reason")
    _take(item, version)
    instance = engine.start(9, user, title=item.name, subject_type=SUBJECT_TYPE, subject_id=item.id)
    engine.advance(user, instance, "select", "next")
    item.status = ItemStatus.DELETED
    item.deleted_at = utcnow()
    audit.record(
        "delete",
        object_type=SUBJECT_TYPE,
        object_id=item.id,
        summary={**_summary(item), "理由": reason},
        user=user,
    )
    engine.advance(user, instance, "delete", "next", comment=reason)
    return instance


# ------------------------------------------------------------------ 表10 认领


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
    _require_editor(user)
    if not can_claim(user):
        raise Forbidden("只有区（市）县的监管部门可以认领市级抽查事项")
    if claimable(user, source.id) is None:
        raise Conflict("该事项已不在市级抽查事项清单中，请刷新页面")
    # Serialise claims of one source (PostgreSQL); SQLite serialises writers anyway.
    db.session.execute(select(CheckItem.id).where(CheckItem.id == source.id).with_for_update())
    if source.id in claimed_ids(user):
        raise Conflict("本部门已认领该事项，不能重复认领")
    if _name_taken(user.department_id, source.name):
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
        summary={**_summary(copy), "认领自": f"{source.department.name}（事项{source.id}）"},
        user=user,
    )
    engine.advance(user, instance, "claim", "next")
    return copy


# ------------------------------------------------------------------ 表11 指派


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
    _check_manage(user, item)
    targets = {d.id: d for d in assign_targets(item)}
    if department_id is None or department_id not in targets:
        raise Invalid("请选择下级区县级监管部门或本部门处室（科室）", "department_id")
    _take(item, version)
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


# ------------------------------------------------------------------ the list


@dataclass
class ItemFilters:
    q: str = ""
    domain: str = ""
    category: str = ""
    industry: str = ""
    status: str = "live"
    department_id: int | None = None

    def as_args(self) -> dict[str, Any]:
        args = {
            "q": self.q,
            "domain": self.domain,
            "category": self.category,
            "industry": self.industry,
            "status": self.status if self.status != "live" else "",
            "department_id": self.department_id or "",
        }
        return {k: v for k, v in args.items() if v}


STATUS_FILTERS = {
    "live": "在用（未删除）",
    "published": ItemStatus.PUBLISHED.label,
    "deleted": ItemStatus.DELETED.label,
    "all": "全部",
}


def parse_filters(args: Mapping[str, Any]) -> ItemFilters:
    status = _text(args.get("status")) or "live"
    category = _text(args.get("category"))
    department = _text(args.get("department_id"))
    return ItemFilters(
        q=_text(args.get("q"))[:100],
        domain=_text(args.get("domain"))[:100],
        category=category if category in {c.value for c in ItemCategory} else "",
        industry=_text(args.get("industry")).upper()[:10],
        status=status if status in STATUS_FILTERS else "live",
        department_id=int(department) if department.isdigit() else None,
    )


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def list_query(user: User, filters: ItemFilters) -> Select[tuple[CheckItem]]:
    query = scope_items(select(CheckItem).where(CheckItem.kind == ItemKind.SINGLE), user)
    if filters.q:
        query = query.where(CheckItem.name.like(_like(filters.q), escape="\\"))
    if filters.domain:
        query = query.where(CheckItem.domain == filters.domain)
    if filters.category:
        query = query.where(CheckItem.category == ItemCategory(filters.category))
    if filters.industry:
        query = query.where(CheckItem.industry_code.startswith(filters.industry))
    if filters.status == "live":
        query = query.where(CheckItem.status != ItemStatus.DELETED)
    elif filters.status in ("published", "deleted"):
        query = query.where(CheckItem.status == ItemStatus(filters.status))
    if filters.department_id:
        department = db.session.get(Department, filters.department_id)
        if department is None or not department.is_within(user.department):
            query = query.where(CheckItem.id.is_(None))
        else:
            sub = subtree_ids(department)
            query = query.where(or_(CheckItem.department_id.in_(sub), CheckItem.assigned_department_id.in_(sub)))
    return query.options(joinedload(CheckItem.department), joinedload(CheckItem.assigned_department)).order_by(
        CheckItem.domain, CheckItem.name, CheckItem.id
    )


def domains(user: User) -> list[str]:
    """The 抽查类别 in use in the user's scope, for the filter's choices."""
    query = scope_items(
        select(CheckItem.domain).where(CheckItem.kind == ItemKind.SINGLE, CheckItem.domain != "").distinct(), user
    )
    return sorted(db.session.execute(query).scalars())


def scope_departments(user: User) -> list[Department]:
    return list(
        db.session.execute(
            select(Department)
            .where(Department.path.startswith(user.department.path), Department.active.is_(True))
            .order_by(Department.path)
        ).scalars()
    )


def instances_of(item: CheckItem) -> list[ProcessInstance]:
    """The item's process instances (表7–表11), newest first."""
    return list(
        db.session.execute(
            select(ProcessInstance)
            .where(ProcessInstance.subject_type == SUBJECT_TYPE, ProcessInstance.subject_id == item.id)
            .order_by(ProcessInstance.id.desc())
        ).scalars()
    )


def claims_of(item: CheckItem) -> list[CheckItem]:
    """The district copies of a city item (who claimed it)."""
    return list(
        db.session.execute(
            select(CheckItem)
            .where(CheckItem.source_id == item.id, CheckItem.status != ItemStatus.DELETED)
            .options(joinedload(CheckItem.department))
        ).scalars()
    )

