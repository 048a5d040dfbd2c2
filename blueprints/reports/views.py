"""/reports: 灵活报表 (seed 004 §8.2; docs/reports.md).

The clerk (监管部门经办人) defines a report and its form, 分派 it to child units (a unit that
received it passes it further down), and fills the fillings of their own unit — online, or by
uploading the template (the import kind ``report_fill``, /imports/report_fill/?submission_id=).
The clerk and the 部门领导 see the 汇总 level by level (and its Excel in the template's own
layout) and the 填报情况 per period, each figure linking to the fillings it counts.  A report
or filling outside the user's line answers 404.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import login_required
from sqlalchemy import select

from blueprints.common import current_actor, get_visible_or_404
from blueprints.web import roles_required
from infrastructure.errors import ServiceError
from infrastructure.excel import XLSX_MIME
from models import Department, db
from models.reports import FlexReport, ReportKind, ReportSubmission, SubmissionStatus
from services.reports import access, definitions, filling, layout, summary

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"fmt": summary.fmt}

VIEW = access.VIEW_ROLES
ACT = access.ACT_ROLES


def act(action: Callable[[], Any], done: str, target: str) -> Any:
    try:
        result = action()
    except ServiceError as exc:
        db.session.rollback()
        return render_template("reports/refused.html", message=exc.message, back=target), exc.status
    db.session.commit()
    flash(done.format(result=result), "success")
    return redirect(target)


def _report(ident: int) -> FlexReport:
    return get_visible_or_404(FlexReport, ident, access.can_view)


def _submission(ident: int) -> ReportSubmission:
    return get_visible_or_404(ReportSubmission, ident, access.can_view_submission)


@bp.route("/")
@login_required
@roles_required(*VIEW)
def index():
    me = current_actor()
    reports = db.session.execute(access.visible_reports(me).order_by(FlexReport.created_at.desc(), FlexReport.id.desc())
                                 .limit(200)).scalars().all()
    mine = db.session.execute(
        select(ReportSubmission).where(ReportSubmission.department_id == me.department_id,
                                       ReportSubmission.status == SubmissionStatus.PENDING)
        .order_by(ReportSubmission.due_on, ReportSubmission.id).limit(100)).scalars().all()
    return render_template("reports/index.html", reports=reports, mine=mine, me=me)


def _new_page(form: Any = None, error: str = "", status: int = 200) -> Any:
    return render_template("reports/new.html", form=form or {}, error=error, kinds=list(ReportKind),
                           campaigns=definitions.campaign_choices(current_actor()),
                           mark_help=layout.MARK_HELP), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
@roles_required(*ACT)
def new():
    """制定报表: fields typed one per line, or an Excel template with marked cells."""
    if request.method == "GET":
        return _new_page()
    file = request.files.get("template")
    upload = (file.filename or "模板.xlsx", file.read()) if file is not None and file.filename else None
    try:
        report = definitions.create_report(current_actor(), request.form, upload)
    except ServiceError as exc:
        db.session.rollback()
        return _new_page(request.form, exc.message, exc.status)
    db.session.commit()
    flash("已制定报表，请分派给下级单位", "success")
    return redirect(url_for("reports.detail", id=report.id))


@bp.route("/<int:id>")
@login_required
@roles_required(*VIEW)
def detail(id: int):
    report = _report(id)
    me = current_actor()
    assigned = {a.department_id for a in filling.assigned_units(report, me.department)}
    own = db.session.execute(select(ReportSubmission).where(
        ReportSubmission.report_id == report.id, ReportSubmission.department_id == me.department_id)
        .order_by(ReportSubmission.period)).scalars().all()
    return render_template(
        "reports/report.html", report=report, me=me, own=own, assigned=assigned,
        children=access.child_units(me.department),
        may_assign=me.has_role(*ACT) and access.is_party(me, report) and report.active,
        stats=summary.period_stats(report, me.department))


@bp.route("/<int:id>/assign", methods=["POST"])
@login_required
@roles_required(*ACT)
def assign(id: int):
    report = _report(id)
    ids = [int(v) for v in request.form.getlist("departments") if v.isdigit()]
    return act(lambda: filling.assign(current_actor(), report, ids), "已分派给 {result} 个下级单位",
               url_for("reports.detail", id=report.id))


@bp.route("/<int:id>/active", methods=["POST"])
@login_required
@roles_required(*ACT)
def set_active(id: int):
    report = _report(id)
    active = request.form.get("active") == "1"
    return act(lambda: definitions.set_active(current_actor(), report, active),
               "已设为有效" if active else "已设为无效", url_for("reports.detail", id=report.id))


def _unit(report: FlexReport) -> Department:
    """The unit whose 汇总 is asked (``?unit=``): the user's own or one below it."""
    me = current_actor()
    raw = request.args.get("unit", "")
    if not raw:
        return me.department
    unit = db.session.get(Department, int(raw)) if raw.isdigit() else None
    if unit is None or not unit.is_within(me.department):
        abort(404)
    return unit


