"""Finding market entities: the filters of the list, the query (name prefixes, structured fields,
the scan limits) and its pages."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import selectinload

from infrastructure.validators import normalize_uscc
from models import EntityTag, MarketEntity, User, db
from models.entity import CREDIT_GRADES, EntityStatus, EntityType
from persistence.scope import scope_entities
from services import entity_fact_filters
from services.entity_fields import (
    TAG_MAX_LENGTH,
    FieldError,
    parse_industry,
)

PER_PAGE = 20


COUNT_CAP = 10_000


# A "contains" search reads every candidate row: at most this many (about 0.1 s on SQLite).
SCAN_LIMIT = 20_000


NAME_LEAD_LIMIT = 5_000


@dataclass
class EntityFilters:
    name: str = ""
    contains: bool = False  # name (and scope keyword) anywhere, not only as a prefix
    code: str = ""  # 统一社会信用代码 or 注册号, exact
    division: str = ""  # prefix
    industry: str = ""  # prefix
    entity_type: EntityType | None = None
    status: EntityStatus | None = None
    grade: str = ""
    tag: str = ""
    scope_keyword: str = ""  # 经营范围
    # on collected facts (services/entity_fact_filters.py)
    permit_kind: str = ""  # has a valid permit of this kind today
    abnormal: bool = False  # on the 经营异常名录
    penalised_since: date | None = None
    blacklisted: bool = False  # itself or its legal representative on a 失信 list
    problems: list[str] = field(default_factory=list)
    scan_allowed: bool | None = None  # see _scan_allowed
    name_leads: bool | None = None  # see _name_leads

    def as_args(self) -> dict[str, Any]:
        """The filters as query-string arguments (for page links)."""
        args = {
            "name": self.name,
            "contains": "1" if self.contains else "",
            "code": self.code,
            "division": self.division,
            "industry": self.industry,
            "type": self.entity_type.value if self.entity_type else "",
            "status": self.status.value if self.status else "",
            "grade": self.grade,
            "tag": self.tag,
            "scope": self.scope_keyword,
            "permit": self.permit_kind,
            "abnormal": "1" if self.abnormal else "",
            "penalised": self.penalised_since.isoformat() if self.penalised_since else "",
            "blacklisted": "1" if self.blacklisted else "",
        }
        return {k: v for k, v in args.items() if v}

    @property
    def any(self) -> bool:
        return bool(self.as_args())


def parse_filters(args: Mapping[str, Any]) -> EntityFilters:
    """Read list filters from request arguments; malformed values are dropped with a note."""
    f = EntityFilters(
        name=(args.get("name") or "").strip()[:100],
        contains=args.get("contains") in ("1", "on", "true"),
        tag=(args.get("tag") or "").strip()[:TAG_MAX_LENGTH],
        scope_keyword=(args.get("scope") or "").strip()[:50],
        permit_kind=(args.get("permit") or "").strip()[:100],
        abnormal=args.get("abnormal") in ("1", "on", "true"),
        blacklisted=args.get("blacklisted") in ("1", "on", "true"),
    )
    penalised = (args.get("penalised") or "").strip()
    if penalised:
        try:
            f.penalised_since = date.fromisoformat(penalised)
        except ValueError:
            f.problems.append("处罚日期应为“2026-01-31”格式，已忽略该条件")
    code = normalize_uscc(args.get("code") or "")
    if code:
        f.code = code[:30]
    division = re.sub(r"\s", "", args.get("division") or "")
    if division:
        if division.isdigit() and len(division) <= 12:
            f.division = division
        else:
            f.problems.append("行政区划编码应为数字（可只填开头几位），已忽略该条件")
    industry = re.sub(r"\s", "", args.get("industry") or "").upper()
    if industry:
        try:
            f.industry = parse_industry(industry)
        except FieldError:
            f.problems.append("行业代码应为门类字母或数字开头（如 F、F52、5211），已忽略该条件")
    etype = args.get("type") or ""
    if etype in {t.value for t in EntityType}:
        f.entity_type = EntityType(etype)
    status = args.get("status") or ""
    if status in {s.value for s in EntityStatus}:
        f.status = EntityStatus(status)
    grade = (args.get("grade") or "").upper()
    if grade in CREDIT_GRADES:
        f.grade = grade
    return f


def _successor(prefix: str) -> str | None:
    """The smallest string greater than every string that starts with ``prefix``."""
    last = ord(prefix[-1])
    if last >= 0x10FFFF:
        return None
    return prefix[:-1] + chr(last + 1)


def starts_with(column: Any, prefix: str) -> Any:
    """``column LIKE 'prefix%'`` as a range, which a b-tree index serves on SQLite and on
    PostgreSQL (the columns are bytewise there, see models/entity.py)."""
    upper = _successor(prefix)
    return and_(column >= prefix, column < upper) if upper else column >= prefix


def entity_query(actor: User, filters: EntityFilters, *, for_count: bool = False) -> Select[Any]:
    """The actor's registries, filtered (no order, no page).  Filters that would scan the
    whole registry are refused with a note in ``filters.problems``.

    The result is the same for a page and for its count, but not the plan: with a name prefix
    the query steers the planner (see _name_leads).  ``for_count`` asks for the count's plan.
    """
    scoped = scope_entities(select(MarketEntity), actor)
    query = _structured(scoped, filters)
    wants_scan = bool(filters.name and filters.contains or filters.scope_keyword)
    scan_ok = wants_scan and _scan_allowed(query, filters)
    if filters.name:
        if filters.contains and scan_ok:
            query = query.where(MarketEntity.name.icontains(filters.name, autoescape=True))
        elif _name_leads(scoped, filters):
            query = _structured(scoped, filters, codes_indexed=False)
            query = query.where(starts_with(MarketEntity.name, filters.name))
        else:
            # A prefix most names share: a page is found faster in id order than on the
            # name index, a count faster on the (covering) name index.
            name = MarketEntity.name if for_count else MarketEntity.name + ""
            query = query.where(starts_with(name, filters.name))
    if filters.scope_keyword and scan_ok:
        query = query.where(MarketEntity.business_scope.icontains(filters.scope_keyword, autoescape=True))
    return query


def _structured(query: Select[Any], filters: EntityFilters, *, codes_indexed: bool = True) -> Select[Any]:
    """The filters that indexes serve.  ``codes_indexed=False`` writes the division and
    industry ranges as ``code || ''``, which no index serves, so the planner uses another."""

    def code(column: Any) -> Any:
        return column if codes_indexed else column + ""

    if filters.code:
        query = query.where(or_(MarketEntity.uscc == filters.code, MarketEntity.reg_no == filters.code))
    if filters.division:
        query = query.where(starts_with(code(MarketEntity.division_code), filters.division))
    if filters.industry:
        query = query.where(starts_with(code(MarketEntity.industry_code), filters.industry))
    if filters.grade:
        query = query.where(MarketEntity.credit_grade == filters.grade)
    if filters.entity_type:
        query = query.where(MarketEntity.entity_type == filters.entity_type)
    if filters.status:
        query = query.where(MarketEntity.status == filters.status)
    if filters.tag:
        query = query.where(
            MarketEntity.id.in_(select(EntityTag.entity_id).where(EntityTag.tag == filters.tag))
        )
    for condition in entity_fact_filters.conditions(
        filters.permit_kind, filters.abnormal, filters.penalised_since, filters.blacklisted
    ):
        query = query.where(condition)
    return query


def _name_leads(scoped: Select[Any], filters: EntityFilters) -> bool:
    """Whether a name prefix is selective enough to lead the search: at most NAME_LEAD_LIMIT
    names of the area start with it (counted on the name index, in milliseconds).  Planners,
    SQLite's above all, cannot tell 成都锦城 (a few names) from 成都 (most of them): left alone
    they walk a whole district on the division index and read every row's name."""
    if filters.name_leads is None:
        _n, capped = count_entities(scoped.where(starts_with(MarketEntity.name, filters.name)), cap=NAME_LEAD_LIMIT)
        filters.name_leads = not capped
    return filters.name_leads


