"""/tasks: 抽查任务 — the list, and the task's page where 表20/表22 are done up to the draw:
根据计划制定（部门联合）双随机抽查方案, 审核方案可行性, (公示方案 by the platform), 随机抽取检查对象
with its preview, 确认抽取结果, changes to the locked list with the leader's approval, and the
re-computation of the draw.  /tasks/ratios keeps a department's default ratio per grade.

Views load (404 when the task is not visible to the user), authorize (403), call
services/schemes.py or services/object_draws.py and commit once.  A refused form shows the
task's page again with the message and its status (422 invalid, 403, 409 stale).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from blueprints.common import current_actor, get_visible_or_404
from blueprints.web import roles_required, wants_fragment
from infrastructure.errors import ServiceError
from models import Draw, DrawDomain, EntityType, MemberKind, Task, TaskStatus, TeamRole, User, db
from models.roles import Role
from models.schemes import DrawScope, SchemeStatus
from services import draw_disclosure, draw_risk_weight, inspector_draws, object_draw_changes, task_access
from services import object_draws as draws
from services import schemes as svc
from services.risk import library as risk_library
from services.templates_catalogue import INSPECTION_METHODS
from workflows.registry import get_process

bp = Blueprint("tasks", __name__, url_prefix="/tasks")


PER_PAGE = 30


def _task_or_404(ident: int) -> Task:
    return get_visible_or_404(Task, ident, task_access.tasks_query(current_actor()))


# ------------------------------------------------------------------ list


@bp.route("/")
@login_required
@roles_required(*svc.VIEW_ROLES)
def index():
    status = request.args.get("status", "")
    page = db.paginate(task_access.tasks_query(current_actor(), status), per_page=PER_PAGE, error_out=False)
    return render_template("tasks/index.html", page=page, status=status, statuses=list(TaskStatus),
                           args={"status": status} if status else {})


# ------------------------------------------------------------------ the task's page


def _team_panel(me: User, task: Task) -> dict[str, Any]:
    """The team as the task page shows it: per department its drawn inspectors (组长 first),
    whether the department has drawn, each member's status, and the experts."""
    members = inspector_draws.active_members(task)
    parts = []
    for td in task.departments:
        mine = [m for m in members if m.department_id == td.department_id]
        parts.append({
            "td": td,
            "initiator": task_access.is_initiator(task, td),
            "drawn": inspector_draws.current_draw(task, td.department_id) is not None,
            "inspectors": sorted((m for m in mine if m.inspector_id is not None),
                                 key=lambda m: (m.role != TeamRole.LEADER, m.id)),
            "experts": [m for m in mine if m.auxiliary_id is not None],
        })
    return {
        "parts": parts,
        "leader": inspector_draws.leader_of(task),
        "dispatched": task.status in (TaskStatus.DISPATCHED, TaskStatus.DONE),
        "me_member": task_access.member_of(me, task),
        "count": sum(1 for m in members if m.inspector_id is not None),
    }


