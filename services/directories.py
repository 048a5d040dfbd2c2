"""检查对象名录库 (object directories, DB5101 7.1.2): 表15 新增 and 表16 删除.

A directory holds the objects one inspection item's draws pick from, for one department
(models/directories.py).  Members come three ways, the three branches of 表15's
选择监管对象名录库新增方式:

- 按模板导入 (services/imports/directories.py and its kinds, one per template, on the import
  framework): an upload of A.4.2 / A.4.1 / B.1 (market entities, matched in the registry by
  统一社会信用代码 or 注册号, by name for A.4.1, which has no code column), B.2 (places) or B.3
  (products): upload → ImportBatch → preview with row and column errors → annotated copy →
  confirm (all rows, or the valid rows only);
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

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import Select, delete, exists, func, insert, literal, or_, select
from sqlalchemy.orm import aliased

from infrastructure.errors import Forbidden, Invalid, ServiceError
from models import (
    CheckItem,
    CheckItemPart,
    DirectoryMember,
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
from models.items import ItemStatus
from models.roles import Role
from persistence import audit
from persistence.bulk import refresh_statistics
from persistence.scope import scope_owned, subtree_ids
from services.entity_search import EntityFilters, count_entities, entity_query
from services.templates_catalogue import TEMPLATES, Template
from workflows import engine

SUBJECT_TYPE = "object_directory"  # ProcessInstance.subject_type and AuditEvent.object_type
ADD_TABLE = 15
DELETE_TABLE = 16
VIEW_ROLES = (Role.CLERK, Role.DEPT_LEADER)
EDIT_ROLES = (Role.CLERK,)
# A directory built from a filter or a copy may hold at most this many new members at once.
MAX_ADD = 300_000
PER_PAGE = 20
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


def require_edit(actor: User) -> None:
    """Forbidden unless the actor may maintain the directories (also the template import's check)."""
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


def get_or_create(actor: User, item: CheckItem) -> tuple[ObjectDirectory, bool]:
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


def record_add(actor: User, directory: ObjectDirectory, mode: str, comment: str) -> ProcessInstance:
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


def record_change(actor: User, directory: ObjectDirectory, summary: dict[str, Any]) -> None:
    """A directory's members changed: its time moves on and the change is audited."""
    directory.updated_at = utcnow()
    audit.record("update", object_type=SUBJECT_TYPE, object_id=directory.id, summary=summary, user=actor)


def _size(directory: ObjectDirectory) -> int:
    """Members of a directory (counted on the population index; exact on both backends, where
    an INSERT … SELECT's rowcount is not)."""
    return db.session.execute(
        select(func.count()).select_from(DirectoryMember).where(DirectoryMember.directory_id == directory.id)
    ).scalar_one()


def analyze_if_large(n: int) -> None:
    """Refresh the planner's statistics after a large bulk insert of members."""
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
    require_edit(actor)
    if filters.problems:
        raise Invalid("筛选条件有误：" + "；".join(filters.problems))
    n, capped = filter_count(actor, filters)
    if capped:
        raise Invalid(f"符合条件的市场主体超过{MAX_ADD}个，请增加筛选条件后再入库")
    if filters.problems:  # the count may add a note (a "contains" search over too many rows)
        raise Invalid("筛选条件有误：" + "；".join(filters.problems))
    if n == 0:
        raise Invalid("没有符合条件的市场主体，请调整筛选条件")
    directory, created = get_or_create(actor, item)
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
    analyze_if_large(added)
    description = filter_description(filters)
    record_change(
        actor,
        directory,
        {"方式": "筛选市场主体录入", "条件": description, "符合条件": n, "新增": added, "已在库中": n - added},
    )
    instance = record_add(actor, directory, "entities", f"筛选条件：{description}；符合条件{n}个，新增{added}个")
    return AddResult(directory, created, added, n - added, instance, {"条件": description})


# ------------------------------------------------------------------ 筛选库录入


def copy_sources(actor: User, item: CheckItem, search: str = "") -> list[ObjectDirectory]:
    """The directories of the actor's scope a new one may copy (not the item's own)."""
    target = directory_of(actor, item)
    query = directories_query(actor, search)
    if target is not None:
        query = query.where(ObjectDirectory.id != target.id)
    return list(db.session.execute(query.limit(200)).scalars())


MEMBER_REF = {  # the member column that refers to an object of each kind
    MemberKind.ENTITY: "entity_id",
    MemberKind.PLACE: "place_id",
    MemberKind.PRODUCT: "product_id",
}


def add_from_directory(actor: User, item: CheckItem, source: ObjectDirectory) -> AddResult:
    """筛选库录入: copy every member of ``source`` (in the actor's scope) into the item's
    directory, skipping objects already there."""
    require_edit(actor)
    if not source.department.is_within(actor.department):
        raise NotFound("未找到该检查对象名录库")
    total = sum(counts([source.id])[source.id].values())
    if total == 0:
        raise Invalid("所选名录库中没有检查对象")
    directory, created = get_or_create(actor, item)
    if directory.id == source.id:
        raise Invalid("不能把名录库复制到它自己")
    now = utcnow()
    before = _size(directory)
    member = aliased(DirectoryMember)
    for kind, ref in MEMBER_REF.items():
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
    analyze_if_large(added)
    record_change(
        actor,
        directory,
        {"方式": "筛选库录入", "来源名录库": source.name, "来源对象": total, "新增": added, "已在库中": total - added},
    )
    instance = record_add(
        actor, directory, "directories", f"复制“{source.name}”：共{total}个，新增{added}个"
    )
    return AddResult(directory, created, added, total - added, instance, {"来源": source.name})


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
    require_edit(actor)
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

