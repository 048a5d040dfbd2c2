"""What the 监管部门 read of the court's calls (docs/court.md): the calls with filters, one
entity's calls and cases, the statistics.  Every query is limited to the entities of the
reader's area (persistence.scope.scope_entities), so another district's entity, case or call is
never listed and its pages answer 404.  Days and months are China days (UTC + 8 hours, computed
in SQL on both databases).  Nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, func, literal, or_, select, union_all
from sqlalchemy.orm import selectinload

from infrastructure import clock
from models import CourtCase, CourtDelivery, CourtLookup, MarketEntity, User, db
from models.court import SERVED, UNSERVED
from models.roles import Role
from persistence.scope import scope_entities

VIEW_ROLES = (Role.CLERK, Role.DEPT_LEADER, Role.INSPECTOR)  # 监管部门
PAGE_SIZE = 50
EXPORT_LIMIT = 10_000
MAX_DAYS = 366
LOOKUP, FEEDBACK = "lookup", "feedback"
KIND_LABELS = {LOOKUP: "获取市场主体基本信息", FEEDBACK: "反馈案件信息及送达信息"}
RESULT_CHOICES = {SERVED: "送达", UNSERVED: "未送达"}


def _date(raw: str | None, label: str, problems: list[str]) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        problems.append(f"{label}格式不正确，已忽略")
        return None


@dataclass
class CallFilters:
    kind: str = ""
    result: str = ""
    since: date | None = None
    until: date | None = None
    entity: str = ""  # name or code, a part of it
    page: int = 1
    problems: list[str] = field(default_factory=list)

    def args(self) -> dict[str, str]:
        values = {"kind": self.kind, "result": self.result, "since": self.since.isoformat() if self.since else "",
                  "until": self.until.isoformat() if self.until else "", "entity": self.entity}
        return {k: v for k, v in values.items() if v}


def parse_call_filters(args: Any) -> CallFilters:
    problems: list[str] = []
    kind = (args.get("kind") or "").strip()
    result = (args.get("result") or "").strip()
    page = (args.get("page") or "1").strip()
    flt = CallFilters(
        kind=kind if kind in KIND_LABELS else "",
        result=result if result in RESULT_CHOICES else "",
        since=_date(args.get("since"), "调用日期（起）", problems),
        until=_date(args.get("until"), "调用日期（止）", problems),
        entity=(args.get("entity") or "").strip()[:100],
        page=int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1,
        problems=problems,
    )
    if flt.since and flt.until and flt.since > flt.until:
        flt.problems.append("起始日期晚于截止日期，已交换")
        flt.since, flt.until = flt.until, flt.since
    return flt


def _limit(query: Select[Any], model: Any, user: User, flt: CallFilters) -> Select[Any]:
    query = scope_entities(query.join(MarketEntity, MarketEntity.id == model.entity_id), user)
    if flt.since:
        query = query.where(model.received_at >= clock.china_day_start(flt.since))
    if flt.until:
        query = query.where(model.received_at < clock.china_day_start(flt.until + timedelta(days=1)))
    if flt.entity:
        like = f"%{flt.entity}%"
        query = query.where(or_(MarketEntity.name.like(like), MarketEntity.uscc == flt.entity.upper(),
                                MarketEntity.reg_no == flt.entity.upper()))
    return query


def _calls(user: User, flt: CallFilters) -> Any:
    parts = []
    if flt.kind in ("", LOOKUP) and not flt.result:
        parts.append(_limit(select(literal(LOOKUP).label("kind"), CourtLookup.id.label("id"),
                                   CourtLookup.received_at.label("at")), CourtLookup, user, flt))
    if flt.kind in ("", FEEDBACK):
        query = select(literal(FEEDBACK).label("kind"), CourtDelivery.id.label("id"), CourtDelivery.received_at.label("at"))
        query = _limit(query, CourtDelivery, user, flt)
        if flt.result:
            query = query.where(CourtDelivery.result == flt.result)
        parts.append(query)
    if not parts:
        return None
    return union_all(*parts).subquery("calls") if len(parts) > 1 else parts[0].subquery("calls")


@dataclass
class Call:
    kind: str
    at: Any
    entity: MarketEntity
    client: User
    lookup: CourtLookup | None = None
    delivery: CourtDelivery | None = None

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


@dataclass
class CallPage:
    items: list[Call]
    total: int
    page: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page * PAGE_SIZE < self.total


def _load(rows: list[Any]) -> list[Call]:
    lookup_ids = [r.id for r in rows if r.kind == LOOKUP]
    delivery_ids = [r.id for r in rows if r.kind == FEEDBACK]
    lookups = {x.id: x for x in db.session.execute(
        select(CourtLookup).where(CourtLookup.id.in_(lookup_ids))
        .options(selectinload(CourtLookup.entity), selectinload(CourtLookup.client))).scalars()} if lookup_ids else {}
    deliveries = {x.id: x for x in db.session.execute(
        select(CourtDelivery).where(CourtDelivery.id.in_(delivery_ids))
        .options(selectinload(CourtDelivery.case).selectinload(CourtCase.entity),
                 selectinload(CourtDelivery.client))).scalars()} if delivery_ids else {}
    out = []
    for r in rows:
        if r.kind == LOOKUP:
            lk = lookups[r.id]
            out.append(Call(LOOKUP, lk.received_at, lk.entity, lk.client, lookup=lk))
        else:
            d = deliveries[r.id]
            out.append(Call(FEEDBACK, d.received_at, d.case.entity, d.client, delivery=d))
    return out


def calls(user: User, flt: CallFilters, *, limit: int = PAGE_SIZE) -> CallPage:
    """The court's calls about the entities of ``user``'s area, newest first, one page."""
    sub = _calls(user, flt)
    if sub is None:
        return CallPage([], 0, 1)
    total = db.session.execute(select(func.count()).select_from(sub)).scalar_one()
    rows = db.session.execute(
        select(sub.c.kind, sub.c.id, sub.c.at).order_by(sub.c.at.desc(), sub.c.id.desc())
        .limit(limit).offset((flt.page - 1) * limit if limit == PAGE_SIZE else 0)
    ).all()
    return CallPage(_load(list(rows)), total, flt.page)


# ------------------------------------------------------------------ one entity


@dataclass
class EntityCourt:
    entity: MarketEntity
    lookups: list[CourtLookup]
    cases: list[CourtCase]

    @property
    def unserved(self) -> list[CourtCase]:
        return [c for c in self.cases if c.status == UNSERVED]

    @property
    def empty(self) -> bool:
        return not self.lookups and not self.cases


def entity_court(entity: MarketEntity, *, lookups: int = 50) -> EntityCourt:
    """The court's calls and cases about one entity (the caller has checked the scope)."""
    found = list(db.session.execute(
        select(CourtLookup).where(CourtLookup.entity_id == entity.id)
        .options(selectinload(CourtLookup.client)).order_by(CourtLookup.id.desc()).limit(lookups)).scalars())
    cases = list(db.session.execute(
        select(CourtCase).where(CourtCase.entity_id == entity.id)
        .options(selectinload(CourtCase.deliveries), selectinload(CourtCase.client))
        .order_by(CourtCase.status.desc(), CourtCase.updated_at.desc())).scalars())
    return EntityCourt(entity, found, cases)