def _page(task: Task, *, error: str = "", error_field: str = "", status: int = 200,
          values: dict[str, Any] | None = None, notice: list[str] | None = None):
    me = current_actor()
    inst = task_access.instance_of(task)
    mine = svc.my_steps(me, inst)
    scheme = task.scheme
    current = draws.current_draw(task)
    preview, preview_error = None, ""
    if scheme is not None and scheme.status == SchemeStatus.APPROVED and current is None:
        try:
            preview = draws.preview(task)
        except ServiceError as exc:
            preview_error = exc.message
    pending = object_draw_changes.pending_change(task) if current else None
    is_clerk = task_access.is_task_clerk(me, task)
    is_leader = task_access.is_task_leader(me, task)
    show_grades = task_access.sees_grades(me, task)
    objects = draws.object_rows(task) if current else []
    if not show_grades:  # drawn in stratum order: shown in key order, so that no grouping shows
        objects.sort(key=lambda o: o.key)
    warnings = risk_library.open_for_entities(
        int(o.key.partition(":")[2]) for o in objects if o.key.startswith("entity:") and not o.removed)
    return render_template(
        "tasks/show.html",
        task=task,
        inst=inst,
        process=get_process(inst.process_table) if inst else get_process(task_access.table_of(task)),
        mine=mine,
        scheme=scheme,
        values=values or svc.scheme_values(task, scheme),
        scheme_filter=svc.load_filter(scheme) if scheme else None,
        scheme_ratios=svc.load_ratios(scheme) if scheme else {},
        participants=task_access.participants(task),
        cap=svc.item_cap(task),
        return_reason=svc.return_reason(task),
        preview=preview,
        preview_error=preview_error,
        draw=current,
        attempts=draws.draws_of(task),
        objects=objects,
        warnings=warnings,
        pending=pending,
        pending_details=object_draw_changes.change_details(pending) if pending else None,
        changes=object_draw_changes.changes_of(task) if current else [],
        change_details=object_draw_changes.change_details,
        is_clerk=is_clerk,
        is_leader=is_leader,
        show_grades=show_grades,
        team=_team_panel(me, task),
        public=draws.is_public(current) if current else False,
        error=error,
        error_field=error_field,
        notice=notice or [],
        methods=INSPECTION_METHODS,
        strata=svc.STRATA,
        stratum_label=svc.stratum_label,
        fmt_ratio=svc.fmt_ratio,
        kinds=list(MemberKind),
        entity_types=list(EntityType),
        scopes=list(DrawScope),
        risk_weight_text=draw_risk_weight.describe,
        draw_risk_weight=draw_risk_weight.of_draw(current.params) if current else 0,
    ), status


@bp.route("/<int:id>")
@login_required
@roles_required(*svc.VIEW_ROLES)
def show(id: int):
    return _page(_task_or_404(id))


def _act(ident: int, perform: Callable[[User, Task], Any], done: str, *, keep_values: bool = False):
    task = _task_or_404(ident)
    try:
        perform(current_actor(), task)
    except ServiceError as exc:
        db.session.rollback()
        task = _task_or_404(ident)
        values = svc.form_values(request.form) if keep_values else None
        return _page(task, error=exc.message, error_field=exc.field or "", status=exc.status, values=values)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("tasks.show", id=ident))


def _version(name: str = "lock_version") -> int | None:
    return request.form.get(name, type=int)


@bp.route("/<int:id>/scheme", methods=["POST"])
@login_required
@roles_required(Role.CLERK)
def scheme(id: int):
    submit = request.form.get("action") == "submit"
    return _act(
        id,
        lambda u, t: svc.save_scheme(u, t, request.form, lock_version=_version(), submit=submit,
                                     scheme_id=request.form.get("scheme_id", type=int)),
        "已提交审核，等待部门领导审核方案可行性" if submit else "已保存抽查方案",
        keep_values=True,
    )


@bp.route("/<int:id>/scheme/review", methods=["POST"])
@login_required
@roles_required(Role.DEPT_LEADER)
def review(id: int):
    approve = request.form.get("outcome") == "approve"
    return _act(
        id,
        lambda u, t: svc.review_scheme(u, t, lock_version=_version(), approve=approve,
                                       comment=request.form.get("comment", "")),
        "审核通过" if approve else "已退回修改",
    )


@bp.route("/<int:id>/preview")
@login_required
@roles_required(*svc.VIEW_ROLES)
def preview(id: int):
    """The draw's arithmetic (htmx fragment): the scheme's, or the scheme form's as typed."""
    task = _task_or_404(id)
    args = request.args
    try:
        if any(f"ratio_{s}" in args for s in svc.STRATA):
            ratios = svc.parse_ratios(args, cap=svc.item_cap(task))
            scope, filt = svc.parse_scope(args)
            result = draws.preview(task, ratios=ratios, scope=scope, filt=filt)
        else:
            result = draws.preview(task)
    except ServiceError as exc:
        db.session.rollback()
        return render_template("tasks/_preview.html", preview=None, error=exc.message, task=task), 422
    html = render_template("tasks/_preview.html", preview=result, error="", task=task)
    if wants_fragment():
        return html
    return render_template("tasks/preview_page.html", task=task, body=html)


