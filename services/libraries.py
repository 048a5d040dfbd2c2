"""Supervised-object libraries (监管对象库, DB5101 §6): 表3 新增, 表4 删除, 表5 新增标签,
表6 标签维护.

A library belongs to the department of the clerk who made it; that department's subtree sees
and changes it (persistence.scope.scope_owned), everyone else gets 404.  Its members are
entities of the registry the maker can see.

表3 has two ways in, the flow's decision 选择监管对象库新增方式:

* 按模板导入 (services/imports/libraries.py, one import kind per template, on the import
  framework; rows matched by services/library_matching.py): the clerk downloads A.4.2
  (营利性主体: 企业名称, 社会信用代码, 注册号, 标签) or A.4.1 (非营利性主体/非市场主体, which
  has no code column), fills it and uploads it with the new library's name; the upload is
  checked and kept as an ImportBatch, previewed with each problem by row and column, the clerk
  may download the file with an error column, and the confirmation stores the library with the
  rows still valid.  A row's 标签 are added to the entity's own tags.
* 筛选录入: a filter over the registry (services.entity_search.entity_query: division, industry,
  type, status, grade, tag, name, code, scope keyword), previewed as a count, then stored:
  the members are written by one ``INSERT … SELECT`` from the filter's own query, so a
  100,000-member library costs one statement (bench/libraries.py).  The filter is kept as
  JSON (the list's query arguments) and shown again on the library's page.

Each verb drives its process in the same transaction (the bindings pattern,
workflows/bindings.py): it starts the instance and completes the steps the page just performed,
so the history reads 选择监管对象库新增方式 → 下载模板 → 根据模板填充数据并上传 → 入库 (or
→ 筛选符合规则的数据 → 入库); a cancelled deletion ends its instance as 已终止.

Nothing here commits; every change writes an audit row (one per library, not per member).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, Select, delete, func, insert, literal, or_, select, update

from infrastructure.errors import Forbidden, Invalid
from models import (
    LibraryMember,
    LibraryTag,
    MarketEntity,
    ObjectLibrary,
    User,
    db,
    utcnow,
)
from models.entity import EntityStatus, EntityType
from models.library import LibrarySource
from models.roles import Role
from persistence import audit
from persistence.bulk import refresh_statistics
from persistence.scope import scope_owned
from services.entity_fields import FieldError, parse_tags
from services.entity_search import EntityFilters, count_entities, entity_query, parse_filters, starts_with
from workflows import engine

SUBJECT_TYPE = "object_library"
VIEW_ROLES = (Role.CLERK, Role.DEPT_LEADER)
EDIT_ROLES = (Role.CLERK, Role.DEPT_LEADER)  # the flow's 监管部门 lane
PER_PAGE = 20
MAX_MEMBERS = 500_000
NAME_MAX = 100
DESCRIPTION_MAX = 500
TAG_MAX = 30
MAX_LIBRARY_TAGS = 20
ANALYZE_AFTER_ROWS = 5_000

# A.4.1's 机构性质 and the registry types it stands for.

FILTER_LABELS = {
    "name": "主体名称",
    "contains": "名称包含",
    "code": "统一社会信用代码/注册号",
    "division": "行政区划编码",
    "industry": "行业代码",
    "type": "主体类型",
    "status": "登记状态",
    "grade": "信用风险等级",
    "tag": "标签",
    "scope": "经营范围关键字",
}


# ------------------------------------------------------------------ permissions and lookups


def can_view(actor: User) -> bool:
    return actor.has_role(*VIEW_ROLES)


def can_edit(actor: User) -> bool:
    return actor.has_role(*EDIT_ROLES)


def require_edit(actor: User) -> None:
    """Forbidden unless the actor may maintain the libraries (also the template import's check)."""
    if not can_edit(actor):
        raise Forbidden("只有监管部门可以维护监管对象库")


def libraries_query(actor: User, keyword: str = "") -> Select[Any]:
    """The libraries of the actor's department subtree, newest first."""
    query = scope_owned(select(ObjectLibrary), ObjectLibrary, actor)
    keyword = (keyword or "").strip()
    if keyword:
        query = query.where(ObjectLibrary.name.icontains(keyword[:NAME_MAX], autoescape=True))
    return query.order_by(ObjectLibrary.id.desc())


@dataclass
class LibraryList:
    items: list[ObjectLibrary]
    page: int
    pages: int
    total: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def list_libraries(actor: User, keyword: str = "", page: int = 1, per_page: int = PER_PAGE) -> LibraryList:
    query = libraries_query(actor, keyword)
    total = db.session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    items = list(db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).scalars())
    return LibraryList(items, page, pages, total)