def _scan_allowed(query: Select[Any], filters: EntityFilters) -> bool:
    """Whether the other filters leave few enough rows for a LIKE '%x%' scan; if not, say so
    (the decision is kept on ``filters`` so that the page and its count agree)."""
    if filters.scan_allowed is None:
        n, capped = count_entities(query, cap=SCAN_LIMIT)
        filters.scan_allowed = not capped
        if capped:
            what = []
            if filters.name and filters.contains:
                what.append("“名称包含”")
            if filters.scope_keyword:
                what.append("经营范围关键字")
            fallback = "已按名称开头查询" if filters.name and filters.contains else ""
            if filters.scope_keyword:
                fallback += ("，" if fallback else "") + "已忽略经营范围关键字"
            filters.problems.append(
                "、".join(what) + f"查询逐条比对，最多在{SCAN_LIMIT}个主体中进行；当前其他条件下超过{n}个，"
                f"请先用行政区划、行业、信用风险等级或标签缩小范围（{fallback}）"
            )
    return filters.scan_allowed


@dataclass
class EntityPage:
    items: list[MarketEntity]
    has_next: bool
    has_prev: bool
    total: int
    capped: bool  # more than COUNT_CAP: show "10000+"
    per_page: int = PER_PAGE

    @property
    def next_after(self) -> int | None:
        return self.items[-1].id if self.items and self.has_next else None

    @property
    def prev_before(self) -> int | None:
        return self.items[0].id if self.items and self.has_prev else None

    @property
    def total_label(self) -> str:
        return f"{COUNT_CAP}+" if self.capped else str(self.total)