def case_visible(user: User, case: CourtCase) -> bool:
    """A case is visible when its entity is in the reader's area."""
    return db.session.execute(
        scope_entities(select(MarketEntity.id).where(MarketEntity.id == case.entity_id), user)).first() is not None


# ------------------------------------------------------------------ statistics


@dataclass
class StatFilters:
    since: date
    until: date
    by: str = "day"  # day | month
    problems: list[str] = field(default_factory=list)

    def args(self) -> dict[str, str]:
        return {"since": self.since.isoformat(), "until": self.until.isoformat(), "by": self.by}


def parse_stat_filters(args: Any) -> StatFilters:
    problems: list[str] = []
    today = clock.china_today()
    by = "month" if args.get("by") == "month" else "day"
    until = _date(args.get("until"), "统计日期（止）", problems) or today
    default = until - timedelta(days=29) if by == "day" else date(until.year - 1, until.month, 1)
    since = _date(args.get("since"), "统计日期（起）", problems) or default
    if since > until:
        problems.append("起始日期晚于截止日期，已交换")
        since, until = until, since
    if by == "day" and (until - since).days >= MAX_DAYS:
        problems.append(f"按日统计最多{MAX_DAYS}天，已改为按月统计")
        by = "month"
    return StatFilters(since, until, by, problems)