def libraries_of_entity(actor: User, entity: MarketEntity) -> list[ObjectLibrary]:
    """The libraries (in the actor's scope) the entity belongs to, for the entity's page."""
    ids = select(LibraryMember.library_id).where(LibraryMember.entity_id == entity.id)
    query = scope_owned(select(ObjectLibrary).where(ObjectLibrary.id.in_(ids)), ObjectLibrary, actor)
    return list(db.session.execute(query.order_by(ObjectLibrary.name)).scalars())


def filter_args(library: ObjectLibrary) -> dict[str, str]:
    """The stored filter of a 筛选录入 library as query arguments."""
    if not library.filter_json:
        return {}
    try:
        data = json.loads(library.filter_json)
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def describe_filter(args: Mapping[str, str]) -> list[tuple[str, str]]:
    """(label, value) pairs of a filter, in words."""
    out: list[tuple[str, str]] = []
    for key, value in args.items():
        if key == "contains":
            continue
        text = value
        if key == "type" and value in {t.value for t in EntityType}:
            text = EntityType(value).label
        elif key == "status" and value in {s.value for s in EntityStatus}:
            text = EntityStatus(value).label
        elif key == "grade":
            text = f"{value}级"
        elif key == "name":
            text = f"{value}（{'包含' if args.get('contains') else '开头'}）"
        out.append((FILTER_LABELS.get(key, key), text))
    return out


# ------------------------------------------------------------------ members


@dataclass
class MemberPage:
    items: list[MarketEntity]
    has_next: bool
    has_prev: bool
    total: int
    per_page: int = PER_PAGE

    @property
    def next_after(self) -> int | None:
        return self.items[-1].id if self.items and self.has_next else None

    @property
    def prev_before(self) -> int | None:
        return self.items[0].id if self.items and self.has_prev else None


def _member_query(library: ObjectLibrary, keyword: str) -> Select[Any]:
    """The member ids, on the (library, entity) key: a page reads 21 index entries in order."""
    key = LibraryMember.entity_id
    query = select(key).where(LibraryMember.library_id == library.id)
    keyword = (keyword or "").strip()[:100]
    if keyword:
        code = keyword.upper()
        query = query.join(MarketEntity, MarketEntity.id == key).where(
            or_(starts_with(MarketEntity.name, keyword), MarketEntity.uscc == code, MarketEntity.reg_no == code)
        )
    return query


def members_page(
    library: ObjectLibrary,
    keyword: str = "",
    *,
    after: int | None = None,
    before: int | None = None,
    per_page: int = PER_PAGE,
) -> MemberPage:
    """One keyset page of a library's members (newest entity first), searched by name prefix
    or exact code; the total is the stored count unless a keyword narrows it."""
    key = LibraryMember.entity_id
    ids = _member_query(library, keyword)
    if before is not None:
        ids = ids.where(key > before).order_by(key.asc())
    else:
        if after is not None:
            ids = ids.where(key < after)
        ids = ids.order_by(key.desc())
    page_ids = sorted(db.session.execute(ids.limit(per_page + 1)).scalars(), reverse=True)
    if before is not None:
        has_prev = len(page_ids) > per_page
        page_ids = page_ids[-per_page:] if has_prev else page_ids
        has_next = True
    else:
        has_next = len(page_ids) > per_page
        page_ids = page_ids[:per_page]
        has_prev = after is not None
    items = sorted(
        db.session.execute(select(MarketEntity).where(MarketEntity.id.in_(page_ids))).scalars(),
        key=lambda e: -e.id,
    )
    if keyword.strip():
        total = db.session.execute(
            select(func.count()).select_from(_member_query(library, keyword).subquery())
        ).scalar_one()
    else:
        total = library.member_count
    return MemberPage(items, has_next, has_prev, total, per_page)


