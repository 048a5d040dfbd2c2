"""检查对象名录库 (object directories, DB5101 7.1.2): 表15 新增 and 表16 删除.

A directory holds the objects one inspection item's draws pick from, for one department
(models/directories.py).  Members come three ways, the three branches of 表15's
选择监管对象名录库新增方式:

- 按模板导入: an upload of A.4.2 / A.4.1 / B.1 (market entities, matched in the registry by
  统一社会信用代码 or 注册号, by name for A.4.1, which has no code column), B.2 (places) or B.3
  (products), following services/entity_import.py: upload → ImportBatch → preview with row and
  column errors → annotated copy → confirm (valid rows only, or nothing);
- 筛选市场主体录入: the registry filters of services/entities.py, counted before anything is
  stored, then copied with one ``INSERT … SELECT`` (100,000 members in seconds, bench/directories.py);
- 筛选库录入: every member of another directory of the department, copied likewise.

Each addition happens in one request and one transaction: the directory (created on first
use, unique per item and department), its new members, the audit row and a 表15 instance that
walks the steps the clerk took (选择拟新增检查对象名录库的抽查事项 → 选择监管对象名录库新增方式 →
下载模板 / 筛选符合条件的市场主体 / 筛选符合条件的名录库) and reaches the platform's 入库, whose
handler notes what the directory now holds.  A later addition to the same item's directory is a
new 表15 instance.  表16 deletes a directory, chosen through its item or directly, after a
confirmation page that lists what refers to it (the item; plans later); the 表16 instance
records 选择删除方式 … 删除.

``population(directory)`` gives the draw chapter the members as (key, kind, credit grade).
Nothing here commits.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import Select, delete, exists, func, insert, literal, or_, select
from sqlalchemy.orm import aliased

from models import (
    CheckItem,
    CheckItemPart,
    DirectoryMember,
    ImportBatch,
    ImportStatus,
    MarketEntity,
    MemberKind,
    ObjectDirectory,
    Place,
    ProcessInstance,
    Product,
    User,
    db,
    utcnow,
)
from models.entity import EntityType
from models.items import ItemStatus
from models.roles import Role
from services import audit
from services.bulk import allocate_ids, insert_rows, refresh_statistics, update_rows
from services.entities import region_prefix
from services.entity_search import EntityFilters, count_entities, entity_query
from services.errors import Forbidden, Invalid, ServiceError
from services.excel import ExcelError, Row, RowErrors, mark_duplicates, read_table
from services.scope import scope_entities, scope_owned, subtree_ids
from services.templates_catalogue import TEMPLATES, Template
from workflows import engine
from workflows.actions import on_auto_step

SUBJECT_TYPE = "object_directory"  # ProcessInstance.subject_type and AuditEvent.object_type
ADD_TABLE = 15
DELETE_TABLE = 16
VIEW_ROLES = (Role.CLERK, Role.DEPT_LEADER)
EDIT_ROLES = (Role.CLERK,)
IMPORT_KIND = "directory"
MAX_IMPORT_ROWS = 200_000
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# A directory built from a filter or a copy may hold at most this many new members at once.
MAX_ADD = 300_000
PER_PAGE = 20
PREVIEW_PROBLEMS = 200
LOOKUP_CHUNK = 500
CHUNK = 2_000

# 表15 选择监管对象名录库新增方式: outcome of choose_mode → the step taken next.
MODES: dict[str, tuple[str, str]] = {
    "template": ("download_template", "按模板导入"),
    "entities": ("filter_entities", "筛选市场主体录入"),
    "directories": ("filter_directories", "筛选库录入"),
}
# 表16 选择删除方式.
DELETE_MODES: dict[str, str] = {"by_item": "筛选特定检查事项删除", "direct": "直接选择对象名录库删除"}


@dataclass(frozen=True)
class ImportTemplate:
    code: str
    kind: MemberKind
    hint: str

    @property
    def template(self) -> Template:
        return TEMPLATES[self.code]


IMPORT_TEMPLATES: dict[str, ImportTemplate] = {
    t.code: t
    for t in (
        ImportTemplate("A.4.2", MemberKind.ENTITY, "营利性市场主体：按社会信用代码（或注册号）匹配市场主体库"),
        ImportTemplate(
            "A.4.1", MemberKind.ENTITY, "非营利性市场主体、非市场主体：按“其他名称”匹配市场主体库中该类主体的名称"
        ),
        ImportTemplate("B.1", MemberKind.ENTITY, "行政相对人（组织/个人）：按行政相对人编码匹配市场主体库"),
        ImportTemplate("B.2", MemberKind.PLACE, "场地场所：新增或更新本部门的场地场所（按名称和检查地址识别）"),
        ImportTemplate("B.3", MemberKind.PRODUCT, "产品：新增或更新本部门的产品（按生产许可证编号识别）"),
    )
}




class NotFound(ServiceError):
    """Absent, or outside the actor's scope (which is not revealed)."""

    status = 404


# ------------------------------------------------------------------ permissions and loading


def can_view(actor: User) -> bool:
    return actor.has_role(*VIEW_ROLES)


def can_edit(actor: User) -> bool:
    """监管部门经办人 maintain the directories (一单两库); leaders read them."""
    return actor.has_role(*EDIT_ROLES)


def _require_edit(actor: User) -> None:
    if not can_edit(actor):
        raise Forbidden("只有监管部门经办人可以维护检查对象名录库")


