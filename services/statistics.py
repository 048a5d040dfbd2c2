"""抽查统计 (issue 5 item 8): drawn, inspected, published and overdue results per plan, task or
填报部门, and the results by category — over the user's department subtree.

The unit is the expected result (services/deadlines.expected_results): a drawn object still
on the list × a 填报部门 of its task.  For each group:

- 抽取对象: distinct drawn objects;
- 应录入结果: expected results (an object inspected by two departments of a joint task counts
  twice);
- 已检查: results entered and handed in (record 已提交, 审核通过 or 已公示);
- 已公示: records 已公示;
- 逾期未公示: not 已公示 and past the 20-working-day deadline (one bound on ``Task.end_date``).

Each figure is one GROUP BY (the table, the totals, the categories): no query per row.  The
year filter is the plan's year (计划年度).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import case, func, literal, select

from infrastructure.errors import Invalid
from models import Department, InspectionRecord, Plan, RecordStatus, Task, User, db
from models.inspections import ResultCategory
from persistence.scope import subtree_ids
from persistence.workdays import CalendarNotCovered
from services import deadlines

INSPECTED = (RecordStatus.SUBMITTED, RecordStatus.APPROVED, RecordStatus.PUBLISHED)
GROUPS = {"plan": "抽查计划", "task": "抽查任务", "department": "填报部门"}
COLUMNS = ("抽取对象", "应录入结果", "已检查", "已公示", "逾期未公示")


@dataclass
class Filters:
    group: str = "department"
    year: int | None = None
    plan_id: int | None = None
    department_id: int | None = None

    def args(self) -> dict[str, Any]:
        out: dict[str, Any] = {"group": self.group}
        if self.year:
            out["year"] = self.year
        if self.plan_id:
            out["plan"] = self.plan_id
        if self.department_id:
            out["department"] = self.department_id
        return out


def _int(value: str | None, title: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 9:
        raise Invalid(f"{title}不正确")
    return int(value)


def parse_filters(args: Any) -> Filters:
    group = (args.get("group") or "department").strip()
    if group not in GROUPS:
        raise Invalid("统计口径不正确")
    year = _int(args.get("year"), "年度")
    if year is not None and not 2000 <= year <= 2200:
        raise Invalid("年度不正确")
    return Filters(group, year, _int(args.get("plan"), "抽查计划"), _int(args.get("department"), "部门"))


@dataclass(frozen=True)
class Row:
    key: int | None
    name: str
    drawn: int
    expected: int
    inspected: int
    published: int
    overdue: int | None  # None when the deadline cannot be computed

    def values(self) -> tuple[Any, ...]:
        return (self.drawn, self.expected, self.inspected, self.published, self.overdue)


@dataclass
class Report:
    filters: Filters
    rows: list[Row]
    total: Row
    categories: list[tuple[str, int]]
    on: date
    calendar_error: str = ""
    departments: list[Department] = field(default_factory=list)
    plans: list[Plan] = field(default_factory=list)


def _base(user: User, filters: Filters) -> tuple[Any, Any]:
    query, parts, _ = deadlines.expected_results()
    query = deadlines.scope_parts(query, parts, user)
    if filters.year or filters.plan_id:
        query = query.join(Plan, Plan.id == Task.plan_id)
        if filters.year:
            query = query.where(Plan.year == filters.year)
        if filters.plan_id:
            query = query.where(Plan.id == filters.plan_id)
    if filters.department_id:
        # Any department narrows the scoped rows (an initiator filters by a participant).
        department = db.session.get(Department, filters.department_id)
        if department is None:
            raise Invalid("所选部门不存在")
        query = query.where(parts.c.department_id.in_(subtree_ids(department)))
    return query, parts


def _figures(overdue_bound: date | None) -> list[Any]:
    """Per task × 填报部门: expected results (= the task's drawn objects, each pair being
    unique), inspected, published, overdue."""
    inspected = InspectionRecord.status.in_(INSPECTED)
    published = InspectionRecord.status == RecordStatus.PUBLISHED
    overdue: Any = (
        func.sum(case(((deadlines.unpublished()) & (Task.end_date <= overdue_bound), 1), else_=0))
        if overdue_bound is not None
        else literal(0)
    )
    return [
        func.count(),
        func.sum(case((inspected, 1), else_=0)),
        func.sum(case((published, 1), else_=0)),
        overdue,
    ]


class _Sum:
    __slots__ = ("key", "name", "drawn", "expected", "inspected", "published", "overdue", "tasks")

    def __init__(self, key: Any, name: str) -> None:
        self.key, self.name = key, name
        self.drawn = self.expected = self.inspected = self.published = self.overdue = 0
        self.tasks: set[int] = set()

    def add(self, task_id: int, n: int, inspected: int, published: int, overdue: int, *, per_department: bool) -> None:
        # A task's objects are drawn once however many departments report on them.
        if per_department or task_id not in self.tasks:
            self.drawn += n
            self.tasks.add(task_id)
        self.expected += n
        self.inspected += inspected
        self.published += published
        self.overdue += overdue

    def row(self, with_overdue: bool) -> Row:
        return Row(self.key, self.name, self.drawn, self.expected, self.inspected, self.published,
                   self.overdue if with_overdue else None)


def report(user: User, filters: Filters, on: date | None = None) -> Report:
    """One GROUP BY per task × 填报部门 (at most tasks × departments rows) folded into the
    chosen grouping and the totals, and one GROUP BY for the result categories."""
    on = on or deadlines.today()
    error = ""
    try:
        bound: date | None = deadlines.bounds(on).overdue
    except CalendarNotCovered as exc:
        bound, error = None, exc.message
    with_overdue = bound is not None
    query, parts = _base(user, filters)
    if not (filters.year or filters.plan_id):
        query = query.join(Plan, Plan.id == Task.plan_id)
    query = query.join(Department, Department.id == parts.c.department_id)
    keys = [Task.id, Task.name, Plan.id, Plan.name, Department.id, Department.name]
    grouped = query.add_columns(*keys, *_figures(bound)).group_by(*keys)

    groups: dict[Any, _Sum] = {}
    total = _Sum(None, "合计")
    per_department = filters.group == "department"
    for task_id, task_name, plan_id, plan_name, dept_id, dept_name, n, insp, pub, over in db.session.execute(grouped):
        if filters.group == "plan":
            key, name = plan_id, plan_name
        elif filters.group == "task":
            key, name = task_id, task_name
        else:
            key, name = dept_id, dept_name
        acc = groups.get(key)
        if acc is None:
            acc = groups[key] = _Sum(key, name)
        figures = (int(n), int(insp or 0), int(pub or 0), int(over or 0))
        acc.add(task_id, *figures, per_department=per_department)
        total.add(task_id, *figures, per_department=False)
    rows = sorted((g.row(with_overdue) for g in groups.values()), key=lambda r: (r.name, r.key))

    # The result categories of the same rows: records with a result handed in.
    cat_query = (
        query.add_columns(InspectionRecord.result, func.count())
        .where(InspectionRecord.status.in_(INSPECTED), InspectionRecord.result.is_not(None))
        .group_by(InspectionRecord.result)
    )
    counts = {result: n for result, n in db.session.execute(cat_query)}
    categories = [(c.label, counts[c]) for c in ResultCategory if counts.get(c)]
    return Report(filters, rows, total.row(with_overdue), categories, on, error)


def filter_choices(user: User, filters: Filters) -> tuple[list[Department], list[Plan]]:
    """The departments of the user's subtree and those reporting on its tasks, and the plans it
    can see, for the filter form."""
    mine = subtree_ids(user.department)
    parts = deadlines.reporting_parts()
    reporting = select(parts.c.department_id).join(Task, Task.id == parts.c.task_id).where(Task.department_id.in_(mine))
    departments = list(
        db.session.execute(
            select(Department)
            .where((Department.id.in_(mine) & Department.active.is_(True)) | Department.id.in_(reporting))
            .order_by(Department.path)
        ).scalars()
    )
    plan_query = select(Plan).where(Plan.department_id.in_(mine)).order_by(Plan.year.desc(), Plan.id.desc())
    if filters.year:
        plan_query = plan_query.where(Plan.year == filters.year)
    plans = list(db.session.execute(plan_query.limit(500)).scalars())
    return departments, plans


def chart_data(rep: Report, limit: int = 30) -> dict[str, Any]:
    """The ECharts options' data (static/js/statistics.js draws them; CSP forbids inline script)."""
    rows = rep.rows[:limit]
    return {
        "names": [r.name for r in rows],
        "series": [
            {"name": "应录入结果", "data": [r.expected for r in rows]},
            {"name": "已检查", "data": [r.inspected for r in rows]},
            {"name": "已公示", "data": [r.published for r in rows]},
            {"name": "逾期未公示", "data": [r.overdue or 0 for r in rows]},
        ],
        "categories": [{"name": n, "value": v} for n, v in rep.categories],
    }


def export_rows(rep: Report) -> list[list[Any]]:
    out: list[list[Any]] = []
    for r in [*rep.rows, rep.total]:
        out.append([r.name, r.drawn, r.expected, r.inspected, r.published, "" if r.overdue is None else r.overdue])
    return out
