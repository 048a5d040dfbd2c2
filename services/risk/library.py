"""The 风险库 (表25 纳入风险库; seed 004 §6 监管预警) as the pages read it: the filtered, paged
list in the user's area, its Excel export, the warnings of one entity or of a task's drawn
objects, and 手工预警 (docs/risk_pages.md).

Who sees what: the 风险库 is staff-only (监管部门 clerks and leaders, 执法人员); a warning is
visible when its entity is in the user's area, the same rule as the entity registry
(persistence.scope.scope_entities), so another district's warning answers 404.  Filters: the
rule, the division (行政区划编码 prefix: a 街道 is its first 9 digits), the industry (GB/T 4754
prefix), the responsible department, the date first seen (China dates, inclusive) and
open/closed (open by default).  The first page and a capped count (1000+) are what the list
costs, whatever the size of the registry: newest first on (status, first_seen_at) and the
entity's primary key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from infrastructure import clock
from infrastructure.errors import Conflict, Forbidden, Invalid
from infrastructure.excel import Column
from models import Department, MarketEntity, User, db
from models.org import DepartmentKind
from models.risk import RiskRule, RiskWarning
from models.roles import Role
from persistence.org import region_root
from persistence.scope import in_scope, scope_entities, subtree_ids
from services.entity_fields import FieldError, parse_industry
from services.entity_search import starts_with
from services.risk import engine_api

PER_PAGE = 20
COUNT_CAP = 1_000
EXPORT_LIMIT = 50_000
VIEW_ROLES = (Role.CLERK, Role.DEPT_LEADER, Role.INSPECTOR)
STATUS_LABELS = {"open": "预警中", "closed": "已关闭"}
MAX_REASON = 1000


def sees_library(user: User) -> bool:
    return user.is_active and user.has_role(*VIEW_ROLES)


def _area_ids(user: User) -> Select[Any]:
    return subtree_ids(region_root(user.department))


def can_view(user: User, warning: RiskWarning) -> bool:
    """Staff of the warning's entity's area."""
    return sees_library(user) and in_scope(user, warning.entity)


def may_raise_manual(user: User) -> bool:
    return user.is_active and user.has_role(Role.CLERK)


# ------------------------------------------------------------------ filters


@dataclass
class WarningFilters:
    rule_id: int | None = None
    division: str = ""
    industry: str = ""
    department_id: int | None = None
    since: date | None = None
    until: date | None = None
    status: str = "open"  # open / closed / "" (all)
    problems: list[str] = field(default_factory=list)

    def as_args(self) -> dict[str, Any]:
        args = {
            "rule": self.rule_id or "",
            "division": self.division,
            "industry": self.industry,
            "department": self.department_id or "",
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
            "status": self.status or "all",
        }
        return {k: v for k, v in args.items() if v}


def _int(raw: str, message: str, problems: list[str]) -> int | None:
    if not raw:
        return None
    if not raw.isdigit():
        problems.append(message)
        return None
    return int(raw)


def _date(raw: str, title: str, problems: list[str]) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        problems.append(f"{title}应为“2026-01-31”格式，已忽略该条件")
        return None


def parse_filters(args: Mapping[str, Any]) -> WarningFilters:
    """The list's filters from the query string; a malformed one is ignored and named in
    ``problems`` (the page then answers 400 with the message)."""
    problems: list[str] = []
    f = WarningFilters(problems=problems)
    f.rule_id = _int(str(args.get("rule") or "").strip(), "预警规则无效，已忽略该条件", problems)
    f.department_id = _int(str(args.get("department") or "").strip(), "责任部门无效，已忽略该条件", problems)
    division = re.sub(r"\s", "", str(args.get("division") or ""))
    if division:
        if division.isdigit() and len(division) <= 12:
            f.division = division
        else:
            problems.append("行政区划编码应为数字（可只填开头几位，如街道的前9位），已忽略该条件")
    industry = re.sub(r"\s", "", str(args.get("industry") or "")).upper()
    if industry:
        try:
            f.industry = parse_industry(industry)
        except FieldError:
            problems.append("行业代码应为门类字母或数字开头（如 F、F52、5211），已忽略该条件")
    f.since = _date(str(args.get("since") or "").strip(), "发现日期（起）", problems)
    f.until = _date(str(args.get("until") or "").strip(), "发现日期（止）", problems)
    if f.since and f.until and f.since > f.until:
        problems.append("发现日期的起始日不能晚于截止日，已忽略日期条件")
        f.since = f.until = None
    status = str(args.get("status") or "open")
    if status not in ("open", "closed", "all"):
        problems.append("状态无效，已按“预警中”查询")
        status = "open"
    f.status = "" if status == "all" else status
    return f


def warning_query(user: User, f: WarningFilters) -> Select[Any]:
    """The warnings of the user's area that pass the filters (the rows are ``RiskWarning``).

    Two shapes, for the two ways an index can serve the list at 1,000,000 entities: with a
    division, the entities of that 街道/区域 come first (a range of the registry's
    (division, industry, …, department) index, which covers the scope too) and their warnings
    are found by entity; otherwise the warnings come first, newest first on (status,
    first_seen_at) or (rule, status, first_seen_at), each checked against its entity."""
    if f.division:
        entities = scope_entities(select(MarketEntity.id).where(starts_with(MarketEntity.division_code, f.division)),
                                  user)
        if f.industry:
            entities = entities.where(starts_with(MarketEntity.industry_code, f.industry))
        query = select(RiskWarning).where(RiskWarning.entity_id.in_(entities))
    else:
        query = scope_entities(select(RiskWarning).join(MarketEntity, MarketEntity.id == RiskWarning.entity_id), user)
        if f.industry:
            query = query.where(starts_with(MarketEntity.industry_code, f.industry))
    if f.status:
        query = query.where(RiskWarning.status == f.status)
    if f.rule_id:
        query = query.where(RiskWarning.rule_id == f.rule_id)
    if f.department_id:
        query = query.where(RiskWarning.department_id == f.department_id)
    if f.since:
        query = query.where(RiskWarning.first_seen_at >= clock.china_day_start(f.since))
    if f.until:
        query = query.where(RiskWarning.first_seen_at < clock.china_day_start(f.until + timedelta(days=1)))
    return query


@dataclass
class WarningPage:
    items: list[RiskWarning]
    page: int
    has_next: bool
    total: int
    capped: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def total_label(self) -> str:
        return f"{COUNT_CAP}+" if self.capped else str(self.total)


def search(user: User, f: WarningFilters, page: int = 1, per_page: int = PER_PAGE) -> WarningPage:
    """One page, newest first, with the count capped at COUNT_CAP."""
    page = max(1, min(page, 10_000))
    query = warning_query(user, f)
    ids = (
        query.with_only_columns(RiskWarning.id)
        .order_by(RiskWarning.first_seen_at.desc(), RiskWarning.id.desc())
        .offset((page - 1) * per_page).limit(per_page + 1)
    )
    id_list = list(db.session.execute(ids).scalars())
    rows = {w.id: w for w in db.session.execute(
        select(RiskWarning).where(RiskWarning.id.in_(id_list[:per_page]))
        .options(joinedload(RiskWarning.entity), joinedload(RiskWarning.rule), joinedload(RiskWarning.department))
    ).scalars()}
    items = [rows[i] for i in id_list[:per_page] if i in rows]
    limited = query.with_only_columns(RiskWarning.id).limit(COUNT_CAP + 1).subquery()
    n = db.session.execute(select(func.count()).select_from(limited)).scalar_one()
    return WarningPage(items, page, len(id_list) > per_page, min(n, COUNT_CAP), n > COUNT_CAP)


def rules() -> list[RiskRule]:
    return list(db.session.execute(select(RiskRule).order_by(RiskRule.source, RiskRule.id)).scalars())


def departments(user: User) -> list[Department]:
    """The responsible departments a user may filter by: the supervision departments of the area."""
    return list(db.session.execute(
        select(Department).where(Department.id.in_(_area_ids(user)), Department.kind == DepartmentKind.SUPERVISION,
                                 Department.active.is_(True))
        .order_by(Department.path)
    ).scalars())


# ------------------------------------------------------------------ export


EXPORT_COLUMNS = (
    Column("预警规则", 16), Column("市场主体名称", 30), Column("统一社会信用代码/注册号", 22, text=True),
    Column("行政区划", 16), Column("行业", 18), Column("责任部门", 20), Column("状态", 8),
    Column("首次发现时间", 18), Column("最近发现时间", 18), Column("关闭时间", 18), Column("预警依据", 50),
)


def evidence_text(warning: RiskWarning) -> str:
    parts = [str(e.get("label") or "") for e in (warning.evidence or []) if isinstance(e, dict)]
    if warning.reason:
        parts.insert(0, warning.reason)
    return "；".join(p for p in parts if p)


def export_rows(user: User, f: WarningFilters) -> Iterator[list[Any]]:
    """The filtered warnings for Excel, newest first, at most EXPORT_LIMIT, read in batches."""
    query = (
        warning_query(user, f)
        .options(joinedload(RiskWarning.entity), joinedload(RiskWarning.rule), joinedload(RiskWarning.department))
        .order_by(RiskWarning.first_seen_at.desc(), RiskWarning.id.desc())
        .limit(EXPORT_LIMIT)
        .execution_options(yield_per=1000)
    )
    for w in db.session.execute(query).scalars():
        e = w.entity
        yield [
            w.rule.name, e.name, e.uscc or e.reg_no or "", e.division_name or e.division_code,
            f"{e.industry_code} {e.industry_name}".strip(), w.department.name if w.department else "",
            STATUS_LABELS.get(w.status, w.status), clock.to_china(w.first_seen_at), clock.to_china(w.last_seen_at),
            clock.to_china(w.closed_at) if w.closed_at else "", evidence_text(w),
        ]


def count(user: User, f: WarningFilters) -> int:
    limited = warning_query(user, f).with_only_columns(RiskWarning.id).limit(EXPORT_LIMIT + 1).subquery()
    return int(db.session.execute(select(func.count()).select_from(limited)).scalar_one())


# ------------------------------------------------------------------ in daily work


def open_for_entities(entity_ids: Iterable[int]) -> dict[int, list[RiskWarning]]:
    """The open warnings of these entities, by entity (the dossier, a task's drawn objects)."""
    return engine_api.open_warnings_of(i for i in entity_ids if i)


def open_for_entity(entity_id: int) -> list[RiskWarning]:
    return open_for_entities([entity_id]).get(entity_id, [])


# ------------------------------------------------------------------ 手工预警


def find_entity(user: User, code: str) -> MarketEntity:
    """The entity of the user's area with this 统一社会信用代码 or 注册号 (400 when none)."""
    code = re.sub(r"\s", "", code or "").upper()
    if not code:
        raise Invalid("请填写市场主体的统一社会信用代码或注册号", "code")
    entity = db.session.execute(scope_entities(
        select(MarketEntity).where((MarketEntity.uscc == code) | (MarketEntity.reg_no == code)), user)
    ).scalars().first()
    if entity is None:
        raise Invalid("本辖区市场主体库中没有该统一社会信用代码或注册号的主体", "code")
    return entity


def _reason(raw: str, title: str) -> str:
    reason = (raw or "").strip()
    if not reason:
        raise Invalid(f"请填写{title}", "reason")
    if len(reason) > MAX_REASON:
        raise Invalid(f"{title}不能超过{MAX_REASON}个字", "reason")
    return reason


def raise_manual(user: User, code: str, reason: str) -> RiskWarning:
    """手工预警: a clerk records a warning on an entity of the area, with the reason."""
    if not may_raise_manual(user):
        raise Forbidden("只有监管部门经办人可以手工预警")
    reason = _reason(reason, "预警理由")
    entity = find_entity(user, code)
    return engine_api.raise_manual(user, entity, reason)


def close_manual(user: User, warning: RiskWarning, reason: str) -> RiskWarning:
    """关闭 a manual warning (the automatic ones close when their condition no longer holds)."""
    if not may_raise_manual(user):
        raise Forbidden("只有监管部门经办人可以关闭手工预警")
    if warning.rule.code != engine_api.MANUAL:
        raise Conflict("自动预警在条件不再满足时由平台关闭，不能手工关闭")
    if warning.status != "open":
        raise Conflict("该预警已关闭")
    return engine_api.close_manual(user, warning, _reason(reason, "关闭理由"))


def history_of(warning: RiskWarning) -> list[RiskWarning]:
    """Every warning of the same entity and rule, newest first (the closed ones are its history)."""
    return list(db.session.execute(
        select(RiskWarning).where(RiskWarning.entity_id == warning.entity_id, RiskWarning.rule_id == warning.rule_id)
        .order_by(RiskWarning.first_seen_at.desc(), RiskWarning.id.desc())
    ).scalars())
