"""报表汇总, 报表查询, 报表填报情况统计 (seed 004 §8.2).

The 汇总 of a unit for one period is never stored: it is one set-based statement — SUM of the
number cells grouped by field over the 已报 fillings of the unit's subtree (the department's
materialised path) — and the level below it one more, grouped by child unit as well, so a
unit sees its figures level by level and drills down a level at a time.  Text cells are not
summed.  The 填报情况 per period (应报: 已报 + 未报; 实报: 正常报 + 延迟报) is one GROUP BY over
the fillings below the unit; each figure links to the list of the fillings it counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import aliased

from models import Department, db
from models.reports import FlexReport, ReportSubmission, ReportValue, SubmissionStatus
from services.reports import layout

STATES = ("应报", "已报", "未报", "正常报", "延迟报")


def _submitted(report: FlexReport, period: str) -> Any:
    return and_(ReportSubmission.report_id == report.id, ReportSubmission.period == period,
                ReportSubmission.status == SubmissionStatus.SUBMITTED)


def report_periods(report: FlexReport) -> list[tuple[str, str]]:
    """(key, label) of the report's periods that were assigned, in order."""
    return [(k, label) for k, label in db.session.execute(
        select(ReportSubmission.period, func.min(ReportSubmission.period_label))
        .where(ReportSubmission.report_id == report.id)
        .group_by(ReportSubmission.period).order_by(ReportSubmission.period)).all()]


def default_period(report: FlexReport, keys: list[str]) -> str:
    """The latest period anything was reported for, else the first one."""
    latest = db.session.execute(select(func.max(ReportSubmission.period)).where(
        ReportSubmission.report_id == report.id, ReportSubmission.status == SubmissionStatus.SUBMITTED)).scalar()
    return latest or (keys[0] if keys else "")


def subtree_sums(report: FlexReport, period: str, unit: Department) -> dict[int, Decimal]:
    """field id -> the sum over the 已报 fillings of ``unit`` and everything below it."""
    rows = db.session.execute(
        select(ReportValue.field_id, func.sum(ReportValue.number))
        .join(ReportSubmission, ReportSubmission.id == ReportValue.submission_id)
        .join(Department, Department.id == ReportSubmission.department_id)
        .where(_submitted(report, period), Department.path.startswith(unit.path), ReportValue.number.is_not(None))
        .group_by(ReportValue.field_id)).all()
    return {field_id: Decimal(total) for field_id, total in rows}


def level_sums(report: FlexReport, period: str, unit: Department) -> dict[int, dict[int, Decimal]]:
    """child department id -> field id -> the sum over that child's subtree (the level below
    ``unit``), one statement."""
    child = aliased(Department)
    rows = db.session.execute(
        select(child.id, ReportValue.field_id, func.sum(ReportValue.number))
        .select_from(ReportValue)
        .join(ReportSubmission, ReportSubmission.id == ReportValue.submission_id)
        .join(Department, Department.id == ReportSubmission.department_id)
        .join(child, and_(child.parent_id == unit.id, Department.path.startswith(child.path)))
        .where(_submitted(report, period), ReportValue.number.is_not(None))
        .group_by(child.id, ReportValue.field_id)).all()
    found: dict[int, dict[int, Decimal]] = {}
    for child_id, field_id, total in rows:
        found.setdefault(child_id, {})[field_id] = Decimal(total)
    return found


def rollup(report: FlexReport, period: str, unit: Department) -> dict[int, dict[int, Decimal]]:
    """The 汇总 of every unit of ``unit``'s subtree at once, level by level: one statement sums
    each unit's own reported cells (GROUP BY unit, field), then each unit's figures are added to
    every unit above it within the subtree (its materialised path).  department id -> field id
    -> total of that department's subtree."""
    rows = db.session.execute(
        select(Department.path, ReportValue.field_id, func.sum(ReportValue.number))
        .select_from(ReportValue)
        .join(ReportSubmission, ReportSubmission.id == ReportValue.submission_id)
        .join(Department, Department.id == ReportSubmission.department_id)
        .where(_submitted(report, period), Department.path.startswith(unit.path), ReportValue.number.is_not(None))
        .group_by(Department.path, ReportValue.field_id)).all()
    top = unit.depth - 1  # the index of ``unit`` in a path of its subtree
    totals: dict[int, dict[int, Decimal]] = {}
    for path, field_id, amount in rows:
        for ident in [int(p) for p in path.strip("/").split("/")][top:]:
            cells = totals.setdefault(ident, {})
            cells[field_id] = cells.get(field_id, Decimal(0)) + Decimal(amount)
    return totals


