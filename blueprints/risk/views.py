"""/risk: 风险预警 (表25) and the 风险库 (docs/risk_pages.md).

建立风险预警规则: the rule list and each rule's page (its parameters, 启用, the change history);
a 监管部门 clerk edits a rule, 保存 shows the dry run (how many entities it would add to and
remove from the 风险库), 提交审批 files the change for a leader of the clerk's department, whose
批准 applies it and runs the rule again (判断是否符合规则, 纳入风险库: services/risk/rule_changes.py).
The 风险库: the warnings of the user's area with filters, pages and an Excel export, one
warning's page with its evidence, 手工预警 and 关闭 a manual warning (services/risk/library.py).
Views load (404 when absent or outside the user's area), authorize (403), call the service and
commit once; a refused form shows its page again with the message and its status (400 input,
403 not the user's, 409 another user's edit or decision came first).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import login_required

from blueprints.common import current_actor, get_visible_or_404
from blueprints.web import roles_required
from infrastructure import clock
from infrastructure.errors import ServiceError
from infrastructure.excel import XLSX_MIME, stream_workbook
from models import db
from models.risk import RiskRule, RiskRuleChange, RiskWarning
from models.roles import Role
from persistence import audit
from services.risk import digest, engine_api, library
from services.risk import rule_changes as changes

bp = Blueprint("risk", __name__, url_prefix="/risk")

RULE_ROLES = (Role.CLERK, Role.DEPT_LEADER)


def _rule_or_404(rule_id: int) -> RiskRule:
    return get_visible_or_404(RiskRule, rule_id, lambda _actor, _rule: True)


def _change_or_404(change_id: int) -> RiskRuleChange:
    return get_visible_or_404(RiskRuleChange, change_id, changes.can_view_change)


def _warning_or_404(warning_id: int) -> RiskWarning:
    return get_visible_or_404(RiskWarning, warning_id, library.can_view)


# ------------------------------------------------------------------ 建立风险预警规则


@bp.route("/rules")
@login_required
@roles_required(*RULE_ROLES)
def rules() -> Any:
    return render_template("risk/rules.html", rules=changes.rules(), counts=changes.open_counts(),
                           pending={c.rule_id: c for r in changes.rules() if (c := changes.pending_change(r))},
                           labels=engine_api.param_labels)


def _rule_page(rule: RiskRule, *, error: str = "", error_field: str = "", status: int = 200,
               form: Any = None, proposal: changes.Proposal | None = None) -> Any:
    me = current_actor()
    return render_template(
        "risk/rule.html", rule=rule, me=me, error=error, error_field=error_field, form=form,
        proposal=proposal, labels=engine_api.param_labels(rule), pending=changes.pending_change(rule),
        history=changes.history(rule), in_area=lambda c: changes.in_area(me, c),
        may_edit=changes.is_rule_clerk(me) and engine_api.editable(rule), open_count=changes.open_counts().get(rule.id, 0),
        status_labels=changes.STATUS_LABELS, condition=engine_api.condition(rule),
    ), status


@bp.route("/rules/<int:rule_id>")
@login_required
@roles_required(*RULE_ROLES)
def rule(rule_id: int) -> Any:
    return _rule_page(_rule_or_404(rule_id))


@bp.route("/rules/<int:rule_id>/preview", methods=["POST"])
@login_required
@roles_required(Role.CLERK)
def preview(rule_id: int) -> Any:
    """保存: the checked parameters and the dry run, nothing written yet."""
    rule = _rule_or_404(rule_id)
    try:
        proposal = changes.preview(current_actor(), rule, request.form)
    except ServiceError as exc:
        db.session.rollback()
        return _rule_page(rule, error=exc.message, error_field=exc.field or "", status=exc.status, form=request.form)
    db.session.rollback()
    return _rule_page(rule, form=request.form, proposal=proposal)


@bp.route("/rules/<int:rule_id>/propose", methods=["POST"])
@login_required
@roles_required(Role.CLERK)
def propose(rule_id: int) -> Any:
    """提交审批: the change is filed and waits for the department leader."""
    rule = _rule_or_404(rule_id)
    try:
        change = changes.propose(current_actor(), rule, request.form)
    except ServiceError as exc:
        db.session.rollback()
        return _rule_page(db.session.get(RiskRule, rule_id), error=exc.message, error_field=exc.field or "",
                          status=exc.status, form=request.form)
    db.session.commit()
    flash("已提交部门领导审批；批准后规则生效并重新判断", "success")
    return redirect(url_for("risk.change", id=change.id))


def _change_page(change: RiskRuleChange, *, error: str = "", status: int = 200) -> Any:
    me = current_actor()
    return render_template(
        "risk/change.html", change=change, rule=change.rule, me=me, error=error,
        labels=engine_api.param_labels(change.rule), may_decide=changes.may_decide(me, change),
        instance=changes.instance_of(change), status_labels=changes.STATUS_LABELS,
        stale=change.status == changes.PENDING and change.base_version != change.rule.version,
    ), status


@bp.route("/changes/<int:id>")
@login_required
@roles_required(*RULE_ROLES)
def change(id: int) -> Any:
    return _change_page(_change_or_404(id))


@bp.route("/changes/<int:id>/approve", methods=["POST"])
@login_required
@roles_required(Role.DEPT_LEADER)
def approve(id: int) -> Any:
    item = _change_or_404(id)
    try:
        hits = changes.approve(current_actor(), item, request.form.get("note", ""))
    except ServiceError as exc:
        db.session.rollback()
        return _change_page(db.session.get(RiskRuleChange, id), error=exc.message, status=exc.status)
    db.session.commit()
    flash(f"已批准，规则已生效并重新判断：风险库中该规则的预警共{hits}条", "success")
    return redirect(url_for("risk.change", id=id))


@bp.route("/changes/<int:id>/reject", methods=["POST"])
@login_required
@roles_required(Role.DEPT_LEADER)
def reject(id: int) -> Any:
    item = _change_or_404(id)
    try:
        changes.reject(current_actor(), item, request.form.get("note", ""))
    except ServiceError as exc:
        db.session.rollback()
        return _change_page(db.session.get(RiskRuleChange, id), error=exc.message, status=exc.status)
    db.session.commit()
    flash("已不予批准，规则未改变", "success")
    return redirect(url_for("risk.change", id=id))


# ------------------------------------------------------------------ 风险库


def _library_page(*, error: str = "", status: int = 200, form: Any = None) -> Any:
    me = current_actor()
    filters = library.parse_filters(request.args)
    page_no = request.args.get("page", "1")
    result = library.search(me, filters, int(page_no) if page_no.isdigit() else 1)
    if filters.problems and status == 200:
        status = 400
    return render_template(
        "risk/warnings.html", page=result, filters=filters, args=filters.as_args(), rules=library.rules(),
        departments=library.departments(me), may_manual=library.may_raise_manual(me), error=error,
        form=form or {}, status_labels=library.STATUS_LABELS, evidence_text=library.evidence_text,
    ), status


@bp.route("/warnings")
@login_required
@roles_required(*library.VIEW_ROLES)
def warnings() -> Any:
    return _library_page()


@bp.route("/digests/<int:message_id>")
@login_required
def open_digest(message_id: int) -> Any:
    """A day's digest in 我的待办: opening it marks it done and shows the 风险库 of that day."""
    link = digest.open_digest(current_actor(), message_id)
    if link is None:
        abort(404)
    db.session.commit()
    return redirect(link)


