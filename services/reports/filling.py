"""报表分派, 报表接收与填报: 分派 a report to child units (each may pass it further down),
and a unit's filling of one period — saved as a draft or 上报 — online or from its uploaded
template (services/imports/report_fill.py).  A number cell takes numbers only; a filling
after the deadline is accepted and counted 延迟报.  Nothing here commits."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, insert, select

from infrastructure.clock import china_today
from infrastructure.errors import Conflict, Forbidden, Invalid
from infrastructure.excel import parse_decimal
from models import Department, User, db, utcnow
from models.reports import (
    FlexReport,
    ReportAssignment,
    ReportField,
    ReportSubmission,
    ReportValue,
    SubmissionStatus,
)
from persistence import audit
from services.reports import access, periods

MAX_NUMBER = Decimal("1e16")
MAX_TEXT = 500


class FillInvalid(Invalid):
    """Some cells are wrong: ``errors`` by field id (the form shows each beside its cell)."""

    def __init__(self, errors: dict[int, str]) -> None:
        super().__init__(f"有{len(errors)}个单元格填写有误，请修改后重新提交：" + "；".join(list(errors.values())[:3]))
        self.errors = errors


# ------------------------------------------------------------------ 分派


def assign(actor: User, report: FlexReport, department_ids: list[int]) -> int:
    """分派 to child units of the actor's department (the definer, or a unit assigned the report
    that passes it down); every period of the report becomes 应报 for each.  Returns how many
    units were newly assigned."""
    access.require_clerk(actor)
    if not access.is_party(actor, report):
        raise Forbidden("只有制定单位或已接收该报表的单位可以分派")
    if not report.active:
        raise Invalid("该报表已设为无效，不能分派")
    children = {d.id: d for d in access.child_units(actor.department)}
    if not department_ids:
        raise Invalid("请选择要分派的下级单位", "departments")
    if any(i not in children for i in department_ids):
        raise Invalid("只能分派给本单位的下级单位", "departments")
    parent = db.session.execute(select(ReportAssignment).where(
        ReportAssignment.report_id == report.id, ReportAssignment.department_id == actor.department_id)
    ).scalar_one_or_none()
    already = set(db.session.execute(select(ReportAssignment.department_id).where(
        ReportAssignment.report_id == report.id, ReportAssignment.department_id.in_(department_ids))).scalars())
    todo = [children[i] for i in department_ids if i not in already]
    found = periods.periods_of(report) if todo else []
    db.session.add_all(ReportAssignment(report_id=report.id, department_id=unit.id, assigned_by_id=actor.id,
                                        parent_id=parent.id if parent else None) for unit in todo)
    db.session.flush()
    if todo:  # one executemany for every unit × period
        db.session.execute(insert(ReportSubmission), [
            {"report_id": report.id, "department_id": unit.id, "period": p.key, "period_label": p.label,
             "due_on": p.due_on, "remind_on": p.remind_on} for unit in todo for p in found])
    if todo:
        audit.record("assign", object_type="flex_report", object_id=report.id, user=actor,
                     summary={"报表名称": report.name, "分派单位": "、".join(u.name for u in todo)})
    return len(todo)


def assigned_units(report: FlexReport, department: Department) -> list[ReportAssignment]:
    """The assignments the unit made (its children's)."""
    return list(db.session.execute(
        select(ReportAssignment).join(Department, Department.id == ReportAssignment.department_id)
        .where(ReportAssignment.report_id == report.id, Department.parent_id == department.id)
        .order_by(Department.sort_order, Department.name)).scalars())


# ------------------------------------------------------------------ 填报


def check_values(fields: list[ReportField], raw: Mapping[int, Any]) -> tuple[dict[int, Any], dict[int, str]]:
    """Each field's value from what was typed or read (field id -> raw), and the problems."""
    parsed: dict[int, Any] = {}
    errors: dict[int, str] = {}
    for field in fields:
        value = raw.get(field.id)
        if field.is_number:
            try:
                number = parse_decimal(value)
            except ValueError:
                errors[field.id] = f"{field.name}：应为数字，“{str(value).strip()[:20]}”不是数字"
                continue
            if number is not None and (abs(number) >= MAX_NUMBER or -number.as_tuple().exponent > 4):  # type: ignore[operator]
                errors[field.id] = f"{field.name}：数值过大或小数超过4位"
                continue
            parsed[field.id] = number
        else:
            text = "" if value is None else str(value).strip()
            if len(text) > MAX_TEXT:
                errors[field.id] = f"{field.name}：不能超过{MAX_TEXT}个字"
                continue
            parsed[field.id] = text
    return parsed, errors


def can_fill(user: User, submission: ReportSubmission) -> bool:
    return (user.is_active and user.has_role(*access.ACT_ROLES) and submission.department_id == user.department_id
            and submission.report.active and submission.status != SubmissionStatus.SUBMITTED)


def require_fillable(actor: User, submission: ReportSubmission) -> None:
    access.require_clerk(actor)
    if submission.department_id != actor.department_id:
        raise Forbidden("只能填报本单位的报表")
    if not submission.report.active:
        raise Invalid("该报表已设为无效，不能填报")
    if submission.status == SubmissionStatus.SUBMITTED:
        raise Conflict("该期报表已上报，不能再修改")


def values_of(submission: ReportSubmission) -> dict[int, Any]:
    rows = db.session.execute(select(ReportValue.field_id, ReportValue.number, ReportValue.text)
                              .where(ReportValue.submission_id == submission.id)).all()
    return {field_id: (number if number is not None else text) for field_id, number, text in rows}


def store(actor: User | None, submission: ReportSubmission, parsed: Mapping[int, Any], *, submit: bool,
          source: str) -> None:
    """Write the values (the previous ones replaced) and, with ``submit``, 上报."""
    fields = {f.id: f for f in submission.report.fields}
    db.session.execute(delete(ReportValue).where(ReportValue.submission_id == submission.id))
    db.session.add_all(
        ReportValue(submission_id=submission.id, field_id=fid,
                    number=value if fields[fid].is_number else None,
                    text=value if not fields[fid].is_number else "")
        for fid, value in parsed.items() if value not in (None, ""))
    submission.saved_at = utcnow()
    submission.source = source
    submission.lock_version += 1
    if submit:
        submission.status = SubmissionStatus.SUBMITTED
        submission.submitted_at = utcnow()
        submission.submitted_by_id = actor.id if actor else None
        submission.late = china_today() > submission.due_on
    db.session.flush()


def fill(actor: User, submission: ReportSubmission, raw: Mapping[int, Any], *, submit: bool,
         source: str = "online", version: int | None = None) -> ReportSubmission:
    """保存 or 上报 one period's filling; FillInvalid (400) lists the wrong cells, nothing written."""
    require_fillable(actor, submission)
    if version is not None and version != submission.lock_version:
        raise Conflict("该报表已被他人修改，请刷新后重新填写")
    parsed, errors = check_values(submission.report.fields, raw)
    if errors:
        raise FillInvalid(errors)
    store(actor, submission, parsed, submit=submit, source=source)
    audit.record("submit" if submit else "update", object_type="flex_report_submission", object_id=submission.id,
                 user=actor, summary={"报表名称": submission.report.name, "填报期": submission.period_label,
                                      "状态": submission.state_label if submit else "已保存",
                                      "方式": "上传模板" if source == "upload" else "在线填报"})
    return submission
