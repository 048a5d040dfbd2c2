"""The demo district's 灵活报表 (``flask demo``, cli/demo.py): 成华区市场监督管理局's clerk
defined a monthly report (September to November 2026) and assigned it to its sections and
监管所; 府青路市场监管所 passed it on to its 二仙桥片区 (two levels).  Part of it is reported —
on time, late and not at all — so the 汇总, the 填报情况 and the reminders all show something.
Idempotent: skipped once the report exists."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from models import Department, User, db
from models.campaigns import Campaign
from models.org import DepartmentLevel
from models.reports import FlexReport, ReportSubmission
from persistence.org import place_department
from services.reports import definitions, filling

BUREAU = "成华区市场监督管理局"
STATION = "府青路市场监管所"
GRID = "府青路所二仙桥片区"
NAME = "食品安全监管工作月报"
# unit -> period -> (检查户次, 发现问题户数, 责令整改户数, 工作亮点, days after the deadline it was reported)
FILLED: dict[str, dict[str, tuple[int, int, int, str, int]]] = {
    GRID: {"2026-09": (42, 6, 4, "校园周边食品店全覆盖检查", -3), "2026-10": (38, 5, 5, "", -1)},
    STATION: {"2026-09": (25, 3, 2, "节前专项检查", -2), "2026-10": (31, 4, 3, "", 2)},
    "信用监督管理科": {"2026-09": (12, 1, 1, "", 4)},
}


def _named(model: type, **where: object) -> object:
    return db.session.execute(select(model).filter_by(**where)).scalars().first()


def load_demo_reports() -> None:
    bureau = _named(Department, name=BUREAU)
    station = _named(Department, name=STATION)
    clerk, station_clerk = _named(User, account="wangxy"), _named(User, account="huangyh")
    if None in (bureau, station, clerk, station_clerk) or _named(FlexReport, name=NAME) is not None:
        return
    assert isinstance(bureau, Department) and isinstance(station, Department)
    assert isinstance(clerk, User) and isinstance(station_clerk, User)
    grid = _named(Department, name=GRID, parent_id=station.id)
    if grid is None:
        grid = Department(name=GRID, parent=station, level=DepartmentLevel.STATION, region_code=station.region_code)
        db.session.add(grid)
        db.session.flush()
        place_department(grid, station)
    campaign = db.session.execute(select(Campaign).where(Campaign.department_id == bureau.id)
                                  .order_by(Campaign.id)).scalars().first()
    report = definitions.create_report(clerk, {
        "name": NAME, "kind": "monthly", "starts_on": "2026-09-01", "ends_on": "2026-11-30", "due_workdays": "5",
        "campaign_id": str(campaign.id) if campaign else "",
        "description": "各单位每月汇总本单位食品安全日常监管检查情况，于次月第5个工作日前上报。",
        "fields": "检查户次\n发现问题户数\n责令整改户数\n文本:工作亮点"})
    children = [d.id for d in bureau.children if d.active]
    filling.assign(clerk, report, children)
    filling.assign(station_clerk, report, [grid.id])
    units = {d.name: d for d in (*bureau.children, grid)}
    for unit_name, periods in FILLED.items():
        for period, (checked, found, ordered, note, days) in periods.items():
            submission = db.session.execute(select(ReportSubmission).where(
                ReportSubmission.report_id == report.id, ReportSubmission.department_id == units[unit_name].id,
                ReportSubmission.period == period)).scalar_one()
            values = dict(zip((f.id for f in report.fields), (checked, found, ordered, note), strict=True))
            parsed, _errors = filling.check_values(report.fields, values)
            filling.store(None, submission, parsed, submit=True, source="online")
            at = datetime.combine(submission.due_on + timedelta(days=days), datetime.min.time()) + timedelta(hours=2)
            submission.submitted_at, submission.late = at, days > 0
    db.session.flush()