def items_query(actor: User, search: str = "") -> Select[Any]:
    """The inspection items the actor's department may keep a directory for: its own items
    (监管部门 / 发起部门), items assigned to it (指派), and joint items it takes part in."""
    mine = subtree_ids(actor.department)
    part = exists().where(
        CheckItemPart.item_id == CheckItem.id,
        CheckItemPart.department_id.in_(mine),
        CheckItemPart.declined.is_(False),
    )
    query = select(CheckItem).where(
        CheckItem.status != ItemStatus.DELETED,
        or_(CheckItem.department_id.in_(mine), CheckItem.assigned_department_id.in_(mine), part),
    )
    search = (search or "").strip()[:100]
    if search:
        query = query.where(CheckItem.name.contains(search, autoescape=True))
    return query.order_by(CheckItem.id.desc())


def item_for(actor: User, item_id: int | None) -> CheckItem:
    """An item the actor may keep a directory for; NotFound otherwise (not revealed)."""
    item = None
    if item_id:
        item = db.session.execute(items_query(actor).where(CheckItem.id == item_id)).scalar_one_or_none()
    if item is None:
        raise NotFound("未找到该抽查事项，或不在您的数据权限范围内")
    return item


def directories_query(actor: User, search: str = "") -> Select[Any]:
    query = scope_owned(select(ObjectDirectory), ObjectDirectory, actor).join(ObjectDirectory.item)
    search = (search or "").strip()[:100]
    if search:
        query = query.where(
            or_(
                ObjectDirectory.name.contains(search, autoescape=True),
                CheckItem.name.contains(search, autoescape=True),
            )
        )
    return query.order_by(ObjectDirectory.updated_at.desc(), ObjectDirectory.id.desc())


def directory_of(actor: User, item: CheckItem) -> ObjectDirectory | None:
    """The actor's department's directory of ``item``, if it has one."""
    return db.session.execute(
        select(ObjectDirectory).where(
            ObjectDirectory.item_id == item.id, ObjectDirectory.department_id == actor.department_id
        )
    ).scalar_one_or_none()


def counts(directory_ids: Sequence[int]) -> dict[int, dict[MemberKind, int]]:
    """Members by kind of each directory (read from the population index)."""
    out: dict[int, dict[MemberKind, int]] = {i: {} for i in directory_ids}
    if not directory_ids:
        return out
    rows = db.session.execute(
        select(DirectoryMember.directory_id, DirectoryMember.kind, func.count())
        .where(DirectoryMember.directory_id.in_(list(directory_ids)))
        .group_by(DirectoryMember.directory_id, DirectoryMember.kind)
    )
    for directory_id, kind, n in rows:
        out[directory_id][MemberKind(kind)] = n
    return out


def describe_counts(by_kind: dict[MemberKind, int]) -> str:
    parts = [f"{k.label}{by_kind[k]}个" for k in MemberKind if by_kind.get(k)]
    return "、".join(parts) if parts else "暂无检查对象"


# ------------------------------------------------------------------ the directory and 表15


def _directory_name(item: CheckItem) -> str:
    return f"{item.name}检查对象名录库"[:200]


def _get_or_create(actor: User, item: CheckItem) -> tuple[ObjectDirectory, bool]:
    directory = directory_of(actor, item)
    if directory is not None:
        return directory, False
    directory = ObjectDirectory(
        item_id=item.id, department_id=actor.department_id, name=_directory_name(item), created_by_id=actor.id
    )
    db.session.add(directory)
    db.session.flush()
    audit.record(
        "create",
        object_type=SUBJECT_TYPE,
        object_id=directory.id,
        summary={"名录库": directory.name, "抽查事项": item.name},
        user=actor,
    )
    return directory, True


def _record_add(actor: User, directory: ObjectDirectory, mode: str, comment: str) -> ProcessInstance:
    """The 表15 instance of one addition, walked through the steps the clerk just took; the
    platform's 入库 follows at once (store_note)."""
    step, label = MODES[mode]
    instance = engine.start(
        ADD_TABLE, actor, title=directory.name, subject_type=SUBJECT_TYPE, subject_id=directory.id
    )
    engine.advance(actor, instance, "select_item", "next", comment=f"抽查事项：{directory.item.name}")
    engine.advance(actor, instance, "choose_mode", mode, comment=label)
    engine.advance(actor, instance, step, "next", comment=comment[:2000])
    return instance


@on_auto_step(ADD_TABLE, "store")
def store_note(instance: ProcessInstance) -> str:
    """入库: the members were stored in the same transaction; note what the directory holds."""
    if instance.subject_type != SUBJECT_TYPE or instance.subject_id is None:
        return ""
    db.session.flush()
    by_kind = counts([instance.subject_id])[instance.subject_id]
    return "已入库，名录库现有" + describe_counts(by_kind)


@dataclass
class AddResult:
    directory: ObjectDirectory
    created: bool  # the directory was created by this addition
    added: int
    already: int  # objects that were in the directory before
    instance: ProcessInstance | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _changed(actor: User, directory: ObjectDirectory, summary: dict[str, Any]) -> None:
    directory.updated_at = utcnow()
    audit.record("update", object_type=SUBJECT_TYPE, object_id=directory.id, summary=summary, user=actor)


def _size(directory: ObjectDirectory) -> int:
    """Members of a directory (counted on the population index; exact on both backends, where
    an INSERT … SELECT's rowcount is not)."""
    return db.session.execute(
        select(func.count()).select_from(DirectoryMember).where(DirectoryMember.directory_id == directory.id)
    ).scalar_one()


def _analyze_if_large(n: int) -> None:
    if n >= 5_000:
        refresh_statistics(DirectoryMember.__table__)


# ------------------------------------------------------------------ 筛选市场主体录入


def filter_count(actor: User, filters: EntityFilters) -> tuple[int, bool]:
    """How many registry entities the filters select (counted to MAX_ADD + 1)."""
    return count_entities(entity_query(actor, filters, for_count=True), cap=MAX_ADD)