@bp.route("/<int:id>/draw", methods=["POST"])
@login_required
@roles_required(Role.CLERK)
def draw(id: int):
    confirmed = request.form.get("confirm_over_plan") == "1"
    return _act(id, lambda u, t: draws.run_draw(u, t, lock_version=_version(), confirm_over_plan=confirmed),
                "已随机抽取检查对象，名单已锁定；请核对后确认抽取结果")


@bp.route("/<int:id>/draw/confirm", methods=["POST"])
@login_required
@roles_required(Role.CLERK)
def confirm(id: int):
    return _act(id, lambda u, t: draws.confirm(u, t, lock_version=_version()),
                "已确认抽取结果，请随机抽取执法人员")


@bp.route("/<int:id>/verify")
@login_required
@roles_required(*svc.VIEW_ROLES)
def verify(id: int):
    task = _task_or_404(id)
    current = draws.current_draw(task)
    if current is None:
        abort(404)
    result = draws.verify_draw(current)
    return render_template("tasks/_verify.html", result=result, draw=current)


@bp.route("/draws/<int:draw_id>/record.json")
@login_required
@roles_required(Role.CLERK, Role.DEPT_LEADER, Role.AUDITOR)
def full_record(draw_id: int):
    """The full record of an object draw (seed, strata, salt) for those entitled (docs/draws.md);
    404 for anyone else, as for a draw that does not exist."""
    row = get_visible_or_404(
        Draw, draw_id, lambda actor, d: d.domain == DrawDomain.OBJECT and draw_disclosure.may_download_full(actor, d)
    )
    body = json.dumps(draw_disclosure.full_record(current_actor(), row), ensure_ascii=False)
    db.session.commit()  # the audited download
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f"attachment; filename=draw-{row.id}-full.json"})


@bp.route("/<int:id>/changes", methods=["POST"])
@login_required
@roles_required(Role.CLERK)
def request_change(id: int):
    return _act(
        id,
        lambda u, t: object_draw_changes.request_change(u, t, lock_version=_version(), remove=request.form.getlist("remove"),
                                          add=request.form.get("add", ""), reason=request.form.get("reason", "")),
        "已提交更改申请，等待部门负责人审批",
    )


@bp.route("/<int:id>/changes/decide", methods=["POST"])
@login_required
@roles_required(Role.DEPT_LEADER)
def decide_change(id: int):
    approve = request.form.get("outcome") == "approve"
    return _act(
        id,
        lambda u, t: object_draw_changes.decide_change(u, t, lock_version=_version(), approve=approve,
                                         comment=request.form.get("comment", "")),
        "已批准更改，检查对象名单已更正" if approve else "未批准该更改申请",
    )


# ------------------------------------------------------------------ grade-ratio defaults


@bp.route("/ratios", methods=["GET", "POST"])
@login_required
@roles_required(*svc.RATIO_ROLES)
def ratios():
    me = current_actor()
    error, field, status = "", "", 200
    values = {f"ratio_{s}": svc.fmt_ratio(r) for s, r in svc.default_ratios(me.department).items()}
    if request.method == "POST":
        values = {f"ratio_{s}": request.form.get(f"ratio_{s}", "") for s in svc.STRATA}
        try:
            svc.save_grade_ratios(me, request.form)
        except ServiceError as exc:
            db.session.rollback()
            error, field, status = exc.message, exc.field or "", exc.status
        else:
            db.session.commit()
            flash("已保存本部门的抽查比例默认值", "success")
            return redirect(url_for("tasks.ratios"))
    return render_template(
        "tasks/ratios.html", values=values, error=error, error_field=field, strata=svc.STRATA,
        stratum_label=svc.stratum_label, warnings=svc.ratio_warnings(svc.default_ratios(me.department)),
    ), status
