"""What other pages read of the campaigns (issue 18 item 3):

- the overview per year and handling department (专项整治 count, objects, checked, ordered to
  correct, corrected, cases, closed), one GROUP BY over the user's subtree, with its chart data
  and Excel;
- an entity's campaign records for the 一户一档 (section rows and timeline events, as plain
  tuples: services/dossier builds its own rows from them);
- the 整改期限 reminders of 我的待办 (an inspector's objects under 责令改正 due within
  ``REMIND_DAYS`` days or past due).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, case, distinct, extract, func, select

from infrastructure.errors import Invalid
from infrastructure.excel.workbooks import Column, build_workbook, workbook_bytes
from models import Department, User, db
from models.campaigns import Campaign, CampaignObject, CampaignStatus
from models.campaigns import ObjectStatus as S
from persistence.scope import subtree_ids

COLUMNS = ("专项整治", "对象数", "已检查", "责令改正", "已改正", "立案查处", "已办结")
REMIND_DAYS = 3
LIVE = (CampaignStatus.PUBLISHED, CampaignStatus.SUMMARIZED, CampaignStatus.NOTIFIED)


@dataclass
class OverviewRow:
    year: int
    department: str
    values: list[int]


def _year(raw: Any) -> int | None:
    value = str(raw or "").strip()
    if not value:
        return None
    if not value.isdigit() or not 2000 <= int(value) <= 2100:
        raise Invalid("年度须为四位数字的年份，如 2026", "year")
    return int(value)


def overview(user: User, year_raw: Any = None) -> list[OverviewRow]:
    """Per year (the campaign's start) and handling department of the user's subtree."""
    year = _year(year_raw)
    one = lambda cond: func.sum(case((cond, 1), else_=0))  # noqa: E731
    y = extract("year", Campaign.starts_on)
    query = (
        select(y, Department.name, func.count(distinct(Campaign.id)),
               one(CampaignObject.removed_at.is_(None)), one(CampaignObject.status != S.PENDING),
               one(CampaignObject.order_no != ""), one(CampaignObject.status == S.CORRECTED),
               one(CampaignObject.status == S.CASE), one(CampaignObject.status.in_(S.DONE)))
        .join(Campaign, Campaign.id == CampaignObject.campaign_id)
        .join(Department, Department.id == CampaignObject.department_id)
        .where(Campaign.status.in_(LIVE), CampaignObject.department_id.in_(subtree_ids(user.department)))
        .group_by(y, Department.id, Department.name).order_by(y.desc(), Department.name)
    )
    if year is not None:
        query = query.where(y == year)
    return [OverviewRow(int(r[0]), r[1], [int(v or 0) for v in r[2:]]) for r in db.session.execute(query)]


def totals(rows: list[OverviewRow]) -> list[int]:
    out = [0] * len(COLUMNS)
    for r in rows:
        out = [a + b for a, b in zip(out, r.values, strict=True)]
    return out


def chart(rows: list[OverviewRow]) -> str:
    """The data of static/js/statistics.js's bar chart (names and series)."""
    names = [f"{r.year} {r.department}" for r in rows[:30]]
    series = [{"name": c, "data": [r.values[i] for r in rows[:30]]} for i, c in enumerate(COLUMNS) if i > 0]
    return json.dumps({"names": names, "series": series}, ensure_ascii=False)


def overview_xlsx(rows: list[OverviewRow]) -> bytes:
    columns = [Column("年度", 8), Column("处理部门", 30), *(Column(c, 12) for c in COLUMNS)]
    data = [[r.year, r.department, *r.values] for r in rows] + [["合计", "", *totals(rows)]]
    return workbook_bytes(build_workbook("专项整治概况", columns, data, template_rows=0, required_mark=""))


# ------------------------------------------------------------------ 一户一档


@dataclass(frozen=True)
class EntityRecord:
    object_id: int
    campaign_id: int
    campaign: str
    on: date | None
    department_id: int
    department: str
    result: str
    note: str
    case_no: str
    case_date: date | None
    order_due: date | None


def entity_records(entity_id: int) -> list[EntityRecord]:
    """The entity's records in published campaigns, once started."""
    rows = db.session.execute(
        select(CampaignObject, Campaign.title, Department.name)
        .join(Campaign, Campaign.id == CampaignObject.campaign_id)
        .join(Department, Department.id == CampaignObject.department_id)
        .where(CampaignObject.entity_id == entity_id, Campaign.status.in_(LIVE),
               CampaignObject.started_at.is_not(None))
        .order_by(CampaignObject.inspected_on.desc(), CampaignObject.id.desc())
    ).all()
    out = []
    for obj, title, dept in rows:
        note = f"案件编号{obj.case_no}" if obj.case_no else (f"整改期限{obj.order_due}" if obj.order_due else "")
        out.append(EntityRecord(obj.id, obj.campaign_id, title, obj.inspected_on, obj.department_id, dept,
                                obj.status_label, note, obj.case_no, obj.case_date, obj.order_due))
    return out


# ------------------------------------------------------------------ 我的待办


def reminders_query(user: User, today: date) -> Select[Any]:
    return (select(CampaignObject).join(Campaign, Campaign.id == CampaignObject.campaign_id)
            .where(CampaignObject.inspector_id == user.id, CampaignObject.status == S.ORDERED,
                   CampaignObject.reported_at.is_(None), Campaign.status == CampaignStatus.PUBLISHED,
                   CampaignObject.order_due <= today + timedelta(days=REMIND_DAYS))
            .order_by(CampaignObject.order_due, CampaignObject.id))


def reminders(user: User, today: date) -> list[CampaignObject]:
    if not user.is_authenticated or not user.is_active:
        return []
    return list(db.session.execute(reminders_query(user, today).limit(200)).scalars())