def filter_description(filters: EntityFilters) -> str:
    from services.entity_fields import TITLE

    labels = {
        "name": "主体名称" + ("包含" if filters.contains else "开头"),
        "code": "统一社会信用代码/注册号",
        "division": TITLE.get("division_code", "行政区划编码"),
        "industry": TITLE.get("industry_code", "行业代码"),
        "type": "主体类型",
        "status": "登记状态",
        "grade": "信用风险等级",
        "tag": "标签",
        "scope": "经营范围关键字",
    }
    values = {
        "type": filters.entity_type.label if filters.entity_type else "",
        "status": filters.status.label if filters.status else "",
    }
    parts = [
        f"{labels[k]}：{values.get(k) or v}" for k, v in filters.as_args().items() if k in labels
    ]
    return "；".join(parts) if parts else "本辖区市场主体库全部主体"


def add_from_filter(actor: User, item: CheckItem, filters: EntityFilters) -> AddResult:
    """筛选市场主体录入: every registry entity the filters select joins the item's directory
    (those already in it are skipped), with one INSERT … SELECT."""
    _require_edit(actor)
    if filters.problems:
        raise Invalid("筛选条件有误：" + "；".join(filters.problems))
    n, capped = filter_count(actor, filters)
    if capped:
        raise Invalid(f"符合条件的市场主体超过{MAX_ADD}个，请增加筛选条件后再入库")
    if filters.problems:  # the count may add a note (a "contains" search over too many rows)
        raise Invalid("筛选条件有误：" + "；".join(filters.problems))
    if n == 0:
        raise Invalid("没有符合条件的市场主体，请调整筛选条件")
    directory, created = _get_or_create(actor, item)
    now = utcnow()
    member = aliased(DirectoryMember)
    source = (
        entity_query(actor, filters)
        .with_only_columns(
            literal(directory.id),
            literal(MemberKind.ENTITY.value),
            MarketEntity.id,
            literal(now, DirectoryMember.__table__.c.added_at.type),
        )
        .where(~exists().where(member.directory_id == directory.id, member.entity_id == MarketEntity.id))
        .order_by(MarketEntity.id)
    )
    before = _size(directory)
    db.session.execute(insert(DirectoryMember).from_select(["directory_id", "kind", "entity_id", "added_at"], source))
    added = _size(directory) - before
    _analyze_if_large(added)
    description = filter_description(filters)
    _changed(
        actor,
        directory,
        {"方式": "筛选市场主体录入", "条件": description, "符合条件": n, "新增": added, "已在库中": n - added},
    )
    instance = _record_add(actor, directory, "entities", f"筛选条件：{description}；符合条件{n}个，新增{added}个")
    return AddResult(directory, created, added, n - added, instance, {"条件": description})


# ------------------------------------------------------------------ 筛选库录入


def copy_sources(actor: User, item: CheckItem, search: str = "") -> list[ObjectDirectory]:
    """The directories of the actor's scope a new one may copy (not the item's own)."""
    target = directory_of(actor, item)
    query = directories_query(actor, search)
    if target is not None:
        query = query.where(ObjectDirectory.id != target.id)
    return list(db.session.execute(query.limit(200)).scalars())


_REF = {
    MemberKind.ENTITY: "entity_id",
    MemberKind.PLACE: "place_id",
    MemberKind.PRODUCT: "product_id",
}


def add_from_directory(actor: User, item: CheckItem, source: ObjectDirectory) -> AddResult:
    """筛选库录入: copy every member of ``source`` (in the actor's scope) into the item's
    directory, skipping objects already there."""
    _require_edit(actor)
    if not source.department.is_within(actor.department):
        raise NotFound("未找到该检查对象名录库")
    total = sum(counts([source.id])[source.id].values())
    if total == 0:
        raise Invalid("所选名录库中没有检查对象")
    directory, created = _get_or_create(actor, item)
    if directory.id == source.id:
        raise Invalid("不能把名录库复制到它自己")
    now = utcnow()
    before = _size(directory)
    member = aliased(DirectoryMember)
    for kind, ref in _REF.items():
        column = getattr(DirectoryMember, ref)
        rows = (
            select(
                literal(directory.id),
                DirectoryMember.kind,
                column,
                literal(now, DirectoryMember.__table__.c.added_at.type),
            )
            .where(DirectoryMember.directory_id == source.id, DirectoryMember.kind == kind)
            .where(~exists().where(member.directory_id == directory.id, getattr(member, ref) == column))
            .order_by(DirectoryMember.id)
        )
        db.session.execute(insert(DirectoryMember).from_select(["directory_id", "kind", ref, "added_at"], rows))
    added = _size(directory) - before
    _analyze_if_large(added)
    _changed(
        actor,
        directory,
        {"方式": "筛选库录入", "来源名录库": source.name, "来源对象": total, "新增": added, "已在库中": total - added},
    )
    instance = _record_add(
        actor, directory, "directories", f"复制“{source.name}”：共{total}个，新增{added}个"
    )
    return AddResult(directory, created, added, total - added, instance, {"来源": source.name})


# ------------------------------------------------------------------ 按模板导入


