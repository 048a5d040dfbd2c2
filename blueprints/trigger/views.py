"""/trigger: 触发式双随机监管 (表28; docs/trigger.md).

建立触发式规则: the department's rules, a new rule, each rule's page with its edit form and
history (services/trigger/rules.py).  The 触发式对象库 with filters and preview counts, and
提取监管对象 into a task of the department (services/trigger/extraction.py).  The inbox's
提取监管对象 and 开展双随机检查 of a rule's 表28 instance open the library and the task.
Views load (404 when absent or outside the user's department subtree), authorize (403), call
the service and commit once; a refused form shows its page again with the message and status.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from blueprints.common import current_actor, get_visible_or_404
from blueprints.web import roles_required
from infrastructure import clock
from infrastructure.errors import ServiceError
from models import Task, db
from models.roles import Role
from models.trigger import TriggerRule
from persistence import jobs
from services.trigger import extraction, flow, rules, sources
from services.trigger.cli import enqueue_build

bp = Blueprint("trigger", __name__, url_prefix="/trigger")

ROLES = (Role.CLERK, Role.DEPT_LEADER)


def _rule_or_404(rule_id: int) -> TriggerRule:
    return get_visible_or_404(TriggerRule, rule_id, rules.can_view)


def _params(form: Any) -> dict[str, Any]:
    params: dict[str, Any] = {k[2:]: v for k, v in form.items() if k.startswith("p_")}
    params["codes"] = form.getlist("p_codes")
    return params


def _form_page(template: str, *, status: int = 200, **context: Any) -> Any:
    return render_template(template, sources=sources.choices(), risk_codes=sources.risk_rule_codes(),
                           describe=rules.describe, **context), status


@bp.route("/rules")
@login_required
@roles_required(*ROLES)
def rules_page() -> Any:
    me = current_actor()
    if not rules.is_reader(me):
        abort(403)
    return render_template("trigger/rules.html", rules=rules.rules_of(me), describe=rules.describe,
                           in_force=rules.in_force, may_create=rules.is_clerk(me), labels=dict(sources.choices()))


@bp.route("/rules/new", methods=["GET", "POST"])
@login_required
@roles_required(Role.CLERK)
def new_rule() -> Any:
    me = current_actor()
    if not rules.is_clerk(me):
        abort(403)
    if request.method == "GET":
        return _form_page("trigger/new.html", form={"valid_from": clock.china_today().isoformat(), "weight": "1",
                                                    "active": "1"}, params={})
    try:
        rule = rules.create(me, request.form, _params(request.form))
    except ServiceError as exc:
        db.session.rollback()
        return _form_page("trigger/new.html", status=exc.status, form=request.form, params=_params(request.form),
                          error=exc.message, error_field=getattr(exc, "field", ""))
    db.session.commit()
    flash("已建立触发式规则，触发式对象库已按规则生成", "success")
    return redirect(url_for("trigger.rule", id=rule.id))


def _rule_page(rule: TriggerRule, *, status: int = 200, **context: Any) -> Any:
    me = current_actor()
    inst = flow.instance_of(rule)
    return _form_page("trigger/rule.html", status=status, rule=rule, history=rules.history(rule), instance=inst,
                      may_edit=rules.may_edit(me, rule), in_force=rules.in_force(rule), task=flow.rule_task(rule),
                      labels=dict(sources.choices()), **context)


@bp.route("/rules/<int:id>")
@login_required
@roles_required(*ROLES)
def rule(id: int) -> Any:
    found = _rule_or_404(id)
    return _rule_page(found, form=rules.snapshot(found), params=dict(found.params or {}))


@bp.route("/rules/<int:id>", methods=["POST"])
@login_required
@roles_required(*ROLES)
def edit_rule(id: int) -> Any:
    found = _rule_or_404(id)
    try:
        rules.edit(current_actor(), found, request.form, _params(request.form), request.form.get("version"))
    except ServiceError as exc:
        db.session.rollback()
        found = _rule_or_404(id)
        return _rule_page(found, status=exc.status, form=request.form, params=_params(request.form),
                          error=exc.message, error_field=getattr(exc, "field", ""))
    db.session.commit()
    flash("规则已保存", "success")
    return redirect(url_for("trigger.rule", id=id))


@bp.route("/rules/<int:id>/extract")
@login_required
@roles_required(*ROLES)
def rule_extract(id: int) -> Any:
    """提取监管对象 of the rule's instance: the library filtered by the rule."""
    return redirect(url_for("trigger.library", rule=_rule_or_404(id).id))