@bp.route("/warnings.xlsx")
@login_required
@roles_required(*library.VIEW_ROLES)
def export() -> Any:
    me = current_actor()
    filters = library.parse_filters(request.args)
    if filters.problems:
        return _library_page()
    total = library.count(me, filters)
    fh = stream_workbook("风险库", library.EXPORT_COLUMNS, library.export_rows(me, filters))
    summary: dict[str, Any] = {"筛选条件": filters.as_args(), "导出条数": min(total, library.EXPORT_LIMIT)}
    if total > library.EXPORT_LIMIT:
        summary["说明"] = f"符合条件超过{library.EXPORT_LIMIT}条，仅导出最新的{library.EXPORT_LIMIT}条"
    audit.record("export", object_type="risk_warning", summary=summary)
    db.session.commit()
    stamp = clock.to_china(clock.now()).strftime("%Y%m%d_%H%M%S")
    resp = send_file(fh, mimetype=XLSX_MIME, as_attachment=True, download_name=f"风险库_{stamp}.xlsx")
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/warnings/manual", methods=["POST"])
@login_required
@roles_required(Role.CLERK)
def manual() -> Any:
    """手工预警: a clerk records a warning on an entity of the area, with the reason."""
    try:
        warning = library.raise_manual(current_actor(), request.form.get("code", ""), request.form.get("reason", ""))
    except ServiceError as exc:
        db.session.rollback()
        return _library_page(error=exc.message, status=exc.status, form=request.form)
    db.session.commit()
    flash("已手工预警，该主体已纳入风险库", "success")
    return redirect(url_for("risk.warning", id=warning.id))


def _warning_page(warning: RiskWarning, *, error: str = "", status: int = 200) -> Any:
    me = current_actor()
    return render_template(
        "risk/warning.html", warning=warning, error=error, status_labels=library.STATUS_LABELS,
        may_close=library.may_raise_manual(me) and warning.is_open and warning.rule.code == engine_api.MANUAL,
        history=library.history_of(warning), evidence_link=engine_api.evidence_link,
    ), status


@bp.route("/warnings/<int:id>")
@login_required
@roles_required(*library.VIEW_ROLES)
def warning(id: int) -> Any:
    return _warning_page(_warning_or_404(id))


@bp.route("/warnings/<int:id>/close", methods=["POST"])
@login_required
@roles_required(Role.CLERK)
def close_warning(id: int) -> Any:
    item = _warning_or_404(id)
    try:
        library.close_manual(current_actor(), item, request.form.get("reason", ""))
    except ServiceError as exc:
        db.session.rollback()
        return _warning_page(db.session.get(RiskWarning, id), error=exc.message, status=exc.status)
    db.session.commit()
    flash("已关闭该手工预警", "success")
    return redirect(url_for("risk.warning", id=id))
