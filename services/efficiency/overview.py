"""业务办理总览 (seed 004 §7.1): by department (机关总览) or by process (业务功能分类总览).

办理量 of a period = work items completed (``done_at``) in it; 在办 = open now; 超期 = open and
past an active 效能规则.  Each figure is one GROUP BY over ``work_item`` restricted to the
departments the user sees, read from the covering indexes of models/efficiency.py: the four
periods in one pass (conditional sums over ``done_at >= earliest start``), the open and 超期
counts in a second, the trend (per China day of the custom period) and the distribution in a
third.  No row is loaded into Python but the grouped counts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, case, func, select

from models import Department, User, WorkItem, db
from models.workflow import WorkItemStatus
from persistence.workdays import CalendarNotCovered
from services.efficiency import rules
from services.efficiency.access import visible_ids
from services.efficiency.periods import Period, standard_periods
from workflows.registry import PROCESSES

GROUPS = {"department": "办理部门", "process": "业务功能"}
MAX_TREND_DAYS = 400


@dataclass
class Row:
    key: int
    name: str
    counts: list[int]
    open: int = 0
    overdue: int = 0
    group: str = "department"

    @property
    def filter(self) -> dict[str, int]:
        """The list filter of this row (services/efficiency/work.Filters)."""
        return {self.group: self.key}


@dataclass
class Overview:
    group: str
    periods: list[Period]
    rows: list[Row]
    trend: list[tuple[str, int]] = field(default_factory=list)
    # 业务分布 (by process) on the department overview, 部门分布 on the process one.
    distribution: list[tuple[str, int]] = field(default_factory=list)
    calendar_error: str = ""

    @property
    def other(self) -> str:
        return "process" if self.group == "department" else "department"

    @property
    def totals(self) -> list[int]:
        return [sum(r.counts[i] for r in self.rows) for i in range(len(self.periods))]

    @property
    def total_open(self) -> int:
        return sum(r.open for r in self.rows)

    @property
    def total_overdue(self) -> int:
        return sum(r.overdue for r in self.rows)


def group_column(group: str) -> Any:
    return WorkItem.process_table if group == "process" else WorkItem.department_id


def names_of(group: str, keys: set[int]) -> dict[int, str]:
    if group == "process":
        return {k: (f"表{k} {PROCESSES[k].title}" if k in PROCESSES else f"表{k}") for k in keys}
    if not keys:
        return {}
    return dict(db.session.execute(select(Department.id, Department.name).where(Department.id.in_(keys))).all())


def china_day(column: Any) -> Any:
    """The China day (YYYY-MM-DD) of a stored UTC time, in SQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(column + func.make_interval(0, 0, 0, 0, 8), "YYYY-MM-DD")
    return func.strftime("%Y-%m-%d", column, "+8 hours")


def _period_counts(user: User, group: str, periods: list[Period]) -> dict[int, list[int]]:
    col = group_column(group)
    earliest = min(p.start for p in periods)
    sums = [func.sum(case((and_(WorkItem.done_at >= p.start, WorkItem.done_at < p.end), 1), else_=0)) for p in periods]
    query = (select(col, *sums).where(WorkItem.done_at >= earliest, WorkItem.department_id.in_(visible_ids(user)))
             .group_by(col))
    return {row[0]: [int(n or 0) for n in row[1:]] for row in db.session.execute(query)}


def _open_counts(user: User, group: str, overdue: Any) -> dict[int, tuple[int, int]]:
    col = group_column(group)
    query = (select(col, func.count(), func.sum(case((overdue, 1), else_=0)))
             .where(WorkItem.status == WorkItemStatus.OPEN, WorkItem.department_id.in_(visible_ids(user)))
             .group_by(col))
    return {row[0]: (int(row[1]), int(row[2] or 0)) for row in db.session.execute(query)}


def trend_and_distribution(user: User, other: str, period: Period) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Completed items of ``period`` per China day (every day listed, zeros included) and by
    ``other`` (largest first): one GROUP BY (day, other) read from the covering index, summed
    both ways here (at most days × departments or processes rows)."""
    day, col = china_day(WorkItem.done_at), group_column(other)
    query = (select(day, col, func.count()).where(WorkItem.done_at >= period.start, WorkItem.done_at < period.end,
                                                  WorkItem.department_id.in_(visible_ids(user)))
             .group_by(day, col))
    per_day: dict[str, int] = defaultdict(int)
    per_key: dict[int, int] = defaultdict(int)
    for when, key, n in db.session.execute(query):
        per_day[when] += int(n)
        if key is not None:
            per_key[key] += int(n)
    days = min((period.last - period.first).days + 1, MAX_TREND_DAYS)
    labels = [(period.first + timedelta(days=i)).isoformat() for i in range(days)]
    line = [(label, per_day.get(label, 0)) for label in labels]
    names = names_of(other, set(per_key))
    spread = sorted(((names.get(k, "（未知）"), n) for k, n in per_key.items()), key=lambda x: (-x[1], x[0]))
    return line, spread


def overview(user: User, group: str, custom: Period) -> Overview:
    group = group if group in GROUPS else "department"
    periods = [*standard_periods(), custom]
    counts = _period_counts(user, group, periods)
    error = ""
    try:
        overdue = rules.overdue_condition(rules.cutoffs(user))
    except CalendarNotCovered as exc:
        error, overdue = exc.message, rules.overdue_condition([])
    opened = _open_counts(user, group, overdue)
    keys = set(counts) | set(opened)
    names = names_of(group, {k for k in keys if k is not None})
    rows = [Row(k, names.get(k, "（未知）"), counts.get(k, [0] * len(periods)), *opened.get(k, (0, 0)), group)
            for k in keys if k is not None]
    rows.sort(key=lambda r: (-r.counts[-1] - r.open, r.name))
    other = "process" if group == "department" else "department"
    line, spread = trend_and_distribution(user, other, custom)
    return Overview(group, periods, rows, line, spread, error)


def chart_data(rep: Overview) -> dict[str, Any]:
    """ECharts data: the trend of the custom period and the distribution of its 办理量."""
    return {
        "days": [d for d, _ in rep.trend],
        "trend": [n for _, n in rep.trend],
        "distribution": [{"name": name, "value": n} for name, n in rep.distribution],
        "title": "业务分布" if rep.group == "department" else "部门分布",
    }
