"""/tasks/<id>/team: 随机抽取执法人员派发抽查任务 per department, the team with its leader,
replacement with the department head's approval, experts, 组成联合检查组 (表22) and 检查完成;
/inspectors/<inspector_id>/conflicts: 执法回避 declarations; /fairness: 公平性监测.

Views load (404 when absent or outside the user's scope), authorize (403), call a service and
commit once.  A refused action answers with its status (422 invalid, 409 stale or locked, 403)
and the page with the message; the rules are in services/inspector_draws.py and teams.py.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy.exc import IntegrityError

from blueprints.common import current_actor, get_visible_or_404
from blueprints.web import roles_required
from infrastructure.errors import ServiceError
from models import DrawChange, Inspector, InspectorConflict, Task, TeamMember, db
from models.roles import Role
from persistence.scope import in_scope
from services import draw_shortfall as shortfall
from services import fairness, inspection_review, inspector_search, task_access
from services import inspector_draws as draws
from services import teams as svc
from services.team_work import TEAM_WORK_ROLE
from workflows.errors import StaleSubmission
from workflows.registry import get_process

bp = Blueprint("teams", __name__)


def _task_or_404(task_id: int) -> Task:
    return get_visible_or_404(Task, task_id, task_access.in_scope, allowed=lambda actor, _task: svc.can_view(actor))


def _version() -> int | None:
    return request.form.get("version", type=int)


def _cert_text(inspector: Inspector | None) -> str:
    if inspector is None:
        return ""
    start = inspector.cert_valid_from.isoformat() if inspector.cert_valid_from else ""
    end = inspector.cert_valid_to.isoformat() if inspector.cert_valid_to else ""
    return f"{start}至{end}" if start else (f"至{end}" if end else "未登记")


def _filter() -> tuple[int, str, str]:
    """The department whose draw panel shows a speciality/area filter (a refused draw's form or
    ?department_id=…&speciality=…&area=…), and the filter."""
    values = request.values
    return (values.get("department_id", type=int) or 0, values.get("speciality", "").strip()[:100],
            values.get("area", "").strip()[:100])


def _context(task: Task) -> dict[str, Any]:
    me = current_actor()
    filtered, speciality, area = _filter()
    instance = task_access.instance_of(task)
    process = get_process(instance.process_table) if instance else None
    members = draws.active_members(task)
    parts = []
    my_parts = {td.id for td in svc.clerk_parts(me, task)}
    for td in task.departments:
        drawn = draws.current_draw(task, td.department_id)
        can_draw = td.id in my_parts and draws.can_draw(me, task, td)
        spec, where = (speciality, area) if filtered == td.department_id else ("", "")
        short = shortfall.shortfall(task, td, speciality=spec, area=where) if can_draw else None
        parts.append({
            "td": td,
            "initiator": task_access.is_initiator(task, td),
            "draw": drawn,
            "members": [m for m in members if m.department_id == td.department_id],
            "can_draw": can_draw,
            "can_dispatch": td.id in my_parts and draws.can_dispatch(me, task, td),
            "eligibility": (short.found if short else draws.eligibility(task, td, speciality=spec, area=where))
            if can_draw else None,
            "filter": {"speciality": spec, "area": where},
            "shortfall": short,
            "specialities": inspector_search.speciality_choices(me) if can_draw else [],
        })
    replaced = [m for m in task_members_all(task) if not m.active and m.change_id]
    requestable = {m.id: svc.replacement_candidates(task, m) for m in members
                   if m.inspector_id and svc.can_request(me, m) and instance is not None
                   and instance.status.value == "active"}
    me_member = task_access.member_of(me, task)
    return {
        "task": task,
        "instance": instance,
        "process": process,
        "step_name": process.step_name(instance.current_step) if process and instance and instance.current_step else "",
        "parts": parts,
        "members": members,
        "replaced": replaced,
        "changes": [(c, svc.change_details(c), svc.can_decide(me, c)) for c in svc.changes(task)],
        "count_requests": [(c, shortfall.request_details(task, c), shortfall.can_decide(me, task, c))
                           for c in shortfall.requests(task)],
        "can_request_counts": shortfall.can_request(me, task),
        "undrawn": [td for td in task.departments if draws.current_draw(task, td.department_id) is None],
        "requestable": requestable,
        "reasons": svc.REPLACEMENT_REASONS,
        "experts": svc.expert_choices(me, task) if instance is not None else [],
        "me_member": me_member,
        "team_item": svc.my_item(me, task, draws.TEAM_STEP),
        "inspect_item": svc.my_item(me, task, draws.INSPECT_STEP),
        "unconfirmed": svc.unconfirmed(task),
        "cert_text": _cert_text,
        "on_site": draws.needs_on_site_pair(task),
        "methods": "、".join(draws.methods_of(task)),
        "can_declare": me.has_role(Role.CLERK),
        "task_url": _task_url(task),
    }


def task_members_all(task: Task) -> list[TeamMember]:
    return list(db.session.query(TeamMember).filter(TeamMember.task_id == task.id).order_by(TeamMember.id))


def _task_url(task: Task) -> str | None:
    from flask import current_app

    for endpoint in ("tasks.detail", "tasks.task", "tasks.show"):
        if endpoint in current_app.view_functions:
            return url_for(endpoint, id=task.id)
    return None


def _page(task: Task, status: int = 200) -> Any:
    return render_template("teams/page.html", **_context(task)), status


def _act(task: Task, action: Any, success: str, back: str | None = None) -> Any:
    """Run a service action; commit and go back to the page, or show why not with its status."""
    try:
        action()
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        flash("该部门已抽取执法人员，抽取结果已锁定", "error")
        return _page(task, 409)
    except ServiceError as exc:
        db.session.rollback()
        if exc.status == 404:
            abort(404)
        flash(exc.message, "error")
        return _page(task, exc.status)
    flash(success, "success")
    return redirect(back or url_for("teams.page", id=task.id))


def _stale(task: Task) -> None:
    draws.stale_guard(task_access.instance_of(task), _version())


def _lock_version() -> int | None:
    return request.form.get("lock_version", type=int)


def _stale_task(task: Task) -> None:
    """A form that shows the task's counts carries its lock_version (changed by a count change)."""
    lock_version = _lock_version()
    if lock_version is not None and lock_version != task.lock_version:
        raise StaleSubmission()