PLACE_FIELDS: tuple[tuple[str, str, int], ...] = (
    ("场地场所", "name", 200),
    ("所在地区", "area", 100),
    ("行政区划", "division_name", 100),
    ("责任单位", "responsible_unit", 200),
    ("责任单位统一社会信用代码", "responsible_uscc", 18),
    ("责任人", "responsible_person", 100),
    ("责任人证件类型", "id_type", 30),
    ("责任人证件编码", "id_code", 40),
    ("场所用途", "purpose", 100),
    ("场所规模", "scale", 100),
    ("投入使用开始时间", "in_use_since", 0),
    ("使用寿命", "service_life", 50),
    ("检查地址", "address", 255),
    ("检查联系电话", "phone", 60),
    ("所属区县", "county", 100),
    ("行政相对人性质", "nature", 50),
    ("行政区划代码", "division_code", 12),
)
PRODUCT_FIELDS: tuple[tuple[str, str, int], ...] = (
    ("生产许可证编号", "licence_no", 40),
    ("企业名称", "company_name", 200),
    ("统一社会信用代码", "uscc", 18),
    ("发证日期", "issued_on", 0),
    ("有效期至", "valid_until", 0),
    ("检查地址", "address", 255),
    ("检查联系电话", "phone", 60),
    ("所属区县", "county", 100),
    ("行政相对人性质", "nature", 50),
    ("行政区划代码", "division_code", 12),
)


@dataclass
class DirectoryCheck:
    code: str
    rows: list[Row]
    targets: dict[int, int] = field(default_factory=dict)  # row number → entity / existing object id
    links: dict[int, int] = field(default_factory=dict)  # row number → registry entity (places, products)
    already: int = 0  # valid rows whose object is already in the directory

    @property
    def kind(self) -> MemberKind:
        return IMPORT_TEMPLATES[self.code].kind

    @property
    def valid_rows(self) -> list[Row]:
        return [r for r in self.rows if r.valid]

    @property
    def invalid_rows(self) -> list[Row]:
        return [r for r in self.rows if not r.valid]

    def errors(self) -> RowErrors:
        errors = RowErrors()
        errors.add_rows(self.rows)
        return errors

    def summary(self) -> dict[str, Any]:
        valid = self.valid_rows
        label_column = {"A.4.2": "企业名称", "A.4.1": OTHER_NAME, "B.1": "行政相对人名称", "B.2": "场地场所",
                        "B.3": "企业名称"}[self.code]
        existing = sum(1 for r in valid if r.number in self.targets)
        out = {
            "template": self.code,
            "kind": self.kind.value,
            "rows": len(self.rows),
            "valid": len(valid),
            "invalid": len(self.rows) - len(valid),
            "already": self.already,
            "new_members": len(valid) - self.already,
            "problems": [
                {"row": r.number, "name": str(r.values.get(label_column) or ""), "errors": r.errors}
                for r in self.invalid_rows[:PREVIEW_PROBLEMS]
            ],
        }
        if self.kind != MemberKind.ENTITY:
            out["create"] = len(valid) - existing
            out["update"] = existing
        return out