@bp.route("/rules/<int:id>/inspect")
@login_required
@roles_required(*ROLES)
def rule_inspect(id: int) -> Any:
    """开展双随机检查 of the rule's instance: the task its objects went into."""
    task = flow.rule_task(_rule_or_404(id))
    if task is None:
        flash("该规则尚未提取监管对象到抽查任务", "error")
        return redirect(url_for("trigger.rule", id=id))
    return redirect(url_for("tasks.show", id=task.id))


def _library_page(*, status: int = 200, error: str = "", error_field: str = "") -> Any:
    me = current_actor()
    if not rules.is_reader(me):
        abort(403)
    try:
        filters = extraction.parse_filters(request.values, me.department_id)
    except ServiceError as exc:
        filters, error, error_field, status = extraction.Filters(), exc.message, getattr(exc, "field", ""), exc.status
    counted = extraction.preview(me.department_id, filters)
    rows = extraction.entries(me.department_id, filters)
    return render_template(
        "trigger/library.html", filters=filters, preview=counted, rows=rows, error=error, error_field=error_field,
        hitting=extraction.rules_hitting(me.department_id, [r.entity_id for r in rows]),
        my_rules=[r for r in rules.rules_of(me) if r.department_id == me.department_id],
        tasks=extraction.open_tasks(me) if rules.is_clerk(me) else [], may_extract=rules.is_clerk(me),
        args=request.values, page_size=extraction.PAGE_SIZE,
    ), status


@bp.route("/library")
@login_required
@roles_required(*ROLES)
def library() -> Any:
    return _library_page()


@bp.route("/library/preview")
@login_required
@roles_required(*ROLES)
def library_preview() -> Any:
    """The preview counts alone (htmx, as the filters change)."""
    me = current_actor()
    if not rules.is_reader(me):
        abort(403)
    try:
        filters = extraction.parse_filters(request.values, me.department_id)
    except ServiceError as exc:
        return render_template("trigger/_preview.html", error=exc.message), exc.status
    return render_template("trigger/_preview.html", preview=extraction.preview(me.department_id, filters))


@bp.route("/extract", methods=["POST"])
@login_required
@roles_required(Role.CLERK)
def extract() -> Any:
    me = current_actor()
    task_id = request.form.get("task_id", "")
    task = db.session.get(Task, int(task_id)) if task_id.isdigit() else None
    if task is None or task.department_id != me.department_id:
        return _library_page(status=400, error="请选择本部门尚未抽取检查对象的抽查任务", error_field="task_id")
    try:
        done = extraction.extract(me, task, extraction.parse_filters(request.form, me.department_id))
    except ServiceError as exc:
        db.session.rollback()
        return _library_page(status=exc.status, error=exc.message, error_field=getattr(exc, "field", ""))
    db.session.commit()
    flash(f"已提取{done.size}户至抽查任务“{task.name}”，抽取检查对象时按权重抽取", "success")
    return redirect(url_for("tasks.show", id=task.id))


@bp.route("/library/build", methods=["POST"])
@login_required
@roles_required(Role.CLERK)
def build() -> Any:
    """立即监测: the department's library rebuilt now, as a background job."""
    me = current_actor()
    if not rules.is_clerk(me):
        abort(403)
    job = enqueue_build(me)
    db.session.commit()
    jobs.kick()
    return redirect(url_for("jobs.detail", job_id=job.id))