# ------------------------------------------------------------------ the team page


@bp.route("/tasks/<int:id>/team")
@login_required
def page(id: int):
    return _page(_task_or_404(id))


@bp.route("/tasks/<int:id>/team/draw", methods=["POST"])
@login_required
@roles_required(Role.CLERK)
def draw(id: int):
    task = _task_or_404(id)
    department_id = request.form.get("department_id", type=int) or 0

    def run() -> None:
        _stale(task)
        _stale_task(task)
        draws.draw_inspectors(current_actor(), task, department_id, speciality=request.form.get("speciality", ""),
                              area=request.form.get("area", ""))

    return _act(task, run, "已随机抽取执法人员，抽取结果已锁定")


@bp.route("/tasks/<int:id>/team/count", methods=["POST"])
@login_required
@roles_required(Role.CLERK)
def lower_count(id: int):
    """降低本部门抽取人数 (services/draw_shortfall)."""
    task = _task_or_404(id)
    department_id, speciality, area = _filter()
    back = url_for("teams.page", id=task.id, department_id=department_id, speciality=speciality or None,
                   area=area or None, _anchor=f"part-{department_id}")
    return _act(task, lambda: shortfall.lower_count(
        current_actor(), task, department_id, request.form.get("count"), lock_version=_lock_version(),
        speciality=speciality, area=area), "已降低抽取人数，请随机抽取执法人员", back)


@bp.route("/tasks/<int:id>/team/count-requests", methods=["POST"])
@login_required
@roles_required(Role.CLERK)
def request_counts(id: int):
    """请发起部门调整任务: the 发起部门's head approves."""
    task = _task_or_404(id)
    return _act(task, lambda: shortfall.request_adjustment(current_actor(), task, request.form, lock_version=_lock_version()),
                "已提交抽取人数调整申请，待发起部门负责人审批")


@bp.route("/tasks/<int:id>/team/count-requests/<int:change_id>", methods=["POST"])
@login_required
@roles_required(Role.DEPT_LEADER)
def decide_counts(id: int, change_id: int):
    task = _task_or_404(id)
    change = get_visible_or_404(
        DrawChange, change_id, lambda _actor, c: c.task_id == task.id and c.reason_code == shortfall.COUNT_REASON
    )
    approve = request.form.get("decision") == "approve"
    return _act(task, lambda: shortfall.decide_adjustment(
        current_actor(), task, change, approve=approve, comment=request.form.get("comment", ""), lock_version=_lock_version()),
        "已同意调整抽取人数" if approve else "已不同意调整抽取人数")


@bp.route("/tasks/<int:id>/team/dispatch", methods=["POST"])
@login_required
@roles_required(Role.CLERK)
def dispatch(id: int):
    task = _task_or_404(id)
    department_id = request.form.get("department_id", type=int) or 0

    def run() -> None:
        _stale(task)
        draws.dispatch(current_actor(), task, department_id)

    return _act(task, run, "已派发抽查任务")


def _member_or_404(task: Task, member_id: int) -> TeamMember:
    return get_visible_or_404(TeamMember, member_id, lambda _actor, member: member.task_id == task.id)


@bp.route("/tasks/<int:id>/team/members/<int:member_id>/replace", methods=["POST"])
@login_required
@roles_required(Role.CLERK)
def replace(id: int, member_id: int):
    task = _task_or_404(id)
    member = _member_or_404(task, member_id)
    form = request.form
    return _act(
        task,
        lambda: svc.request_replacement(current_actor(), task, member, inspector_id=form.get("inspector_id"),
                                        reason_code=form.get("reason_code", ""), reason=form.get("reason", "")),
        "已提交调整更换申请，待部门负责人审批",
    )