def count_entities(query: Select[Any], cap: int = COUNT_CAP) -> tuple[int, bool]:
    """How many rows ``query`` yields, counting no further than ``cap`` + 1."""
    limited = query.with_only_columns(MarketEntity.id).order_by(None).limit(cap + 1).subquery()
    n = db.session.execute(select(func.count()).select_from(limited)).scalar_one()
    return min(n, cap), n > cap


def search_entities(
    actor: User,
    filters: EntityFilters,
    *,
    after: int | None = None,
    before: int | None = None,
    per_page: int = PER_PAGE,
    count: bool = True,
) -> EntityPage:
    """One keyset page of the actor's registries, newest first, with the capped total."""
    query = entity_query(actor, filters)
    # Two steps in one statement: the page's ids from the indexes alone (they cover the filter
    # and scope columns), then those rows.  Sorting a district's 100,000 ids is cheap; sorting
    # its 100,000 rows is not.
    ids = query.with_only_columns(MarketEntity.id)
    if before is not None:
        ids = ids.where(MarketEntity.id > before).order_by(MarketEntity.id.asc())
    else:
        if after is not None:
            ids = ids.where(MarketEntity.id < after)
        ids = ids.order_by(MarketEntity.id.desc())
    rows = list(
        db.session.execute(
            select(MarketEntity)
            .where(MarketEntity.id.in_(ids.limit(per_page + 1).scalar_subquery()))
            .options(selectinload(MarketEntity.tags))
            .order_by(MarketEntity.id.desc())
        ).scalars()
    )
    if before is not None:
        has_prev = len(rows) > per_page
        items = rows[-per_page:] if has_prev else rows
        has_next = True
    else:
        has_next = len(rows) > per_page
        items = rows[:per_page]
        has_prev = after is not None
    total, capped = count_entities(entity_query(actor, filters, for_count=True)) if count else (0, False)
    return EntityPage(items, has_next, has_prev, total, capped, per_page)
