"""一业一评: one industry's 部门联合抽查 of one plan year, in the user's area (docs/industry.md).

The joint inspections of industry X in year Y are the tasks of 部门联合 plans of 计划年度 Y whose
item carries an ``industry_code`` of section X (一业一单), run by a department of the user's area
(its 区 or 市, ``persistence.org.region_root``) and dispatched at least (results being gathered).
Every figure is one set-based query over those tasks: no query per task or per record.

- 抽查事项: the distinct items of the tasks;
- 抽查对象: drawn objects still on the list; 已检查对象: objects with a published record;
- 检查结果: the published records (已公示) by result category (seed 001's categories);
- 常见问题: the problems most often found.  A record's A.3.1 rows (检查项目 / 检查结果) are the only
  structured trace of what was wrong, so a problem is a 检查项目 whose 检查结果 is not a
  conforming answer (``CONFORMING``) on a published record with a problem result
  (``ResultCategory.is_problem``); a problem record none of whose rows says what was wrong counts
  under its result category's label.  Each problem counts records (户次), not rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, distinct, exists, func, select
from sqlalchemy.orm import joinedload, selectinload

from infrastructure.errors import Invalid, NotFound
from models import (
    CheckItem,
    Department,
    InspectionRecord,
    InspectionRecordLine,
    Plan,
    RecordStatus,
    Task,
    TaskObject,
    User,
    db,
)
from models.inspections import PROBLEM_RESULTS, ResultCategory
from models.items import CheckItemPart, ItemStatus
from models.plans import PlanKind
from persistence.org import region_root
from persistence.scope import subtree_ids
from services.deadlines import RESULT_STATUSES
from services.entity_fields import INDUSTRY_SECTIONS

# 检查结果 answers of an A.3.1 row that mean "nothing wrong here" (compared trimmed).
CONFORMING = ("符合", "符合要求", "符合规定", "合格", "正常", "是", "有", "已公示", "未发现问题", "无问题", "无",
              "不涉及", "不适用", "/", "—", "-", "")
TOP_PROBLEMS = 10
MIN_YEAR, MAX_YEAR = 2000, 2200


@dataclass(frozen=True)
class Key:
    """One industry (门类 letter) and one 计划年度."""

    industry: str
    year: int

    @property
    def industry_name(self) -> str:
        return INDUSTRY_SECTIONS[self.industry][0]

    @property
    def label(self) -> str:
        return f"{self.industry} {self.industry_name}"


def parse_key(industry: str | None, year: str | int | None) -> Key:
    code = (industry or "").strip().upper()
    if not code:
        raise Invalid("请选择行业", field="industry")
    if code not in INDUSTRY_SECTIONS:
        raise Invalid("行业应为国民经济行业门类（A–T）", field="industry")
    text = str(year if year is not None else "").strip()
    if not text:
        raise Invalid("请选择年度", field="year")
    if not text.isdigit() or not MIN_YEAR <= int(text) <= MAX_YEAR:
        raise Invalid("年度不正确", field="year")
    return Key(code, int(text))


@dataclass(frozen=True)
class Problem:
    name: str  # 检查项目, or a result category's label
    records: int  # 户次


@dataclass(frozen=True)
class TaskRow:
    id: int
    name: str
    department: str
    status: str
    objects: int
    published: int


@dataclass
class Evaluation:
    key: Key
    area: str
    tasks: list[TaskRow]
    items: list[CheckItem]
    objects: int
    inspected_objects: int
    records: int  # published records
    problem_records: int
    departments: list[str]
    categories: list[tuple[str, int]]
    problems: list[Problem] = field(default_factory=list)

    @property
    def problem_rate(self) -> str:
        return f"{self.problem_records * 100 / self.records:.1f}%" if self.records else "—"

    @property
    def title(self) -> str:
        return f"{self.key.year}年度{self.key.industry_name}双随机“一业一查”一业一评"


def area_of(user: User) -> Department:
    return region_root(user.department)


def task_ids(area: Department, key: Key) -> Select[Any]:
    """The joint tasks of the industry and year in ``area`` (a subquery of ids)."""
    return (
        select(Task.id)
        .join(Plan, Plan.id == Task.plan_id)
        .join(CheckItem, CheckItem.id == Task.item_id)
        .where(
            Plan.kind == PlanKind.JOINT,
            Plan.year == key.year,
            CheckItem.industry_code.startswith(key.industry),
            Task.department_id.in_(subtree_ids(area)),
            Task.status.in_(RESULT_STATUSES),
        )
    )


def _published(ids: Select[Any]) -> list[Any]:
    return [InspectionRecord.task_id.in_(ids), InspectionRecord.status == RecordStatus.PUBLISHED]


def _task_rows(ids: Select[Any]) -> list[TaskRow]:
    objects = (
        select(TaskObject.task_id, func.count().label("n"))
        .where(TaskObject.task_id.in_(ids), TaskObject.removed.is_(False))
        .group_by(TaskObject.task_id)
        .subquery()
    )
    published = (
        select(InspectionRecord.task_id, func.count().label("n"))
        .where(*_published(ids))
        .group_by(InspectionRecord.task_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Task.id, Task.name, Department.name, Task.status, objects.c.n, published.c.n)
        .join(Department, Department.id == Task.department_id)
        .outerjoin(objects, objects.c.task_id == Task.id)
        .outerjoin(published, published.c.task_id == Task.id)
        .where(Task.id.in_(ids))
        .order_by(Task.start_date, Task.id)
    )
    return [TaskRow(i, name, dept, status.label, int(n or 0), int(p or 0)) for i, name, dept, status, n, p in rows]


def common_problems(ids: Select[Any], limit: int = TOP_PROBLEMS) -> list[Problem]:
    """The problems most often found on the tasks ``ids`` (see the module's docstring)."""
    problem_record = [*_published(ids), InspectionRecord.result.in_([ResultCategory(v) for v in PROBLEM_RESULTS])]
    flagged = func.trim(InspectionRecordLine.outcome).not_in(CONFORMING)
    name = func.trim(InspectionRecordLine.check_item)
    by_line = db.session.execute(
        select(name, func.count(distinct(InspectionRecord.id)))
        .join(InspectionRecord, InspectionRecord.id == InspectionRecordLine.record_id)
        .where(*problem_record, flagged, name != "")
        .group_by(name)
    ).all()
    has_flagged = exists().where(
        InspectionRecordLine.record_id == InspectionRecord.id, flagged, func.trim(InspectionRecordLine.check_item) != ""
    )
    by_result = db.session.execute(
        select(InspectionRecord.result, func.count())
        .where(*problem_record, ~has_flagged)
        .group_by(InspectionRecord.result)
    ).all()
    problems = [Problem(str(n), int(c)) for n, c in by_line]
    problems += [Problem(r.label, int(c)) for r, c in by_result]
    problems.sort(key=lambda p: (-p.records, p.name))
    return problems[:limit]


def industry_items(area: Department, industry: str, ids: Select[Any] | None = None) -> list[CheckItem]:
    """The items of the tasks ``ids``, or (no ids) the industry's published items of the area."""
    query = select(CheckItem).options(
        selectinload(CheckItem.parts).joinedload(CheckItemPart.department), joinedload(CheckItem.department)
    )
    if ids is not None:
        query = query.where(CheckItem.id.in_(select(Task.item_id).where(Task.id.in_(ids))))
    else:
        query = query.where(
            CheckItem.status == ItemStatus.PUBLISHED,
            CheckItem.industry_code.startswith(industry),
            CheckItem.department_id.in_(subtree_ids(area)),
        )
    return list(db.session.execute(query.order_by(CheckItem.kind, CheckItem.name, CheckItem.id)).scalars())


def evaluate(user: User, key: Key) -> Evaluation:
    """The 一业一评 of ``key`` in the user's area; NotFound when it had no joint inspection."""
    area = area_of(user)
    ids = task_ids(area, key)
    tasks = _task_rows(ids)
    if not tasks:
        raise NotFound(f"{area.name}{key.year}年度{key.label}没有已派发的部门联合抽查任务，无法生成一业一评")
    counts = dict(db.session.execute(
        select(InspectionRecord.result, func.count()).where(*_published(ids)).group_by(InspectionRecord.result)
    ).all())
    categories = [(c.label, int(counts[c])) for c in ResultCategory if counts.get(c)]
    problem_records = sum(int(n) for c, n in counts.items() if c is not None and c.is_problem)
    inspected = db.session.execute(
        select(func.count(distinct(InspectionRecord.task_object_id))).where(*_published(ids))
    ).scalar_one()
    departments = list(db.session.execute(
        select(Department.name).where(Department.id.in_(
            select(InspectionRecord.department_id).where(*_published(ids))
        )).order_by(Department.path)
    ).scalars())
    return Evaluation(
        key=key, area=area.name, tasks=tasks, items=industry_items(area, key.industry, ids),
        objects=sum(t.objects for t in tasks), inspected_objects=int(inspected),
        records=sum(n for _, n in categories), problem_records=problem_records, departments=departments,
        categories=categories, problems=common_problems(ids),
    )


@dataclass(frozen=True)
class OverviewRow:
    key: Key
    tasks: int
    records: int


def overview(user: User) -> list[OverviewRow]:
    """Every industry and year of the area that has joint inspections: one GROUP BY."""
    area = area_of(user)
    section = func.upper(func.substr(CheckItem.industry_code, 1, 1))
    published = (
        select(InspectionRecord.task_id, func.count().label("n"))
        .where(InspectionRecord.status == RecordStatus.PUBLISHED)
        .group_by(InspectionRecord.task_id)
        .subquery()
    )
    rows = db.session.execute(
        select(section, Plan.year, func.count(distinct(Task.id)), func.coalesce(func.sum(published.c.n), 0))
        .select_from(Task)
        .join(Plan, Plan.id == Task.plan_id)
        .join(CheckItem, CheckItem.id == Task.item_id)
        .outerjoin(published, published.c.task_id == Task.id)
        .where(
            Plan.kind == PlanKind.JOINT,
            CheckItem.industry_code != "",
            Task.department_id.in_(subtree_ids(area)),
            Task.status.in_(RESULT_STATUSES),
        )
        .group_by(section, Plan.year)
        .order_by(Plan.year.desc(), section)
    )
    return [OverviewRow(Key(s, int(y)), int(t), int(n)) for s, y, t, n in rows if s in INDUSTRY_SECTIONS]