@bp.route("/tasks/<int:id>/team/changes/<int:change_id>", methods=["POST"])
@login_required
@roles_required(Role.DEPT_LEADER)
def decide(id: int, change_id: int):
    task = _task_or_404(id)
    change = get_visible_or_404(DrawChange, change_id, lambda _actor, c: c.task_id == task.id)
    approve = request.form.get("decision") == "approve"
    return _act(
        task,
        lambda: svc.decide_replacement(current_actor(), task, change, approve=approve, comment=request.form.get("comment", "")),
        "已同意更换" if approve else "已不同意更换",
    )


@bp.route("/tasks/<int:id>/team/experts", methods=["POST"])
@login_required
@roles_required(Role.CLERK)
def add_expert(id: int):
    task = _task_or_404(id)
    return _act(task, lambda: svc.add_expert(current_actor(), task, request.form.get("aux_id")), "已邀请辅助人员参与检查")


@bp.route("/tasks/<int:id>/team/members/<int:member_id>/remove", methods=["POST"])
@login_required
@roles_required(Role.CLERK)
def remove_expert(id: int, member_id: int):
    task = _task_or_404(id)
    member = _member_or_404(task, member_id)
    return _act(task, lambda: svc.remove_expert(current_actor(), task, member), "已移出辅助人员")


@bp.route("/tasks/<int:id>/team/confirm", methods=["POST"])
@login_required
@roles_required(TEAM_WORK_ROLE)
def confirm(id: int):
    task = _task_or_404(id)

    def run() -> None:
        _stale(task)
        svc.confirm(current_actor(), task)

    return _act(task, run, "已确认参加联合检查组")


@bp.route("/tasks/<int:id>/team/form", methods=["POST"])
@login_required
@roles_required(TEAM_WORK_ROLE)
def form_team(id: int):
    task = _task_or_404(id)

    def run() -> None:
        _stale(task)
        svc.form_team(current_actor(), task)

    return _act(task, run, "已组成联合检查组")


@bp.route("/tasks/<int:id>/team/finish", methods=["POST"])
@login_required
@roles_required(TEAM_WORK_ROLE)
def finish(id: int):
    task = _task_or_404(id)

    def run() -> None:
        _stale(task)
        inspection_review.finish_inspection(current_actor(), task)

    return _act(task, run, "已确认检查完成")


# ------------------------------------------------------------------ 执法回避


def _inspector_or_404(inspector_id: int) -> Inspector:
    return get_visible_or_404(Inspector, inspector_id, lambda actor, found: in_scope(actor, found) and found.active)


@bp.route("/inspectors/<int:inspector_id>/conflicts", methods=["GET", "POST"])
@login_required
@roles_required(Role.CLERK, Role.DEPT_LEADER)
def conflicts(inspector_id: int):
    inspector = _inspector_or_404(inspector_id)
    me = current_actor()
    status = 200
    candidates: list[Any] = []
    query = request.values.get("entity", "").strip()
    if request.method == "POST":
        if not svc.can_declare(me, inspector):
            abort(403)
        try:
            svc.declare_conflict(me, inspector, entity_id=request.form.get("entity_id"), entity=query,
                                 reason=request.form.get("reason", ""))
            db.session.commit()
            flash("已申报回避", "success")
            return redirect(url_for("teams.conflicts", inspector_id=inspector.id))
        except ServiceError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            status = exc.status
            if query:
                candidates = svc.find_entity(me, query).candidates
    return render_template(
        "teams/conflicts.html", inspector=inspector, conflicts=svc.conflicts_of(inspector),
        can_declare=svc.can_declare(me, inspector), candidates=candidates, query=query,
        reason=request.form.get("reason", ""),
    ), status


@bp.route("/inspectors/<int:inspector_id>/conflicts/<int:conflict_id>/revoke", methods=["POST"])
@login_required
@roles_required(Role.CLERK)
def revoke_conflict(inspector_id: int, conflict_id: int):
    inspector = _inspector_or_404(inspector_id)
    conflict = get_visible_or_404(InspectorConflict, conflict_id, lambda _actor, c: c.inspector_id == inspector.id)
    svc.revoke_conflict(current_actor(), conflict)
    db.session.commit()
    flash("已撤销回避申报", "success")
    return redirect(url_for("teams.conflicts", inspector_id=inspector.id))


# ------------------------------------------------------------------ 公平性监测


@bp.route("/fairness", endpoint="fairness")
@login_required
@roles_required(*fairness.VIEW_ROLES)
def fairness_page():
    me = current_actor()
    years = fairness.parse_years(request.args.get("years", fairness.DEFAULT_YEARS))
    return render_template(
        "teams/fairness.html",
        years=years,
        entities=fairness.entity_frequency(me, request.args.get("page", 1, type=int) or 1),
        inspectors=fairness.inspector_frequency(me, years),
        never=fairness.never_drawn(me, years, request.args.get("never_page", 1, type=int) or 1),
        rule=fairness.RULE,
    )
