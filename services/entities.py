"""The entity registry (市场主体库): field rules, search, and the create/update/delete verbs.

Field rules are plain functions ``parse_<field>(raw) -> value`` that raise ``FieldError`` with
a message for the clerk.  The web form and the Excel/CSV import (services/entity_import.py)
use the same ones, so a value the form refuses is refused in a file too.

Which registry an entity belongs to (``MarketEntity.department_id``) follows from its
division code: the deepest 区/市 node of the actor's area whose region code covers it (a
district clerk may only register divisions of their district; a city clerk's entity lands in
the district of its division, or in the city's own registry).  Changing an entity's division
moves it between registries of the actor's area.

Searching 1,000,000 rows (see bench/entities.py for the figures):

* 统一社会信用代码 and 注册号 are exact matches on unique indexes.
* A name is searched as a prefix (``name >= 'x' AND name < 'y'``) on the name index.  A
  "contains" search (``LIKE '%x%'``) cannot use a b-tree index and reads every candidate
  row, so it runs only when the other filters leave at most SCAN_LIMIT rows (a capped count
  on the indexes decides, in a few milliseconds); otherwise it falls back to a prefix search
  and the page says why.  The business-scope keyword follows the same rule.  A trigram index
  (pg_trgm) would lift this on PostgreSQL but not on SQLite; the rule keeps both alike.
* Division and industry codes are prefixes too, served by the composite index (division,
  industry, grade, …), which with the name index also covers the scope column: a page's ids
  and the count are read from an index, then only the page's rows are fetched.
* Pages are keyset pages on the id (newest first): the next page is ``id < last id``, so
  page 5,000 costs what page 1 costs.  The total is counted up to COUNT_CAP + 1 rows and
  shown as "10000+" beyond; counting a million rows to print one number is not worth it.

Nothing here commits; every change writes an audit row.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, func, select

from infrastructure.errors import Conflict, Forbidden, Invalid
from models import AuditEvent, Department, EntityTag, MarketEntity, ProcessInstance, User, db, utcnow
from models.entity import EntityStatus, EntityType
from models.org import DepartmentLevel
from models.roles import Role
from persistence import audit
from persistence.org import region_root
from persistence.scope import scope_instances
from services.collection.pending import rematch_entities
from services.entity_fields import (
    COLUMN_KEYS,
    SUBJECT_TYPE,
    TITLE,
    FieldError,
    parse_fields,
    parse_tags,
)
from services.notice.notices import notify_entities, scope_changed

VIEW_ROLES = (Role.CLERK, Role.DEPT_LEADER, Role.INSPECTOR)
EDIT_ROLES = (Role.CLERK,)


# ------------------------------------------------------------------ field rules


# ------------------------------------------------------------------ registries (ownership)


def region_prefix(code: str) -> str:
    """The prefix a region code stands for: 510100 → 5101 (a city), 510108 → 510108,
    510108001000 → 510108001; "" for no code."""
    code = (code or "").strip()
    while len(code) > 6 and code.endswith("000"):
        code = code[:-3]
    while len(code) > 2 and len(code) <= 6 and code.endswith("00"):
        code = code[:-2]
    return code


class Registries:
    """The registries (区/市 nodes) of an actor's area and the division codes each covers."""

    def __init__(self, actor: User) -> None:
        self.root = region_root(actor.department)
        nodes = db.session.execute(
            select(Department.id, Department.region_code, Department.path, Department.name).where(
                Department.path.startswith(self.root.path),
                Department.level.in_((DepartmentLevel.DISTRICT, DepartmentLevel.CITY)),
            )
        ).all()
        self.root_prefix = region_prefix(self.root.region_code)
        self._names = sorted((n.region_code, n.name) for n in nodes if n.region_code)
        # Longest prefix first: a district wins over its city.
        self._nodes = sorted(
            ((region_prefix(n.region_code), n.id) for n in nodes if n.id != self.root.id and n.region_code),
            key=lambda t: -len(t[0]),
        )
        self.ids = {self.root.id} | set(
            db.session.execute(select(Department.id).where(Department.path.startswith(self.root.path))).scalars()
        )
        self._cache: dict[str, int | None] = {}

    def owner(self, division_code: str) -> int | None:
        """The registry for a division code, or None when it lies outside the area."""
        if division_code in self._cache:
            return self._cache[division_code]
        found: int | None = None
        if division_code.startswith(self.root_prefix):
            found = next((ident for prefix, ident in self._nodes if division_code.startswith(prefix)), self.root.id)
        self._cache[division_code] = found
        return found

    def choices(self) -> list[tuple[str, str]]:
        """(region code, name) of the registries, for a division filter's suggestions."""
        return self._names

    def outside_message(self, division_code: str) -> str:
        return f"行政区划编码 {division_code} 不在本辖区（{self.root.name}，{self.root_prefix}）范围内"


# ------------------------------------------------------------------ permissions


def can_view(actor: User) -> bool:
    return actor.has_role(*VIEW_ROLES)


def can_edit(actor: User) -> bool:
    """监管部门经办人 maintain the registry (一单两库); leaders and inspectors read it."""
    return actor.has_role(*EDIT_ROLES)


