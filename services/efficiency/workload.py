"""业务效能评估 (seed 004 §7.3): 业务工作量, 超期业务预警, 业务平均耗时, 办结业务统计 and
办理动态统计, by 监管部门, 实施日期, 业务类型 or 监管人员.

The work of a period is the work items created in it (``created_at``, China days); of those,
已办结 = completed (``done_at``), 办理中 = still open, 超期 = open and past an active 效能规则,
and 平均耗时 = the mean of completion minus creation, in hours, over the completed ones.
One GROUP BY over ``work_item`` (index ``ix_work_item_created_cover``); each figure links to
its list (services/efficiency/work.py) with the same filters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, extract, func, select

from models import Department, User, WorkItem, db
from models.workflow import WorkItemStatus
from persistence.workdays import CalendarNotCovered
from services.efficiency import rules
from services.efficiency.access import visible_ids
from services.efficiency.overview import china_day, names_of
from services.efficiency.periods import Period
from services.efficiency.work import officer_column

DIMENSIONS = {"department": "监管部门", "date": "实施日期", "process": "业务类型", "officer": "监管人员"}
COLUMNS = ("工作量", "已办结", "办理中", "超期", "平均耗时（小时）")


@dataclass
class Row:
    key: Any
    name: str
    total: int
    done: int
    open: int
    overdue: int
    hours: float | None

    def link_args(self, dimension: str) -> dict[str, Any]:
        """The list filters of this row (services/efficiency/work.Filters)."""
        if dimension == "date":
            return {"from": self.key, "to": self.key}
        name = {"department": "department", "process": "process", "officer": "officer"}[dimension]
        return {name: self.key}


@dataclass
class Workload:
    dimension: str
    period: Period
    rows: list[Row]
    calendar_error: str = ""

    def total(self, name: str) -> int:
        return sum(getattr(r, name) for r in self.rows)

    @property
    def hours(self) -> float | None:
        done = [(r.hours, r.done) for r in self.rows if r.hours is not None and r.done]
        count = sum(n for _, n in done)
        return round(sum(h * n for h, n in done) / count, 1) if count else None


def _hours() -> Any:
    if db.session.get_bind().dialect.name == "postgresql":
        return extract("epoch", WorkItem.done_at - WorkItem.created_at) / 3600.0
    return (func.julianday(WorkItem.done_at) - func.julianday(WorkItem.created_at)) * 24.0


def _key(dimension: str) -> Any:
    if dimension == "date":
        return china_day(WorkItem.created_at)
    if dimension == "process":
        return WorkItem.process_table
    if dimension == "officer":
        return officer_column()
    return WorkItem.department_id


def _names(dimension: str, keys: set[Any]) -> dict[Any, str]:
    if dimension == "date":
        return {k: str(k) for k in keys}
    if dimension == "officer":
        found = db.session.execute(select(User.id, User.name, Department.name).join(User.department)
                                   .where(User.id.in_(keys))).all() if keys else []
        return {i: f"{name}（{dept}）" for i, name, dept in found}
    return names_of(dimension, keys)


def workload(user: User, dimension: str, period: Period) -> Workload:
    dimension = dimension if dimension in DIMENSIONS else "department"
    error = ""
    try:
        overdue = rules.overdue_condition(rules.cutoffs(user))
    except CalendarNotCovered as exc:
        error, overdue = exc.message, rules.overdue_condition([])
    key = _key(dimension)
    done = WorkItem.done_at.is_not(None)
    query = (select(key, func.count(), func.sum(case((done, 1), else_=0)),
                    func.sum(case((WorkItem.status == WorkItemStatus.OPEN, 1), else_=0)),
                    func.sum(case((overdue, 1), else_=0)), func.avg(case((done, _hours()), else_=None)))
             .where(WorkItem.created_at >= period.start, WorkItem.created_at < period.end,
                    WorkItem.status != WorkItemStatus.CANCELLED, WorkItem.department_id.in_(visible_ids(user)))
             .group_by(key))
    found = [tuple(r) for r in db.session.execute(query) if r[0] is not None]
    names = _names(dimension, {r[0] for r in found})
    rows = [Row(k, names.get(k, "（未知）"), int(n), int(d or 0), int(o or 0), int(late or 0),
                None if hours is None else round(float(hours), 1)) for k, n, d, o, late, hours in found]
    rows.sort(key=(lambda r: r.key) if dimension == "date" else (lambda r: (-r.total, r.name)))
    return Workload(dimension, period, rows, error)


def chart_data(rep: Workload) -> dict[str, Any]:
    return {"names": [r.name for r in rep.rows],
            "series": [{"name": "已办结", "data": [r.done for r in rep.rows]},
                       {"name": "办理中", "data": [r.open for r in rep.rows]},
                       {"name": "超期", "data": [r.overdue for r in rep.rows]}]}