def forget_entity(entity_id: int) -> None:
    """An entity is being deleted: its memberships go with it (the member table has no
    foreign keys, see models.library.LibraryMember), and the libraries' counts follow."""
    libraries = select(LibraryMember.library_id).where(LibraryMember.entity_id == entity_id)
    db.session.execute(
        update(ObjectLibrary)
        .where(ObjectLibrary.id.in_(libraries))
        .values(member_count=ObjectLibrary.member_count - 1)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(delete(LibraryMember).where(LibraryMember.entity_id == entity_id))


# ------------------------------------------------------------------ field rules


def clean_name(actor: User, raw: Any, *, library: ObjectLibrary | None = None) -> str:
    name = " ".join(str(raw or "").split())
    if not name:
        raise Invalid("请填写监管对象库名称", field="name")
    if len(name) > NAME_MAX:
        raise Invalid(f"名称不能超过{NAME_MAX}个字", field="name")
    query = select(ObjectLibrary.id).where(
        ObjectLibrary.department_id == actor.department_id, ObjectLibrary.name == name
    )
    if library is not None:
        query = query.where(ObjectLibrary.id != library.id)
    if db.session.execute(query).first() is not None:
        raise Invalid(f"本部门已有名为“{name}”的监管对象库", field="name")
    return name


def clean_description(raw: Any) -> str:
    text = str(raw or "").strip()
    if len(text) > DESCRIPTION_MAX:
        raise Invalid(f"说明不能超过{DESCRIPTION_MAX}个字", field="description")
    return text


def clean_tags(raw: Any) -> list[str]:
    try:
        tags = parse_tags(raw)
    except FieldError as exc:
        raise Invalid(exc.message, field="tags") from None
    if len(tags) > MAX_LIBRARY_TAGS:
        raise Invalid(f"最多{MAX_LIBRARY_TAGS}个标签", field="tags")
    return tags


def clean_tag(raw: Any) -> str:
    tag = " ".join(str(raw or "").split())
    if not tag:
        raise Invalid("请填写标签", field="tag")
    if len(tag) > TAG_MAX:
        raise Invalid(f"标签不能超过{TAG_MAX}个字", field="tag")
    if any(c in tag for c in "、,，;；"):
        raise Invalid("一次填写一个标签（不含“、”“，”“；”）", field="tag")
    return tag


# ------------------------------------------------------------------ the processes


def start_process(
    table: int, actor: User, title: str, library_id: int | None, steps: Sequence[tuple[str, str, str]]
) -> Any:
    """Start ``table`` about the library and complete the steps the page performed."""
    instance = engine.start(table, actor, title=title[:200], subject_type=SUBJECT_TYPE, subject_id=library_id)
    for step_key, outcome, comment in steps:
        engine.advance(actor, instance, step_key, outcome, comment=comment)
    return instance


def new_library(
    actor: User, name: str, description: str, tags: list[str], source: LibrarySource, **extra: Any
) -> ObjectLibrary:
    library = ObjectLibrary(
        name=name,
        description=description,
        department_id=actor.department_id,
        source=source,
        created_by_id=actor.id,
        **extra,
    )
    library.tags = [LibraryTag(tag=t) for t in tags]
    db.session.add(library)
    db.session.flush()
    return library


# ------------------------------------------------------------------ 表3 筛选录入


@dataclass
class FilterPreview:
    filters: EntityFilters
    count: int
    too_many: bool

    @property
    def problems(self) -> list[str]:
        return self.filters.problems

    @property
    def storable(self) -> bool:
        return self.count > 0 and not self.too_many and not self.filters.problems


def preview_filter(actor: User, args: Mapping[str, Any]) -> FilterPreview:
    """筛选符合规则的数据: how many entities of the actor's registries the filter selects."""
    filters = parse_filters(args)
    count, capped = count_entities(entity_query(actor, filters, for_count=True), cap=MAX_MEMBERS)
    return FilterPreview(filters, count, capped)


def create_from_filter(
    actor: User, name: Any, args: Mapping[str, Any], *, tags: Any = "", description: Any = ""
) -> ObjectLibrary:
    """筛选录入 → 入库: store a library whose members are the entities the filter selects now.

    The members are written by one ``INSERT … SELECT`` of the filter's own query, capped at
    MAX_MEMBERS + 1 rows: a filter that selects more (or none) is refused after the insert,
    which a savepoint takes back.  The filter is not counted twice."""
    require_edit(actor)
    clean = clean_name(actor, name)
    text = clean_description(description)
    tag_list = clean_tags(tags)
    filters = parse_filters(args)
    query = entity_query(actor, filters)  # decides, and notes, what a broad filter cannot do
    if filters.problems:
        raise Invalid("筛选条件未能全部生效：" + "；".join(filters.problems))
    saved = filters.as_args()
    condition = "；".join(f"{k}：{v}" for k, v in describe_filter(saved)) or "全部市场主体"
    # The library and its members first, in a savepoint: a refused filter (none, or too
    # many) leaves nothing behind.  The members come straight from the filter's query, on the
    # database side.
    with db.session.begin_nested():
        library = new_library(
            actor,
            clean,
            text,
            tag_list,
            LibrarySource.FILTER,
            filter_json=json.dumps(saved, ensure_ascii=False, sort_keys=True),
        )
        ids = (
            query.with_only_columns(literal(library.id, Integer), MarketEntity.id)
            .order_by(None)
            .limit(MAX_MEMBERS + 1)
        )
        stored = db.session.execute(insert(LibraryMember).from_select(["library_id", "entity_id"], ids)).rowcount
        if stored is None or stored < 0:  # a driver that does not report it
            stored = db.session.execute(
                select(func.count()).where(LibraryMember.library_id == library.id)
            ).scalar_one()
        if stored > MAX_MEMBERS:
            raise Invalid(f"符合条件的市场主体超过{MAX_MEMBERS}个，请增加筛选条件")
        if not stored:
            raise Invalid("没有符合条件的市场主体，请调整筛选条件")
    instance = start_process(
        3,
        actor,
        f"新增监管对象库：{clean}",
        library.id,
        [("choose_mode", "filter", "筛选录入"), ("filter", "next", condition)],
    )
    library.member_count = stored
    if stored >= ANALYZE_AFTER_ROWS:
        refresh_statistics(LibraryMember.__table__)
    db.session.flush()
    engine.advance(actor, instance, "store", "next", comment=f"入库{stored}个市场主体")
    audit.record(
        "create",
        object_type=SUBJECT_TYPE,
        object_id=library.id,
        summary={"名称": clean, "方式": "筛选录入", "条件": condition, "成员": stored, "标签": "、".join(tag_list)},
        user=actor,
    )
    return library


# ------------------------------------------------------------------ 表4 删除


def delete_library(actor: User, library: ObjectLibrary, *, confirmed: bool) -> bool:
    """选择拟删除的对象库 → 确认是否删除: 确认删除 removes the library and its memberships
    (one statement), 取消删除 ends the instance as terminated.  Returns whether it was deleted."""
    require_edit(actor)
    title = f"删除监管对象库：{library.name}"
    if not confirmed:
        start_process(4, actor, title, library.id, [("select", "next", ""), ("confirm", "no", "")])
        return False
    instance = start_process(4, actor, title, library.id, [("select", "next", ""), ("confirm", "yes", "")])
    summary = {"名称": library.name, "成员": library.member_count, "标签": "、".join(library.tag_names)}
    ident = library.id
    db.session.execute(delete(LibraryMember).where(LibraryMember.library_id == ident))
    db.session.execute(delete(LibraryTag).where(LibraryTag.library_id == ident))
    db.session.expire(library)
    db.session.execute(delete(ObjectLibrary).where(ObjectLibrary.id == ident))
    db.session.flush()
    db.session.expunge(library)
    engine.advance(actor, instance, "delete", "next")
    audit.record("delete", object_type=SUBJECT_TYPE, object_id=ident, summary=summary, user=actor)
    return True


# ------------------------------------------------------------------ 表5 新增标签, 表6 标签维护


def _tag_of(library: ObjectLibrary, tag_id: Any) -> LibraryTag:
    try:
        ident = int(tag_id)
    except (TypeError, ValueError):
        ident = -1
    found = next((t for t in library.tags if t.id == ident), None)
    if found is None:
        raise Invalid("该标签不存在或已被删除，请刷新页面", field="tag")
    return found


def _ensure_new_tag(library: ObjectLibrary, tag: str, *, besides: LibraryTag | None = None) -> None:
    if any(t.tag == tag and t is not besides for t in library.tags):
        raise Invalid(f"该对象库已有标签“{tag}”", field="tag")
    if besides is None and len(library.tags) >= MAX_LIBRARY_TAGS:
        raise Invalid(f"每个对象库最多{MAX_LIBRARY_TAGS}个标签", field="tag")


def add_tag(actor: User, library: ObjectLibrary, raw: Any) -> LibraryTag:
    """表5: 选择拟新增标签的对象库 → 新增标签."""
    require_edit(actor)
    tag = clean_tag(raw)
    _ensure_new_tag(library, tag)
    made = LibraryTag(tag=tag)
    library.tags.append(made)
    library.updated_at = utcnow()
    db.session.flush()
    start_process(5, actor, f"监管对象库新增标签：{library.name}", library.id,
         [("select", "next", ""), ("add_tag", "next", tag)])
    audit.record("update", object_type=SUBJECT_TYPE, object_id=library.id, summary={"新增标签": tag}, user=actor)
    return made


def edit_tag(actor: User, library: ObjectLibrary, tag_id: Any, raw: Any) -> LibraryTag:
    """表6 修改: 选择拟维护标签的对象库 → 确认修改/删除标签 (修改) → 修改标签."""
    require_edit(actor)
    found = _tag_of(library, tag_id)
    tag = clean_tag(raw)
    old = found.tag
    if tag == old:
        raise Invalid("标签没有修改", field="tag")
    _ensure_new_tag(library, tag, besides=found)
    found.tag = tag
    library.updated_at = utcnow()
    db.session.flush()
    start_process(6, actor, f"监管对象库标签维护：{library.name}", library.id,
         [("select", "next", ""), ("choose", "edit", ""), ("edit_tag", "next", f"{old} → {tag}")])
    audit.record("update", object_type=SUBJECT_TYPE, object_id=library.id, summary={"标签": [old, tag]}, user=actor)
    return found


def delete_tag(actor: User, library: ObjectLibrary, tag_id: Any, *, confirmed: bool) -> bool:
    """表6 删除: … → 确认是否删除 → 删除标签 (确认删除) or the end (取消删除, terminated)."""
    require_edit(actor)
    found = _tag_of(library, tag_id)
    steps = [("select", "next", ""), ("choose", "delete", ""), ("confirm_delete", "yes" if confirmed else "no", "")]
    title = f"监管对象库标签维护：{library.name}"
    if not confirmed:
        start_process(6, actor, title, library.id, steps)
        return False
    instance = start_process(6, actor, title, library.id, steps)
    tag = found.tag
    library.tags.remove(found)
    library.updated_at = utcnow()
    db.session.flush()
    engine.advance(actor, instance, "delete_tag", "next", comment=tag)
    audit.record("update", object_type=SUBJECT_TYPE, object_id=library.id, summary={"删除标签": tag}, user=actor)
    return True


def tags_by_library(ids: Iterable[int]) -> dict[int, list[str]]:
    """{library id: [tag, …]} for a list page."""
    wanted = list(ids)
    out: dict[int, list[str]] = {i: [] for i in wanted}
    if not wanted:
        return out
    rows = db.session.execute(
        select(LibraryTag.library_id, LibraryTag.tag).where(LibraryTag.library_id.in_(wanted)).order_by(LibraryTag.tag)
    )
    for library_id, tag in rows:
        out[library_id].append(tag)
    return out