def _require_edit(actor: User) -> None:
    if not can_edit(actor):
        raise Forbidden("只有监管部门经办人可以维护市场主体库")


# ------------------------------------------------------------------ search


# ------------------------------------------------------------------ create, update, delete, tags


def _check_unique(values: Mapping[str, Any], entity: MarketEntity | None) -> None:
    for key in ("uscc", "reg_no"):
        value = values.get(key)
        if not value:
            continue
        column = getattr(MarketEntity, key)
        query = select(MarketEntity.id, MarketEntity.name).where(column == value)
        if entity is not None:
            query = query.where(MarketEntity.id != entity.id)
        other = db.session.execute(query).first()
        if other is not None:
            raise Invalid(f"{TITLE[key]} {value} 已登记（{other.name}），不能重复登记", field=key)


def _clean(actor: User, raw: Mapping[str, Any], entity: MarketEntity | None) -> tuple[dict[str, Any], int]:
    values, errors = parse_fields(raw)
    if errors:
        key, message = next(iter(errors.items()))
        raise Invalid(message, field=key)
    registries = Registries(actor)
    owner = registries.owner(values["division_code"])
    if owner is None:
        raise Invalid(registries.outside_message(values["division_code"]), field="division_code")
    _check_unique(values, entity)
    return values, owner


def _display(value: Any) -> Any:
    if isinstance(value, EntityType | EntityStatus):
        return value.label
    if isinstance(value, date | Decimal):
        return str(value)
    return value


def create_entity(actor: User, raw: Mapping[str, Any]) -> MarketEntity:
    """登记 one entity from form values (raw strings by field key)."""
    _require_edit(actor)
    values, owner = _clean(actor, raw, None)
    tags = values.pop("tags", [])
    entity = MarketEntity(**values, department_id=owner)
    entity.tags = [EntityTag(tag=t) for t in tags]
    db.session.add(entity)
    db.session.flush()
    audit.record(
        "create",
        object_type=SUBJECT_TYPE,
        object_id=entity.id,
        summary={"名称": entity.name, "统一社会信用代码": entity.uscc or "", "注册号": entity.reg_no or ""},
        user=actor,
    )
    notify_entities([entity.id], actor.department_id)  # 双告知 (docs/notice.md), before permits rematch
    rematch_entities([entity.uscc or "", entity.reg_no or ""], [entity.name])
    return entity