def _period(column: Any, by: str, postgres: bool) -> Any:
    """The China day (YYYY-MM-DD) or month (YYYY-MM) of a stored UTC time, in SQL."""
    if postgres:
        return func.to_char(column + func.make_interval(0, 0, 0, 0, 8), "YYYY-MM-DD" if by == "day" else "YYYY-MM")
    return func.strftime("%Y-%m-%d" if by == "day" else "%Y-%m", column, "+8 hours")


@dataclass
class Period:
    label: str
    lookups: int = 0
    feedbacks: int = 0
    served: int = 0
    unserved: int = 0


@dataclass
class Stats:
    flt: StatFilters
    periods: list[Period]
    unserved_entities: list[tuple[MarketEntity, int, date | None]]  # entity, unserved cases, latest 未送达

    def total(self, name: str) -> int:
        return sum(getattr(p, name) for p in self.periods)


def statistics(user: User, flt: StatFilters, *, entity_limit: int = 500) -> Stats:
    """Calls per China day or month within the dates, 送达/未送达 counts, entities with unserved cases."""
    postgres = db.session.get_bind().dialect.name == "postgresql"
    window = CallFilters(since=flt.since, until=flt.until)
    periods: dict[str, Period] = {}
    lk = _period(CourtLookup.received_at, flt.by, postgres)
    query = _limit(select(lk, func.count()).select_from(CourtLookup), CourtLookup, user, window).group_by(lk)
    for label, n in db.session.execute(query):
        periods.setdefault(label, Period(label)).lookups = n
    dv = _period(CourtDelivery.received_at, flt.by, postgres)
    query = _limit(select(dv, CourtDelivery.result, func.count()).select_from(CourtDelivery), CourtDelivery, user,
                   window).group_by(dv, CourtDelivery.result)
    for label, result, n in db.session.execute(query):
        p = periods.setdefault(label, Period(label))
        p.feedbacks += n
        if result == SERVED:
            p.served += n
        else:
            p.unserved += n
    return Stats(flt, [periods[k] for k in sorted(periods)], unserved_entities(user, limit=entity_limit))


def unserved_entities(user: User, *, limit: int = 500) -> list[tuple[MarketEntity, int, date | None]]:
    """The entities of the area with at least one unserved case (today), most cases first."""
    latest = (select(CourtDelivery.case_id, func.max(CourtDelivery.served_on).label("day"))
              .where(CourtDelivery.result == UNSERVED).group_by(CourtDelivery.case_id).subquery())
    query = (select(MarketEntity, func.count(CourtCase.id), func.max(latest.c.day))
             .join(CourtCase, CourtCase.entity_id == MarketEntity.id)
             .join(latest, latest.c.case_id == CourtCase.id)
             .where(CourtCase.status == UNSERVED)
             .group_by(MarketEntity.id).order_by(func.count(CourtCase.id).desc(), MarketEntity.id).limit(limit))
    return [(e, n, _day(d)) for e, n, d in db.session.execute(scope_entities(query, user))]


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
