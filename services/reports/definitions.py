"""业务报表定制: define a report (name, type, 实施周期, 有效状态, deadline, description, 专项任务)
and its form — an uploaded template with marked cells, or fields from which the platform
writes one (services/reports/layout.py).  Nothing here commits."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select

from infrastructure.errors import Invalid
from infrastructure.excel import ExcelError, parse_date
from models import User, db
from models.campaigns import Campaign
from models.reports import FieldKind, FlexReport, ReportField, ReportKind
from persistence import audit
from persistence.scope import scope_owned
from services.reports import access, layout, periods

MAX_DUE_WORKDAYS = 60


def campaign_choices(user: User) -> list[Campaign]:
    """The 专项任务 a report may be linked to: the campaigns of the user's subtree."""
    query = scope_owned(select(Campaign), Campaign, user).order_by(Campaign.starts_on.desc(), Campaign.id.desc())
    return list(db.session.execute(query.limit(200)).scalars())


def parse_fields(text: str) -> list[tuple[str, FieldKind]]:
    """One field per line; ``文本:`` before the name makes a text field (else a number)."""
    fields: list[tuple[str, FieldKind]] = []
    seen: set[str] = set()
    for line in (text or "").splitlines():
        name, kind = line.strip(), FieldKind.NUMBER
        for prefix, found in (("文本", FieldKind.TEXT), ("数值", FieldKind.NUMBER)):
            if name.startswith((prefix + ":", prefix + "：")):
                name, kind = name[len(prefix) + 1:].strip(), found
        if not name:
            continue
        if len(name) > 100 or any(c in name for c in "{}"):
            raise Invalid(f"填报项目“{name[:20]}”不能超过100个字，也不能含有 {{ 或 }}", "fields")
        if name in seen:
            raise Invalid(f"填报项目“{name}”重复", "fields")
        seen.add(name)
        fields.append((name, kind))
    return fields


def _date(form: Mapping[str, Any], key: str, label: str, required: bool = True) -> date | None:
    raw = (form.get(key) or "").strip()
    if not raw:
        if required:
            raise Invalid(f"请填写{label}", key)
        return None
    try:
        return parse_date(raw)
    except ValueError:
        raise Invalid(f"{label}应为日期，如 2026-11-30", key) from None


def _values(user: User, form: Mapping[str, Any]) -> dict[str, Any]:
    name = (form.get("name") or "").strip()
    if not name:
        raise Invalid("请填写报表名称", "name")
    if len(name) > 200:
        raise Invalid("报表名称不能超过200个字", "name")
    try:
        kind = ReportKind(form.get("kind") or "")
    except ValueError:
        raise Invalid("请选择报表类型", "kind") from None
    starts_on = _date(form, "starts_on", "实施周期开始日期")
    ends_on = _date(form, "ends_on", "实施周期结束日期")
    assert starts_on is not None and ends_on is not None
    if ends_on < starts_on:
        raise Invalid("实施周期结束日期不能早于开始日期", "ends_on")
    periods.check_span(kind, starts_on, ends_on)
    due_on = _date(form, "due_on", "填报截止日期", required=kind == ReportKind.ONCE)
    if kind == ReportKind.ONCE and due_on is not None and due_on < starts_on:
        raise Invalid("填报截止日期不能早于实施周期开始日期", "due_on")
    raw_days = (form.get("due_workdays") or "5").strip()
    if not raw_days.isdigit() or int(raw_days) > MAX_DUE_WORKDAYS:
        raise Invalid(f"填报时限应为0–{MAX_DUE_WORKDAYS}之间的整数（每期结束后第几个工作日）", "due_workdays")
    campaign_id = None
    raw_campaign = (form.get("campaign_id") or "").strip()
    if raw_campaign:
        allowed = {c.id: c for c in campaign_choices(user)}
        if not raw_campaign.isdigit() or int(raw_campaign) not in allowed:
            raise Invalid("请选择本部门可见的专项整治任务", "campaign_id")
        campaign_id = int(raw_campaign)
    return {"name": name, "kind": kind, "starts_on": starts_on, "ends_on": ends_on, "due_on": due_on,
            "due_workdays": int(raw_days), "campaign_id": campaign_id,
            "description": (form.get("description") or "").strip()[:2000]}


def create_report(actor: User, form: Mapping[str, Any], upload: tuple[str, bytes] | None = None) -> FlexReport:
    """制定报表: from an uploaded template (``upload``: file name and bytes) when given, else
    from the fields typed in ``form['fields']``."""
    access.require_clerk(actor)
    values = _values(actor, form)
    if upload is not None and upload[1]:
        filename, data = upload
        try:
            marks = layout.parse_template(data, filename)
        except ExcelError as exc:
            raise Invalid(str(exc), "template") from None
        template, template_name = data, filename[:200]
    else:
        fields = parse_fields(form.get("fields") or "")
        if not fields:
            raise Invalid("请上传标记了填报单元格的Excel模板，或逐行填写填报项目", "fields")
        template, template_name = layout.template_from_fields(values["name"], fields), ""
        marks = layout.parse_template(template)
    report = FlexReport(department_id=actor.department_id, created_by_id=actor.id, template=template,
                        template_name=template_name, **values)
    report.fields = [ReportField(position=i, name=m.name, kind=m.kind, sheet=m.sheet, cell=m.cell)
                     for i, m in enumerate(marks)]
    db.session.add(report)
    db.session.flush()
    audit.record("create", object_type="flex_report", object_id=report.id, user=actor,
                 summary={"报表名称": report.name, "报表类型": report.kind.label, "填报项目": len(marks)})
    return report


def set_active(actor: User, report: FlexReport, active: bool) -> None:
    """有效状态: an invalid report is neither filled nor reminded of."""
    access.require_clerk(actor)
    if report.department_id != actor.department_id:
        raise Invalid("只有制定单位可以修改报表的有效状态")
    report.active = active
    audit.record("update", object_type="flex_report", object_id=report.id, user=actor,
                 summary={"有效状态": "有效" if active else "无效"})
