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

公布事项 is the platform lane's automatic step: ``publish_item`` (wired in services/process_wiring.py)
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

from infrastructure.errors import Conflict, Forbidden, Invalid
from infrastructure.excel import parse_decimal
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
from models.roles import Role
from persistence import audit
from persistence.scope import subtree_ids
from services import publication as pub
from services.entity_fields import INDUSTRY_SECTIONS
from services.templates_catalogue import IMPLEMENTATION_LEVELS, INSPECTION_METHODS
from workflows import engine, subjects

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


def require_editor(user: User) -> None:
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


def is_visible(user: User, item: CheckItem) -> bool:
    """A single item in the user's scope (a joint item has its own pages); else a 404."""
    return item.kind == ItemKind.SINGLE and in_scope(user, item)


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


def summary_of(item: CheckItem) -> dict[str, str]:
    return {TITLES[k]: _display(k, getattr(item, k)) for k in ("domain", "name", "category", "methods")}


def name_taken(department_id: int, name: str, exclude: int | None = None) -> bool:
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


def publish_item(instance: ProcessInstance) -> str:
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
    require_editor(user)
    values, errors = parse_item(raw)
    if errors:
        raise ItemInvalid(errors)
    if name_taken(user.department_id, values["name"]):
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
    summary: dict[str, Any] = summary_of(item)
    if source:
        summary["来源"] = source
    audit.record("create", object_type=SUBJECT_TYPE, object_id=item.id, summary=summary, user=user)
    instance = engine.start(7, user, title=item.name, subject_type=SUBJECT_TYPE, subject_id=item.id)
    engine.advance(user, instance, "add", "next")
    return item


# ------------------------------------------------------------------ 表8 编辑 / 表9 删除


def take_item(item: CheckItem, version: int | None) -> None:
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


def check_manage(user: User, item: CheckItem) -> None:
    require_editor(user)
    if item.status == ItemStatus.DELETED:
        raise Conflict("该事项已删除")
    if not can_manage(user, item):
        raise Forbidden("只能维护本部门（及下属处室）的抽查事项")


def edit_item(user: User, item: CheckItem, raw: Mapping[str, Any], *, version: int | None) -> dict[str, list[str]]:
    """选择拟编辑的抽查事项 → 编辑抽查事项 → 公布事项.  Returns the changes ({} = nothing to do:
    no process, no publication)."""
    check_manage(user, item)
    values, errors = parse_item(raw)
    if errors:
        raise ItemInvalid(errors)
    take_item(item, version)
    if name_taken(item.department_id, values["name"], exclude=item.id):
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
    check_manage(user, item)
    reason = (reason or "").strip()
    if len(reason) > 500:
        raise Invalid("删除理由不能超过500个字", "reason")
    take_item(item, version)
    instance = engine.start(9, user, title=item.name, subject_type=SUBJECT_TYPE, subject_id=item.id)
    engine.advance(user, instance, "select", "next")
    item.status = ItemStatus.DELETED
    item.deleted_at = utcnow()
    audit.record(
        "delete",
        object_type=SUBJECT_TYPE,
        object_id=item.id,
        summary={**summary_of(item), "理由": reason},
        user=user,
    )
    engine.advance(user, instance, "delete", "next", comment=reason)
    return instance


# ------------------------------------------------------------------ 表10 认领


# ------------------------------------------------------------------ 表11 指派


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
    return subjects.instances(SUBJECT_TYPE, item.id, newest_first=True)