def _normalised(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value.normalize()
    return value


def update_entity(actor: User, entity: MarketEntity, raw: Mapping[str, Any]) -> dict[str, list[Any]]:
    """修改: every field from the form (a blank field clears it); returns the changes."""
    _require_edit(actor)
    values, owner = _clean(actor, raw, entity)
    tags = values.pop("tags", None)
    new_scope = scope_changed(entity.business_scope, values.get("business_scope"))
    changes: dict[str, list[Any]] = {}
    for key in COLUMN_KEYS:
        new = values.get(key)
        old = getattr(entity, key)
        if _normalised(old) != _normalised(new):
            changes[TITLE[key]] = [_display(old), _display(new)]
            setattr(entity, key, new)
    if entity.department_id != owner:
        new_registry = db.session.get(Department, owner)
        changes["所属主体库"] = [entity.department.name, new_registry.name if new_registry else ""]
        entity.department = new_registry  # type: ignore[assignment]
    if tags is not None:
        old_tags = entity.tag_names
        if old_tags != sorted(tags):
            _replace_tags(entity, tags)
            changes["标签"] = ["、".join(old_tags), "、".join(sorted(tags))]
    if changes:
        entity.updated_at = utcnow()  # also when only the tags changed
        db.session.flush()
        audit.record("update", object_type=SUBJECT_TYPE, object_id=entity.id, summary=changes, user=actor)
    if new_scope:
        notify_entities([entity.id], actor.department_id)  # 经营范围 changed: 双告知 again
    if {TITLE["uscc"], TITLE["reg_no"], TITLE["name"], "所属主体库"} & set(changes):
        rematch_entities([entity.uscc or "", entity.reg_no or ""], [entity.name])  # waiting facts may name it now
    return changes


def _replace_tags(entity: MarketEntity, tags: list[str]) -> None:
    wanted = set(tags)
    entity.tags = [t for t in entity.tags if t.tag in wanted] + [
        EntityTag(tag=t) for t in tags if t not in {x.tag for x in entity.tags}
    ]


def set_tags(actor: User, entity: MarketEntity, raw: Any) -> list[str]:
    """Replace an entity's tags (标签维护); returns the new list."""
    _require_edit(actor)
    try:
        tags = parse_tags(raw)
    except FieldError as exc:
        raise Invalid(exc.message, field="tags") from None
    old = entity.tag_names
    if sorted(tags) != old:
        _replace_tags(entity, tags)
        db.session.flush()
        db.session.refresh(entity, ["tags"])
        audit.record(
            "update",
            object_type=SUBJECT_TYPE,
            object_id=entity.id,
            summary={"标签": ["、".join(old), "、".join(entity.tag_names)]},
            user=actor,
        )
    return entity.tag_names


def linked_instances_query(actor: User, entity: MarketEntity) -> Select[Any]:
    return scope_instances(
        select(ProcessInstance).where(
            ProcessInstance.subject_type == SUBJECT_TYPE, ProcessInstance.subject_id == entity.id
        ),
        actor,
    ).order_by(ProcessInstance.id.desc())


def delete_refusal(entity: MarketEntity) -> str:
    """Why an entity cannot be deleted, or "" (any process that names it keeps it)."""
    n = db.session.execute(
        select(func.count())
        .select_from(ProcessInstance)
        .where(ProcessInstance.subject_type == SUBJECT_TYPE, ProcessInstance.subject_id == entity.id)
    ).scalar_one()
    if n:
        return f"该主体已被{n}个业务流程引用，不能删除；如已注销或迁出，请修改其登记状态"
    from models.draws import TaskObject

    drawn = db.session.execute(
        select(func.count(func.distinct(TaskObject.task_id))).where(TaskObject.entity_id == entity.id)
    ).scalar_one()
    if drawn:
        return f"该主体已被{drawn}个抽查任务随机抽取为检查对象，抽取记录须保留，不能删除；如已注销或迁出，请修改其登记状态"
    from models import RiskWarning

    warned = db.session.execute(select(func.count()).where(RiskWarning.entity_id == entity.id)).scalar_one()
    if warned:
        return f"该主体有{warned}条风险预警记录，须保留，不能删除；如已注销或迁出，请修改其登记状态"
    for label, n in _kept_records(entity.id):
        return f"该主体有{n}条{label}，须保留，不能删除；如已注销或迁出，请修改其登记状态"
    return ""


def _kept_label(table_name: str) -> str:
    if table_name.startswith("fact_"):
        return "归集信息（许可、处罚、出资、人员等）"
    return _KEPT_LABELS.get(table_name, "业务记录")


_KEPT_LABELS = {"inspector_conflict": "检查人员回避关系记录", "unlicensed_operator": "无证无照经营治理记录",
                "scope_notice": "双告知抄告记录", "supervised_object": "监管对象认领记录", "court_case": "法院送达记录",
                "campaign_object": "专项整治对象记录", "sanction_object": "联合奖惩对象记录",
                "sandbox_entity": "信用沙盒主体记录"}
# Rows derived from the entity itself, deleted with it: the last matching of its 经营范围 (双告知).
_DERIVED = {"scope_check"}


def _withdrawable() -> dict[str, Any]:
    """Rows that go with the entity when it is deleted, by table: a 双告知 notice nobody has
    opened or answered yet is withdrawn; one received or answered is kept (and keeps the entity)."""
    from models import NoticeStatus, ScopeNotice

    return {"scope_notice": and_(ScopeNotice.received_at.is_(None), ScopeNotice.status == NoticeStatus.PENDING)}


def _kept_records(entity_id: int) -> list[tuple[str, int]]:
    """Rows of any table whose foreign key to the entity neither cascades nor sets NULL: the
    records that must outlive a deletion (collected facts, court cases, campaign objects…).
    Read from the schema, so a chapter's new table is covered without a line here."""
    found: dict[str, int] = {}
    withdrawable = _withdrawable()
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name != MarketEntity.__tablename__ or fk.ondelete in ("CASCADE", "SET NULL"):
                continue
            if table.name == "risk_warning" or table.name in _DERIVED:
                continue  # asked above, with its own words; or deleted with the entity
            query = select(func.count()).select_from(table).where(fk.parent == entity_id)
            if table.name in withdrawable:
                query = query.where(~withdrawable[table.name])
            n = db.session.execute(query).scalar_one()
            if n:
                label = _kept_label(table.name)
                found[label] = found.get(label, 0) + n
    return sorted(found.items(), key=lambda kv: -kv[1])


def delete_entity(actor: User, entity: MarketEntity) -> None:
    """删除 an entity and its tags (refused while a process refers to it)."""
    _require_edit(actor)
    refusal = delete_refusal(entity)
    if refusal:
        raise Conflict(refusal)
    summary = {"名称": entity.name, "统一社会信用代码": entity.uscc or "", "注册号": entity.reg_no or ""}
    ident = entity.id
    from services.libraries import forget_entity

    forget_entity(ident)  # its memberships of supervised-object libraries
    for name in _DERIVED:
        table = db.metadata.tables[name]
        db.session.execute(table.delete().where(table.c.entity_id == ident))
    for name, condition in _withdrawable().items():
        table = db.metadata.tables[name]
        db.session.execute(table.delete().where(table.c.entity_id == ident, condition))
    db.session.delete(entity)  # its tags go with it (cascade)
    db.session.flush()
    audit.record("delete", object_type=SUBJECT_TYPE, object_id=ident, summary=summary, user=actor)


def history(entity: MarketEntity, limit: int = 20) -> list[AuditEvent]:
    """The latest audit rows about an entity (newest first)."""
    return list(
        db.session.execute(
            select(AuditEvent)
            .where(AuditEvent.object_type == SUBJECT_TYPE, AuditEvent.object_id == str(entity.id))
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        ).scalars()
    )