def own_values(report: FlexReport, period: str, unit: Department) -> dict[int, Any]:
    """The unit's own 已报 values (numbers and texts)."""
    rows = db.session.execute(
        select(ReportValue.field_id, ReportValue.number, ReportValue.text)
        .join(ReportSubmission, ReportSubmission.id == ReportValue.submission_id)
        .where(_submitted(report, period), ReportSubmission.department_id == unit.id)).all()
    return {f: (n if n is not None else t) for f, n, t in rows}


def export_summary(report: FlexReport, period: str, unit: Department) -> bytes:
    """The 汇总 in the template's own layout (numbers summed; text cells left blank)."""
    sums = subtree_sums(report, period, unit)
    values = {f.id: (sums.get(f.id, Decimal(0)) if f.is_number else None) for f in report.fields}
    return layout.filled_workbook(report.template, report.fields, {k: _plain(v) for k, v in values.items()})


def fmt(value: Any) -> str:
    """A value as the pages show it: 12 not 12.0000, 1.5 not 1.5000; None as blank."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


def _plain(value: Any) -> Any:
    """A Decimal as an int or float for the spreadsheet."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


# ------------------------------------------------------------------ 填报情况统计


@dataclass
class PeriodStats:
    period: str
    label: str
    due: int
    submitted: int
    late: int

    @property
    def pending(self) -> int:
        return self.due - self.submitted

    @property
    def on_time(self) -> int:
        return self.submitted - self.late

    def figure(self, state: str) -> int:
        return {"应报": self.due, "已报": self.submitted, "未报": self.pending, "正常报": self.on_time,
                "延迟报": self.late}[state]


def _below(unit: Department) -> Any:
    """The fillings of the units strictly below ``unit``."""
    return and_(Department.path.startswith(unit.path), Department.id != unit.id)


def period_stats(report: FlexReport, unit: Department) -> list[PeriodStats]:
    """应报 / 已报 / 未报 / 正常报 / 延迟报 per period over the units below ``unit``."""
    done = ReportSubmission.status == SubmissionStatus.SUBMITTED
    rows = db.session.execute(
        select(ReportSubmission.period, func.min(ReportSubmission.period_label), func.count(),
               func.sum(case((done, 1), else_=0)),
               func.sum(case((and_(done, ReportSubmission.late.is_(True)), 1), else_=0)))
        .join(Department, Department.id == ReportSubmission.department_id)
        .where(ReportSubmission.report_id == report.id, _below(unit))
        .group_by(ReportSubmission.period).order_by(ReportSubmission.period)).all()
    return [PeriodStats(p, label, int(n), int(s or 0), int(late or 0)) for p, label, n, s, late in rows]


def submissions(report: FlexReport, unit: Department, period: str = "", state: str = "") -> list[ReportSubmission]:
    """The fillings a figure counts (报表清单), below ``unit``."""
    query = (select(ReportSubmission).join(Department, Department.id == ReportSubmission.department_id)
             .where(ReportSubmission.report_id == report.id, _below(unit)))
    if period:
        query = query.where(ReportSubmission.period == period)
    done = ReportSubmission.status == SubmissionStatus.SUBMITTED
    query = query.where({
        "已报": done, "未报": ReportSubmission.status != SubmissionStatus.SUBMITTED,
        "正常报": and_(done, ReportSubmission.late.is_(False)), "延迟报": and_(done, ReportSubmission.late.is_(True)),
    }.get(state, ReportSubmission.id.is_not(None)))
    return list(db.session.execute(query.order_by(ReportSubmission.period, Department.path).limit(1000)).scalars())
