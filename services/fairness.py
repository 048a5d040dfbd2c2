"""公平性监测: how often each entity and each inspector was drawn, year by year (docs/chapters.md, 公平性监测:
"some are always drawn, some never").

Counts come from the department subtree's tasks: an entity is drawn once per task whose
objects (``TaskObject``, not removed) name it; an inspector once per task whose team drew them
(``TeamMember`` with source 随机抽取, replaced later or not).  Entities of the subtree's object
directories never drawn in N years are one NOT EXISTS query, paged.  Inspectors far from the
mean (see ``RULE``) are flagged among those who could be drawn today (the draw's own rule).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, exists, extract, func, select

from infrastructure import clock
from models import (
    DirectoryMember,
    Inspector,
    MarketEntity,
    MemberSource,
    ObjectDirectory,
    Task,
    TaskObject,
    TeamMember,
    User,
    db,
)
from models.roles import Role
from persistence.scope import subtree_ids
from services.inspector_search import drawable_on

VIEW_ROLES = (Role.CLERK, Role.DEPT_LEADER)
PER_PAGE = 20
DEFAULT_YEARS = 3
MAX_YEARS = 20
SIGMAS = 2
HIGH_RATIO = 2.0
LOW_RATIO = 0.5
RULE = (
    f"以近N年抽中次数计：偏高——抽中次数高于平均数加{SIGMAS}倍标准差，或超过平均数的{HIGH_RATIO:g}倍；"
    f"偏低——抽中次数低于平均数减{SIGMAS}倍标准差，或不足平均数的{LOW_RATIO:g}倍（平均数为0时不判定）"
)


def can_view(user: User) -> bool:
    return user.has_role(*VIEW_ROLES)


def since_date(years: int, today: date | None = None) -> date:
    today = today or clock.china_today()
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def parse_years(raw: object) -> int:
    try:
        years = int(str(raw))
    except (TypeError, ValueError):
        return DEFAULT_YEARS
    return min(max(years, 1), MAX_YEARS)


@dataclass
class Row:
    ident: int
    name: str
    by_year: dict[int, int] = field(default_factory=dict)
    flag: str = ""  # "high" / "low" / ""

    @property
    def total(self) -> int:
        return sum(self.by_year.values())


@dataclass
class Frequency:
    years: list[int]
    rows: list[Row]
    total: int
    page: int
    pages: int
    # Inspectors: tasks that drew each in the window, their mean and standard deviation.
    recent: dict[int, int] = field(default_factory=dict)
    mean: float = 0.0
    sd: float = 0.0


def _tasks(user: User):  # noqa: ANN202 - a where clause
    return Task.department_id.in_(subtree_ids(user.department))


def entity_frequency(user: User, page: int = 1) -> Frequency:
    """Entities drawn in the subtree's tasks, most drawn first, with counts per year."""
    year = extract("year", Task.start_date)
    drawn = (
        select(TaskObject.entity_id.label("entity_id"), year.label("year"), func.count(func.distinct(Task.id)).label("n"))
        .join(Task, Task.id == TaskObject.task_id)
        .where(_tasks(user), TaskObject.removed.is_(False), TaskObject.entity_id.is_not(None))
        .group_by(TaskObject.entity_id, year)
        .subquery()
    )
    totals = (
        select(drawn.c.entity_id, func.sum(drawn.c.n).label("total"))
        .group_by(drawn.c.entity_id)
        .subquery()
    )
    count = db.session.execute(select(func.count()).select_from(totals)).scalar_one()
    pages = max(1, math.ceil(count / PER_PAGE))
    page = min(max(page, 1), pages)
    top = list(
        db.session.execute(
            select(totals.c.entity_id, MarketEntity.name)
            .join(MarketEntity, MarketEntity.id == totals.c.entity_id)
            .order_by(totals.c.total.desc(), MarketEntity.name, totals.c.entity_id)
            .offset((page - 1) * PER_PAGE)
            .limit(PER_PAGE)
        )
    )
    rows = {ident: Row(ident, name) for ident, name in top}
    if rows:
        for ident, yr, n in db.session.execute(
            select(drawn.c.entity_id, drawn.c.year, drawn.c.n).where(drawn.c.entity_id.in_(list(rows)))
        ):
            rows[ident].by_year[int(yr)] = int(n)
    years = sorted({y for r in rows.values() for y in r.by_year})
    return Frequency(years, list(rows.values()), count, page, pages)


