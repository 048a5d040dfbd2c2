"""灵活报表 for the tests: a monthly report of three fields defined by bureau A's clerk, with
a unit below 甲区第一市场监管所 so that the report can be passed down two levels."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook

from models import db
from models.org import DepartmentLevel
from models.reports import FlexReport, ReportSubmission
from models.roles import Role
from services.reports import definitions, filling

FORM = {"name": "食品安全监管月报", "kind": "monthly", "starts_on": "2026-09-01", "ends_on": "2026-11-30",
        "due_workdays": "5", "fields": "检查户次\n发现问题数\n文本:工作亮点"}


def make_report(org: Any, **form: Any) -> FlexReport:
    return definitions.create_report(org.clerk_a, {**FORM, **form})


def two_levels(org: Any, make_department: Any, make_user: Any) -> dict[str, Any]:
    """A report assigned to 信用监督管理科 and 第一市场监管所, which passes it to its 片区 unit."""
    grid = make_department("甲区第一所东片区", org.station_a, DepartmentLevel.STATION)
    station_clerk = make_user(org.station_a, Role.CLERK, name="所经办人")
    grid_clerk = make_user(grid, Role.CLERK, name="片区经办人")
    report = make_report(org)
    filling.assign(org.clerk_a, report, [org.section_a.id, org.station_a.id])
    filling.assign(station_clerk, report, [grid.id])
    db.session.flush()
    return {"report": report, "grid": grid, "station_clerk": station_clerk, "grid_clerk": grid_clerk}


def submission_of(report: FlexReport, department: Any, period: str = "2026-10") -> ReportSubmission:
    return db.session.execute(db.select(ReportSubmission).where(
        ReportSubmission.report_id == report.id, ReportSubmission.department_id == department.id,
        ReportSubmission.period == period)).scalar_one()


def raw(report: FlexReport, *values: Any) -> dict[int, Any]:
    return {f.id: v for f, v in zip(report.fields, values, strict=False)}


def marked_workbook(cells: dict[str, Any], title: str = "季度统计表") -> bytes:
    """A clerk's own layout: a title, headings and the given cells (e.g. {"C3": "{{数值:户数}}"})."""
    wb = Workbook()
    ws = wb.active
    ws.title = "统计表"
    ws["A1"] = title
    ws["A2"], ws["B2"], ws["C2"] = "序号", "项目", "数量"
    for address, value in cells.items():
        ws[address] = value
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