def _chunks(values: Sequence[Any], size: int = LOOKUP_CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _entities_by(actor: User, column: Any, keys: Iterable[str]) -> dict[str, int]:
    """{key: entity id} of the actor's registries, for ``column`` (uscc, reg_no)."""
    wanted = sorted({k for k in keys if k})
    found: dict[str, int] = {}
    for chunk in _chunks(wanted):
        for key, ident in db.session.execute(
            scope_entities(select(column, MarketEntity.id), actor).where(column.in_(chunk))
        ):
            found[key] = ident
    return found


def _check_lengths(rows: Iterable[Row], fields: Sequence[tuple[str, str, int]]) -> None:
    for row in rows:
        for title, _attr, limit in fields:
            value = row.values.get(title)
            if limit and isinstance(value, str) and len(value) > limit:
                row.add_error(title, f"不能超过{limit}个字（现有{len(value)}个）")


OTHER_NAME = "其他名称（关联主体名称，如主办方等）"
NOT_REGISTERED = "本辖区市场主体库中没有该主体，请先在市场主体库登记或导入后再加入名录库"


def _check_entities(actor: User, code: str, rows: list[Row], check: DirectoryCheck) -> None:
    if code == "A.4.2":
        mark_duplicates(rows, "社会信用代码")
        mark_duplicates(rows, "注册号")
        by_uscc = _entities_by(actor, MarketEntity.uscc, (r.values.get("社会信用代码", "") for r in rows))
        by_reg = _entities_by(actor, MarketEntity.reg_no, (r.values.get("注册号", "") for r in rows))
        for r in rows:
            if not r.valid:
                continue
            uscc, reg_no = r.values.get("社会信用代码", ""), r.values.get("注册号", "")
            a, b = by_uscc.get(uscc) if uscc else None, by_reg.get(reg_no) if reg_no else None
            if a and b and a != b:
                r.add_error("注册号", "社会信用代码和注册号分别属于市场主体库中的两个不同主体")
            elif a or b:
                check.targets[r.number] = a or b  # type: ignore[assignment]
            else:
                r.add_error("社会信用代码" if uscc else "注册号", NOT_REGISTERED)
    elif code == "B.1":
        mark_duplicates(rows, "行政相对人编码")
        keys = [r.values.get("行政相对人编码", "") for r in rows]
        by_uscc = _entities_by(actor, MarketEntity.uscc, keys)
        by_reg = _entities_by(actor, MarketEntity.reg_no, keys)
        for r in rows:
            if not r.valid:
                continue
            key = r.values["行政相对人编码"]
            target = by_uscc.get(key) or by_reg.get(key)
            if target:
                check.targets[r.number] = target
            else:
                r.add_error("行政相对人编码", NOT_REGISTERED)
    else:  # A.4.1: no code column; the name (其他名称) among non-profit and non-market entities
        names = sorted({r.values.get(OTHER_NAME, "") for r in rows if r.values.get(OTHER_NAME)})
        candidates: dict[str, list[tuple[int, str]]] = {}
        for chunk in _chunks(names):
            query = scope_entities(select(MarketEntity.name, MarketEntity.id, MarketEntity.division_code), actor).where(
                MarketEntity.name.in_(chunk),
                MarketEntity.entity_type.in_((EntityType.NON_PROFIT, EntityType.NON_MARKET)),
            )
            for name, ident, division in db.session.execute(query):
                candidates.setdefault(name, []).append((ident, division))
        for r in rows:
            if not r.valid:
                continue
            name = r.values.get(OTHER_NAME, "")
            if not name:
                r.add_error(OTHER_NAME, "请填写主体名称：A.4.1 按名称匹配市场主体库中的非营利性市场主体、非市场主体")
                continue
            prefix = region_prefix(r.values.get("行政区划编码", ""))
            found = [i for i, division in candidates.get(name, []) if division.startswith(prefix)]
            if not found:
                r.add_error(OTHER_NAME, NOT_REGISTERED)
            elif len(found) > 1:
                r.add_error(OTHER_NAME, f"市场主体库中该行政区划内有{len(found)}个同名主体，请改用A.4.2按代码导入")
            else:
                check.targets[r.number] = found[0]
    # Two rows naming one entity (a code and a registration number, say).
    seen: dict[int, Row] = {}
    for r in rows:
        target = check.targets.get(r.number)
        if target is None or not r.valid:
            continue
        if target in seen:
            r.add_error("", f"与第{seen[target].number}行是市场主体库中的同一主体")
            del check.targets[r.number]
        else:
            seen[target] = r


def _check_places(actor: User, rows: list[Row], check: DirectoryCheck) -> None:
    _check_lengths(rows, PLACE_FIELDS)
    keyed: dict[tuple[str, str], list[Row]] = {}
    for r in rows:
        if r.values.get("场地场所") and r.values.get("检查地址"):
            keyed.setdefault((r.values["场地场所"], r.values["检查地址"]), []).append(r)
    for group in keyed.values():
        if len(group) > 1:
            for r in group:
                others = "、".join(str(x.number) for x in group if x is not r)
                r.add_error("场地场所", f"与第{others}行的场地场所和检查地址相同")
    existing: dict[tuple[str, str], int] = {}
    names = sorted({k[0] for k in keyed})
    for chunk in _chunks(names):
        for name, address, ident in db.session.execute(
            select(Place.name, Place.address, Place.id).where(
                Place.department_id == actor.department_id, Place.name.in_(chunk)
            )
        ):
            existing[(name, address)] = ident
    links = _entities_by(actor, MarketEntity.uscc, (r.values.get("责任单位统一社会信用代码", "") for r in rows))
    for r in rows:
        ident = existing.get((r.values.get("场地场所", ""), r.values.get("检查地址", "")))
        if ident:
            check.targets[r.number] = ident
        link = links.get(r.values.get("责任单位统一社会信用代码", ""))
        if link:
            check.links[r.number] = link


def _check_products(actor: User, rows: list[Row], check: DirectoryCheck) -> None:
    _check_lengths(rows, PRODUCT_FIELDS)
    mark_duplicates(rows, "生产许可证编号")
    existing: dict[str, int] = {}
    numbers = sorted({r.values["生产许可证编号"] for r in rows if r.values.get("生产许可证编号")})
    for chunk in _chunks(numbers):
        for number, ident in db.session.execute(
            select(Product.licence_no, Product.id).where(
                Product.department_id == actor.department_id, Product.licence_no.in_(chunk)
            )
        ):
            existing[number] = ident
    links = _entities_by(actor, MarketEntity.uscc, (r.values.get("统一社会信用代码", "") for r in rows))
    for r in rows:
        ident = existing.get(r.values.get("生产许可证编号", ""))
        if ident:
            check.targets[r.number] = ident
        link = links.get(r.values.get("统一社会信用代码", ""))
        if link:
            check.links[r.number] = link


def _count_already(directory: ObjectDirectory | None, check: DirectoryCheck) -> None:
    if directory is None:
        check.already = 0
        return
    column = getattr(DirectoryMember, _REF[check.kind])
    valid = {r.number for r in check.valid_rows}
    ids = sorted({t for n, t in check.targets.items() if n in valid})
    present: set[int] = set()
    for chunk in _chunks(ids):
        present.update(
            db.session.execute(
                select(column).where(DirectoryMember.directory_id == directory.id, column.in_(chunk))
            ).scalars()
        )
    check.already = sum(1 for n, t in check.targets.items() if n in valid and t in present)


def check_import(actor: User, item: CheckItem, code: str, data: bytes) -> DirectoryCheck:
    """Read an upload against template ``code`` and check every row (nothing is written)."""
    spec = IMPORT_TEMPLATES.get(code)
    if spec is None:
        raise ExcelError("请选择模板")
    rows = read_table(data, spec.template, csv_ok=True, max_rows=MAX_IMPORT_ROWS)
    check = DirectoryCheck(code, rows)
    if spec.kind == MemberKind.ENTITY:
        _check_entities(actor, code, rows, check)
    elif spec.kind == MemberKind.PLACE:
        _check_places(actor, rows, check)
    else:
        _check_products(actor, rows, check)
    _count_already(directory_of(actor, item), check)
    return check


def can_use_batch(actor: User, batch: ImportBatch) -> bool:
    return batch.kind == IMPORT_KIND and batch.created_by_id == actor.id and can_edit(actor)


def batch_summary(batch: ImportBatch) -> dict[str, Any]:
    return json.loads(batch.result) if batch.result else {}


def store_import(actor: User, item: CheckItem, code: str, filename: str, data: bytes) -> tuple[ImportBatch, DirectoryCheck]:
    """Check an upload and keep it, with its summary, for preview and confirmation."""
    from services.user_import import purge_stale_imports

    _require_edit(actor)
    check = check_import(actor, item, code, data)
    purge_stale_imports(actor)
    batch = ImportBatch(
        kind=IMPORT_KIND,
        filename=filename[-255:],
        content=data,
        created_by_id=actor.id,
        department_id=actor.department_id,
        status=ImportStatus.PENDING.value,
        result=json.dumps({"item_id": item.id, "template": code, "check": check.summary()}, ensure_ascii=False),
    )
    db.session.add(batch)
    db.session.flush()
    audit.record(
        "create",
        object_type="import_batch",
        object_id=batch.id,
        summary={"文件": batch.filename, "模板": code, "抽查事项": item.name, "有效行": len(check.valid_rows),
                 "问题行": len(check.invalid_rows)},
        user=actor,
    )
    return batch, check


def batch_item(actor: User, batch: ImportBatch) -> CheckItem:
    return item_for(actor, batch_summary(batch).get("item_id"))


def recheck(actor: User, batch: ImportBatch) -> DirectoryCheck:
    summary = batch_summary(batch)
    return check_import(actor, batch_item(actor, batch), summary.get("template", ""), batch.content)


def _ensure_pending(batch: ImportBatch) -> None:
    from services.user_import import _ensure_pending as ensure

    ensure(batch)


def annotated_copy(actor: User, batch: ImportBatch) -> bytes:
    """The upload (a CSV as .xlsx) with an 错误说明 column beside each faulty row."""
    _ensure_pending(batch)
    check = recheck(actor, batch)
    audit.record(
        "export", object_type="import_batch", object_id=batch.id,
        summary={"文件": batch.filename, "内容": "问题标注"}, user=actor,
    )
    return check.errors().annotated(batch.content, sheet=IMPORT_TEMPLATES[check.code].template.sheet)


def discard_import(actor: User, batch: ImportBatch) -> None:
    from services.user_import import _claim

    if not can_use_batch(actor, batch):
        raise Forbidden("只有上传该文件的经办人可以放弃该批次")
    _ensure_pending(batch)
    _claim(batch, ImportStatus.DISCARDED)
    batch.content = b""
    audit.record("delete", object_type="import_batch", object_id=batch.id, summary={"文件": batch.filename}, user=actor)


def _object_values(row: Row, fields: Sequence[tuple[str, str, int]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for title, attr, limit in fields:
        value = row.values.get(title)
        out[attr] = value if value not in ("",) else ("" if limit else None)
    return out


def _upsert(
    actor: User,
    table: Any,
    fields: Sequence[tuple[str, str, int]],
    valid: list[Row],
    check: DirectoryCheck,
) -> list[int]:
    """Create the new places/products and update the known ones (filled cells replace the
    stored values, blank cells keep them); returns every row's object id, in row order."""
    now = utcnow()
    attrs = [attr for _t, attr, _l in fields]
    creates = [r for r in valid if r.number not in check.targets]
    new_ids = allocate_ids(table, len(creates))
    rows = []
    for r, ident in zip(creates, new_ids, strict=True):
        values = _object_values(r, fields)
        rows.append([ident, actor.department_id, *[values[a] for a in attrs], check.links.get(r.number), now, now])
    insert_rows(table, ["id", "department_id", *attrs, "entity_id", "created_at", "updated_at"], rows)
    by_keys: dict[tuple[str, ...], list[list[Any]]] = {}
    for r in valid:
        if r.number not in check.targets:
            continue
        values = _object_values(r, fields)
        keys = [a for a in attrs if values[a] not in ("", None)]
        vals = [values[a] for a in keys]
        if r.number in check.links:
            keys.append("entity_id")
            vals.append(check.links[r.number])
        keys.append("updated_at")
        vals.append(now)
        by_keys.setdefault(tuple(keys), []).append([*vals, check.targets[r.number]])
    for keys, group in by_keys.items():
        update_rows(table, "id", keys, group)
    ids = dict(zip((r.number for r in creates), new_ids, strict=True))
    return [check.targets.get(r.number) or ids[r.number] for r in valid]


def _add_members(directory: ObjectDirectory, kind: MemberKind, object_ids: Iterable[int]) -> int:
    """Insert the objects not yet in the directory; returns how many were added."""
    ref = _REF[kind]
    column = getattr(DirectoryMember, ref)
    wanted = list(dict.fromkeys(object_ids))
    present: set[int] = set()
    for chunk in _chunks(sorted(wanted)):
        present.update(
            db.session.execute(
                select(column).where(DirectoryMember.directory_id == directory.id, column.in_(chunk))
            ).scalars()
        )
    now = utcnow()
    fresh = [(directory.id, kind, ident, now) for ident in wanted if ident not in present]
    insert_rows(DirectoryMember.__table__, ["directory_id", "kind", ref, "added_at"], fresh)
    _analyze_if_large(len(fresh))
    return len(fresh)


def import_batch(actor: User, batch: ImportBatch) -> AddResult:
    """仅导入有效行: store the batch's valid rows in the item's directory, all or nothing."""
    from services.user_import import _claim

    if not can_use_batch(actor, batch):
        raise Forbidden("只有上传该文件的经办人可以导入")
    _ensure_pending(batch)
    item = batch_item(actor, batch)
    check = recheck(actor, batch)
    valid = check.valid_rows
    if not valid:
        raise Invalid("没有可导入的有效行，请修改文件后重新上传")
    _claim(batch, ImportStatus.IMPORTED)
    directory, created = _get_or_create(actor, item)
    details: dict[str, Any] = {}
    if check.kind == MemberKind.ENTITY:
        ids = [check.targets[r.number] for r in valid]
    else:
        table, fields = (
            (Place.__table__, PLACE_FIELDS) if check.kind == MemberKind.PLACE else (Product.__table__, PRODUCT_FIELDS)
        )
        updated = sum(1 for r in valid if r.number in check.targets)
        ids = _upsert(actor, table, fields, valid, check)
        details = {f"新建{check.kind.label}": len(valid) - updated, f"更新{check.kind.label}": updated}
    added = _add_members(directory, check.kind, ids)
    summary = {
        "方式": "按模板导入",
        "模板": check.code,
        "文件": batch.filename,
        "有效行": len(valid),
        "新增": added,
        "已在库中": len(ids) - added,
        "跳过问题行": len(check.invalid_rows),
        **details,
    }
    _changed(actor, directory, summary)
    template = IMPORT_TEMPLATES[check.code].template
    instance = _record_add(
        actor, directory, "template", f"{template.code} {template.title}：{batch.filename}，新增{added}个"
    )
    batch.result = json.dumps(
        {"item_id": item.id, "template": check.code, "directory_id": directory.id, "imported": summary},
        ensure_ascii=False,
    )
    batch.content = b""
    db.session.flush()
    audit.record("import", object_type="import_batch", object_id=batch.id, summary=summary, user=actor)
    return AddResult(directory, created, added, len(ids) - added, instance, details)


# ------------------------------------------------------------------ members


@dataclass
class MemberRow:
    id: int
    kind: MemberKind
    name: str
    code: str
    address: str
    grade: str | None
    entity_id: int | None
    extra: str  # responsible unit of a place, licence validity of a product


@dataclass
class MemberPage:
    rows: list[MemberRow]
    has_next: bool
    has_prev: bool
    total: int

    @property
    def next_after(self) -> int | None:
        return self.rows[-1].id if self.rows and self.has_next else None

    @property
    def prev_before(self) -> int | None:
        return self.rows[0].id if self.rows and self.has_prev else None


def _member_select() -> tuple[Select[Any], Any]:
    entity = aliased(MarketEntity)
    linked = aliased(MarketEntity)
    return (
        select(
            DirectoryMember.id,
            DirectoryMember.kind,
            DirectoryMember.entity_id,
            entity.name,
            entity.uscc,
            entity.reg_no,
            entity.business_address,
            entity.credit_grade,
            Place.name.label("place_name"),
            Place.address.label("place_address"),
            Place.responsible_unit,
            Product.licence_no,
            Product.company_name,
            Product.address.label("product_address"),
            Product.valid_until,
            linked.credit_grade.label("linked_grade"),
            linked.id.label("linked_id"),
        )
        .select_from(DirectoryMember)
        .outerjoin(entity, entity.id == DirectoryMember.entity_id)
        .outerjoin(Place, Place.id == DirectoryMember.place_id)
        .outerjoin(Product, Product.id == DirectoryMember.product_id)
        .outerjoin(linked, linked.id == func.coalesce(Place.entity_id, Product.entity_id))
    ), entity


def _member_row(r: Any) -> MemberRow:
    kind = MemberKind(r.kind)
    if kind == MemberKind.ENTITY:
        return MemberRow(r.id, kind, r.name or "", r.uscc or r.reg_no or "", r.business_address or "",
                         r.credit_grade, r.entity_id, "")
    if kind == MemberKind.PLACE:
        return MemberRow(r.id, kind, r.place_name, "", r.place_address, r.linked_grade, r.linked_id,
                         f"责任单位：{r.responsible_unit}" if r.responsible_unit else "")
    return MemberRow(r.id, kind, r.company_name, r.licence_no, r.product_address or "", r.linked_grade, r.linked_id,
                     f"有效期至：{r.valid_until}" if r.valid_until else "")


def members_page(
    directory: ObjectDirectory,
    *,
    kind: MemberKind | None = None,
    search: str = "",
    after: int | None = None,
    before: int | None = None,
    per_page: int = PER_PAGE,
) -> MemberPage:
    """One keyset page of a directory's members in the order they joined, filtered by kind
    and by a name (contained) or an exact code."""
    query, entity = _member_select()
    query = query.where(DirectoryMember.directory_id == directory.id)
    if kind is not None:
        query = query.where(DirectoryMember.kind == kind)
    search = (search or "").strip()[:100]
    if search:
        query = query.where(
            or_(
                entity.name.contains(search, autoescape=True),
                entity.uscc == search.upper(),
                entity.reg_no == search,
                Place.name.contains(search, autoescape=True),
                Place.address.contains(search, autoescape=True),
                Product.company_name.contains(search, autoescape=True),
                Product.licence_no == search,
            )
        )
    if search:
        total = db.session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    else:  # from the population index alone
        counted = select(func.count()).select_from(DirectoryMember).where(DirectoryMember.directory_id == directory.id)
        if kind is not None:
            counted = counted.where(DirectoryMember.kind == kind)
        total = db.session.execute(counted).scalar_one()
    if before is not None:
        page = query.where(DirectoryMember.id < before).order_by(DirectoryMember.id.desc())
    else:
        if after is not None:
            query = query.where(DirectoryMember.id > after)
        page = query.order_by(DirectoryMember.id.asc())
    rows = [_member_row(r) for r in db.session.execute(page.limit(per_page + 1))]
    if before is not None:
        has_prev = len(rows) > per_page
        rows = list(reversed(rows[:per_page]))
        has_next = True
    else:
        has_next = len(rows) > per_page
        rows = rows[:per_page]
        has_prev = after is not None
    return MemberPage(rows, has_next, has_prev, total)


# ------------------------------------------------------------------ for other chapters


class PopulationMember(NamedTuple):
    key: str  # "entity:12", "place:3", "product:7": stable across draws
    kind: MemberKind
    grade: str | None  # the credit-risk grade of the entity (or of a place's or product's holder)


def population(directory: ObjectDirectory | int) -> Iterator[PopulationMember]:
    """A directory's members for a random draw, in a stable order (kind, then object id), with
    the credit-risk grade the draw may weigh (seed 002): an entity's own, or that of the
    entity responsible for a place or holding a product's licence.  One query per kind, each
    read in order from the unique (directory, object) index and streamed: a 100,000-member
    directory is never loaded as ORM objects."""
    directory_id = directory if isinstance(directory, int) else directory.id
    queries = (
        (
            MemberKind.ENTITY,
            select(DirectoryMember.entity_id, MarketEntity.credit_grade)
            .join(MarketEntity, MarketEntity.id == DirectoryMember.entity_id)
            .where(DirectoryMember.directory_id == directory_id, DirectoryMember.entity_id.is_not(None))
            .order_by(DirectoryMember.entity_id),
        ),
        (
            MemberKind.PLACE,
            select(DirectoryMember.place_id, MarketEntity.credit_grade)
            .join(Place, Place.id == DirectoryMember.place_id)
            .outerjoin(MarketEntity, MarketEntity.id == Place.entity_id)
            .where(DirectoryMember.directory_id == directory_id, DirectoryMember.place_id.is_not(None))
            .order_by(DirectoryMember.place_id),
        ),
        (
            MemberKind.PRODUCT,
            select(DirectoryMember.product_id, MarketEntity.credit_grade)
            .join(Product, Product.id == DirectoryMember.product_id)
            .outerjoin(MarketEntity, MarketEntity.id == Product.entity_id)
            .where(DirectoryMember.directory_id == directory_id, DirectoryMember.product_id.is_not(None))
            .order_by(DirectoryMember.product_id),
        ),
    )
    for kind, query in queries:
        prefix = kind.value + ":"
        for ident, grade in db.session.execute(query.execution_options(yield_per=5_000)):
            yield PopulationMember(prefix + str(ident), kind, grade)


def directories_of_entity(actor: User, entity: MarketEntity) -> list[tuple[ObjectDirectory, str]]:
    """The directories of the actor's scope that hold ``entity`` (directly, or through a place
    or product it is responsible for), with how: for the entity's page."""
    found: list[tuple[ObjectDirectory, str]] = []
    seen: set[tuple[int, str]] = set()
    via = (
        (DirectoryMember.entity_id == entity.id, "市场主体"),
        (DirectoryMember.place_id.in_(select(Place.id).where(Place.entity_id == entity.id)), "场地场所的责任单位"),
        (DirectoryMember.product_id.in_(select(Product.id).where(Product.entity_id == entity.id)), "产品的生产企业"),
    )
    for condition, how in via:
        query = scope_owned(
            select(ObjectDirectory).where(
                ObjectDirectory.id.in_(select(DirectoryMember.directory_id).where(condition))
            ),
            ObjectDirectory,
            actor,
        ).order_by(ObjectDirectory.id)
        for directory in db.session.execute(query.limit(100)).scalars():
            if (directory.id, how) not in seen:
                seen.add((directory.id, how))
                found.append((directory, how))
    return found


# ------------------------------------------------------------------ 表16 删除

# Chapters that refer to a directory (plans, draws) add a function here returning
# (what, description) pairs; the confirmation page lists them.
REFERENCE_PROVIDERS: list[Callable[[ObjectDirectory], list[tuple[str, str]]]] = []


def references(directory: ObjectDirectory) -> list[tuple[str, str]]:
    """What refers to a directory: its item (确认删除名录库所关联的抽查事项范围), then what
    later chapters registered."""
    item = directory.item
    refs = [("抽查事项", f"{item.name}（{item.kind.label}，{item.category.label}，{item.department.name}）")]
    for provider in REFERENCE_PROVIDERS:
        refs.extend(provider(directory))
    return refs


def delete_directory(actor: User, directory: ObjectDirectory, mode: str) -> ProcessInstance:
    """删除 a directory and its memberships (places and products stay with their department),
    recording the 表16 steps: 选择删除方式, [选择拟删除检查对象名录库的抽查事项], 选择拟删除的对象名录库,
    确认是否删除 (确认删除), 删除."""
    _require_edit(actor)
    if mode not in DELETE_MODES:
        raise Invalid("请选择删除方式")
    if not directory.department.is_within(actor.department):
        raise NotFound("未找到该检查对象名录库")
    by_kind = counts([directory.id])[directory.id]
    name, ident, item_name = directory.name, directory.id, directory.item.name
    refs = references(directory)
    instance = engine.start(DELETE_TABLE, actor, title=f"删除{name}"[:200], subject_type=SUBJECT_TYPE, subject_id=None)
    engine.advance(actor, instance, "choose_mode", mode, comment=DELETE_MODES[mode])
    if mode == "by_item":
        engine.advance(actor, instance, "select_item", "next", comment=f"抽查事项：{item_name}")
    engine.advance(actor, instance, "select_directory", "next", comment=name)
    engine.advance(
        actor, instance, "confirm", "yes", comment="关联：" + "；".join(f"{k}：{v}" for k, v in refs)
    )
    db.session.execute(delete(DirectoryMember).where(DirectoryMember.directory_id == ident))
    db.session.delete(directory)
    db.session.flush()
    engine.advance(actor, instance, "delete", "next", comment=f"已删除，含{describe_counts(by_kind)}")
    audit.record(
        "delete",
        object_type=SUBJECT_TYPE,
        object_id=ident,
        summary={"名录库": name, "抽查事项": item_name, "检查对象": describe_counts(by_kind), "方式": DELETE_MODES[mode]},
        user=actor,
    )
    return instance