def inspector_frequency(user: User, years: int = DEFAULT_YEARS, today: date | None = None) -> Frequency:
    """Every inspector who could be drawn in the subtree today (the draw's own rule,
    inspector_search.drawable_on: 在岗, 双随机检查权限, valid 执法证, an active account), with the
    tasks that drew them per year, flagged against the mean of the last ``years`` years.  Those
    who cannot be drawn are left out: their zero would pull the mean down and flag them 偏低."""
    since = since_date(years, today)
    year = extract("year", Task.start_date)
    counts = db.session.execute(
        select(TeamMember.inspector_id, year, func.count(func.distinct(Task.id)))
        .join(Task, Task.id == TeamMember.task_id)
        .join(Inspector, Inspector.id == TeamMember.inspector_id)
        .where(
            Inspector.department_id.in_(subtree_ids(user.department)),
            TeamMember.source == MemberSource.DRAWN,
            TeamMember.inspector_id.is_not(None),
        )
        .group_by(TeamMember.inspector_id, year)
    ).all()
    pool = db.session.execute(
        select(Inspector.id, Inspector.name)
        .join(User, User.id == Inspector.user_id)
        .where(Inspector.department_id.in_(subtree_ids(user.department)),
               *drawable_on(today or clock.china_today()))
        .order_by(Inspector.name, Inspector.id)
    ).all()
    rows = {ident: Row(ident, name) for ident, name in pool}
    recent: dict[int, int] = {ident: 0 for ident in rows}
    for ident, yr, n in counts:
        if ident not in rows:
            continue
        rows[ident].by_year[int(yr)] = int(n)
    window = db.session.execute(
        select(TeamMember.inspector_id, func.count(func.distinct(Task.id)))
        .join(Task, Task.id == TeamMember.task_id)
        .where(
            TeamMember.inspector_id.in_(list(rows) or [-1]),
            TeamMember.source == MemberSource.DRAWN,
            Task.start_date >= since,
        )
        .group_by(TeamMember.inspector_id)
    ).all()
    for ident, n in window:
        recent[ident] = int(n)
    mean, sd = flag_outliers(rows, recent)
    ordered = sorted(rows.values(), key=lambda r: (-recent[r.ident], r.name, r.ident))
    all_years = sorted({y for r in ordered for y in r.by_year})
    return Frequency(all_years, ordered, len(ordered), 1, 1, recent, mean, sd)


def outlier(count: int, mean: float, sd: float) -> str:
    if mean <= 0:
        return ""
    if count > mean + SIGMAS * sd or count > HIGH_RATIO * mean:
        return "high"
    if count < mean - SIGMAS * sd or count < LOW_RATIO * mean:
        return "low"
    return ""


def stats(values: list[int]) -> tuple[float, float]:
    """Mean and population standard deviation."""
    if not values:
        return 0.0, 0.0
    mean = sum(values) / len(values)
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))


def flag_outliers(rows: dict[int, Row], recent: dict[int, int]) -> tuple[float, float]:
    mean, sd = stats([recent[i] for i in rows])
    for ident, row in rows.items():
        row.flag = outlier(recent[ident], mean, sd)
    return mean, sd


@dataclass
class NeverPage:
    rows: list[tuple[int, str, str]]  # entity id, name, uscc
    page: int
    has_next: bool


def never_drawn(user: User, years: int = DEFAULT_YEARS, page: int = 1, today: date | None = None) -> NeverPage:
    """Entities in the subtree's object directories that no task of the subtree drew since
    ``years`` years ago: one query with NOT EXISTS, keyed by entity, paged (one row more than
    a page tells whether there is a next one, without counting)."""
    since = since_date(years, today)
    page = max(page, 1)
    in_directories = exists().where(
        DirectoryMember.entity_id == MarketEntity.id,
        DirectoryMember.directory_id == ObjectDirectory.id,
        ObjectDirectory.department_id.in_(subtree_ids(user.department)),
    )
    drawn = exists().where(
        and_(
            TaskObject.entity_id == MarketEntity.id,
            TaskObject.removed.is_(False),
            Task.id == TaskObject.task_id,
            Task.department_id.in_(subtree_ids(user.department)),
            Task.start_date >= since,
        )
    )
    found = db.session.execute(
        select(MarketEntity.id, MarketEntity.name, MarketEntity.uscc)
        .where(in_directories, ~drawn)
        .order_by(MarketEntity.id)
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE + 1)
    ).all()
    rows = [(i, n, u or "") for i, n, u in found[:PER_PAGE]]
    return NeverPage(rows, page, len(found) > PER_PAGE)