def _period(report: FlexReport) -> tuple[str, list[tuple[str, str]]]:
    """The period asked (``?period=``; by default the latest) and the report's periods."""
    periods = summary.report_periods(report)
    keys = [key for key, _label in periods]
    period = request.args.get("period", "")
    if period and period not in keys:
        abort(404)
    return period or summary.default_period(report, keys), periods


@bp.route("/<int:id>/summary")
@login_required
@roles_required(*VIEW)
def summary_page(id: int):
    """报表汇总: the unit's total, its own figures and each child unit's, for one period."""
    report = _report(id)
    unit = _unit(report)
    period, periods = _period(report)
    every = summary.rollup(report, period, unit) if period else {}  # one statement for all levels
    children = [(a.department, every.get(a.department_id, {})) for a in filling.assigned_units(report, unit)]
    return render_template(
        "reports/summary.html", report=report, unit=unit, period=period, periods=periods, children=children,
        total=every.get(unit.id, {}),
        own=summary.own_values(report, period, unit) if period else {})


@bp.route("/<int:id>/summary.xlsx")
@login_required
@roles_required(*VIEW)
def summary_xlsx(id: int):
    report = _report(id)
    unit = _unit(report)
    period, periods = _period(report)
    label = dict(periods).get(period, period)
    data = summary.export_summary(report, period, unit)
    return send_file(io.BytesIO(data), mimetype=XLSX_MIME, as_attachment=True,
                     download_name=f"{report.name}_{unit.name}_{label}_汇总.xlsx")


@bp.route("/<int:id>/submissions")
@login_required
@roles_required(*VIEW)
def submissions(id: int):
    """报表清单 behind a figure of the 填报情况 (``?period=&state=``)."""
    report = _report(id)
    unit = _unit(report)
    state = request.args.get("state", "应报")
    if state not in summary.STATES:
        abort(404)
    rows = summary.submissions(report, unit, request.args.get("period", ""), state)
    return render_template("reports/submissions.html", report=report, unit=unit, rows=rows, state=state,
                           period=request.args.get("period", ""))


@bp.route("/<int:id>/template.xlsx")
@login_required
@roles_required(*VIEW)
def report_template(id: int):
    report = _report(id)
    return send_file(io.BytesIO(report.template), mimetype=XLSX_MIME, as_attachment=True,
                     download_name=report.template_name or f"{report.name}_模板.xlsx")


# ------------------------------------------------------------------ one filling


def _fill_page(submission: ReportSubmission, values: Any, errors: Any = None, error: str = "",
               status: int = 200) -> Any:
    me = current_actor()
    return render_template("reports/submission.html", submission=submission, report=submission.report,
                           values=values, errors=errors or {}, error=error,
                           can_fill=filling.can_fill(me, submission)), status


@bp.route("/submissions/<int:sid>", methods=["GET", "POST"])
@login_required
@roles_required(*VIEW)
def submission(sid: int):
    """在线填报 (保存 or 上报) of the unit's filling; read-only for everyone else."""
    row = _submission(sid)
    if request.method == "GET":
        return _fill_page(row, filling.values_of(row))
    if not current_actor().has_role(*ACT):
        abort(403)
    raw = {f.id: request.form.get(f"f{f.id}", "") for f in row.report.fields}
    version = request.form.get("version", "")
    submit = request.form.get("action") == "submit"
    try:
        filling.fill(current_actor(), row, raw, submit=submit,
                     version=int(version) if version.isdigit() else None)
    except filling.FillInvalid as exc:
        db.session.rollback()
        return _fill_page(row, raw, exc.errors, exc.message, exc.status)
    except ServiceError as exc:
        db.session.rollback()
        return _fill_page(row, raw, {}, exc.message, exc.status)
    db.session.commit()
    flash(f"已上报（{row.state_label}）" if submit else "已保存，尚未上报", "success")
    return redirect(url_for("reports.submission", sid=row.id))


@bp.route("/submissions/<int:sid>/template.xlsx")
@login_required
@roles_required(*ACT)
def fill_template(sid: int):
    """The template a unit fills (marked cells blank and shaded) and uploads back."""
    row = _submission(sid)
    data = layout.fill_template(row.report.template, row.report.fields)
    return send_file(io.BytesIO(data), mimetype=XLSX_MIME, as_attachment=True,
                     download_name=f"{row.report.name}_{row.period_label}_填报模板.xlsx")
