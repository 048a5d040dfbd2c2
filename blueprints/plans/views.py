"""/plans: 抽查计划 — the list (with the annual-plan warning and the A.2.1 / D.1 exports), 新建
(表19 with its 抽查计划文件, 表21 from the initiator's joint items), and the plan's page where
every step of 表19 and 表21 is done, and a published plan is split into tasks.

Views load (404 when absent or not visible to the user), authorize (403), call
services/plans.py and commit once.  A step form that fails shows the plan's page again with
the message and its status (422 input, 403 not the user's, 409 stale).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import login_required

from blueprints.common import current_actor, get_visible_or_404
from blueprints.web import render_block, roles_required, wants_fragment
from infrastructure.errors import ServiceError
from infrastructure.excel import XLSX_MIME
from models import Plan, PlanKind, PlanStatus, PlanType, User, db
from services import plan_elements, plan_export, plan_queries, tasks
from services import plans as svc
from services.templates_catalogue import IMPLEMENTATION_LEVELS, INSPECTION_METHODS
from workflows.registry import PROCESSES, get_process

bp = Blueprint("plans", __name__, url_prefix="/plans")


def _plan_or_404(ident: int) -> Plan:
    return get_visible_or_404(Plan, ident, plan_queries.can_view)


def _elements_form() -> dict[str, Any]:
    form = request.form
    return {
        **{k: form.get(k, "") for k in (
            "name", "year", "plan_type", "objects", "ratio", "sample_size", "start_date", "end_date", "note"
        )},
        "methods": form.getlist("methods"),
        "levels": form.getlist("levels"),
    }


def _upload(name: str = "document") -> plan_elements.Upload | None:
    file = request.files.get(name)
    if file is None or not file.filename:
        return None
    return plan_elements.Upload(file.filename, file.read(plan_elements.MAX_DOCUMENT_BYTES + 1))


def _choices() -> dict[str, Any]:
    return {"methods": INSPECTION_METHODS, "levels": IMPLEMENTATION_LEVELS, "plan_types": list(PlanType)}


def _can_export(user: User) -> bool:
    return user.has_role(*plan_queries.VIEW_ROLES)


# ------------------------------------------------------------------ list


@bp.route("/")
@login_required
@roles_required(*plan_queries.VIEW_ROLES)
def index():
    me = current_actor()
    filters = plan_queries.parse_filters(request.args)
    page = db.paginate(plan_queries.list_query(me, filters), per_page=plan_queries.PER_PAGE, error_out=False)
    context = {
        "page": page,
        "steps": plan_queries.current_steps(page.items),
        "filters": filters,
        "args": filters.as_args(),
        "kinds": list(PlanKind),
        "statuses": list(PlanStatus),
        "types": list(PlanType),
    }
    if wants_fragment():
        return render_block("plans/index.html", "results", **context)
    return render_template(
        "plans/index.html",
        warning=plan_queries.annual_plan_warning(me),
        can_edit=me.has_role(*plan_queries.EDIT_ROLES),
        year=filters.year or plan_queries.today().year,
        **context,
    )


# ------------------------------------------------------------------ 新建


@bp.route("/new", methods=["GET", "POST"])
@login_required
@roles_required(*plan_queries.EDIT_ROLES)
def new():
    me = current_actor()
    kind = request.values.get("kind", "single")
    if kind not in ("single", "joint"):
        kind = "single"
    values: dict[str, Any] = {"year": plan_queries.today().year, "plan_type": "annual", "methods": [], "levels": []}
    chosen: list[int] = []
    error, field, status = "", "", 200
    if request.method == "POST":
        values = _elements_form()
        chosen = request.form.getlist("items", type=int)
        try:
            if kind == "single":
                plan = svc.create_single(me, values, _upload())
            else:
                plan = svc.create_joint(me, values, request.form.getlist("items"))
        except ServiceError as exc:
            db.session.rollback()
            error, field, status = exc.message, exc.field or "", exc.status
        else:
            db.session.commit()
            flash("已建立抽查计划，请确定抽查要素" if kind == "single" else "已建立联合抽查计划，请征求参与部门意见",
                  "success")
            return redirect(url_for("plans.show", id=plan.id))
    return render_template(
        "plans/new.html",
        kind=kind,
        values=values,
        chosen=chosen,
        joint_items=plan_queries.joint_item_choices(me.department_id) if kind == "joint" else [],
        error=error,
        error_field=field,
        **_choices(),
    ), status


# ------------------------------------------------------------------ one plan


def _tasks_endpoint() -> bool:
    return "tasks.show" in current_app.view_functions


def _show(plan: Plan, *, error: str = "", field: str = "", status: int = 200, values: dict[str, Any] | None = None,
          task_values: dict[str, Any] | None = None):
    me = current_actor()
    inst = plan_queries.active_instance(plan)
    mine = plan_queries.my_steps(me, inst)
    own_party = next((p for p in plan_queries.participants(plan) if p.department_id == me.department_id), None)
    is_owner = plan_queries.is_owner(me, plan)
    return render_template(
        "plans/show.html",
        plan=plan,
        inst=inst,
        process=get_process(inst.process_table) if inst else None,
        mine=mine,
        values=values or plan_elements.elements_of(plan),
        task_values=task_values or {},
        own_party=own_party,
        is_owner=is_owner,
        single_items=plan_queries.single_item_choices(plan.department_id) if "elements" in mine else [],
        chosen_items=(request.form.getlist("items", type=int) if values is not None
                      else [i.id for i in plan_queries.plan_items(plan)]),
        plan_items=plan_queries.plan_items(plan),
        participants=plan_queries.participants(plan),
        return_reason=plan_queries.return_reason(plan),
        tasks=tasks.tasks_of_plan(me, plan),
        can_split=is_owner and plan.status == PlanStatus.PUBLISHED,
        task_link=_tasks_endpoint(),
        instances=plan_queries.instances_of(plan),
        processes=PROCESSES,
        error=error,
        error_field=field,
        **_choices(),
    ), status


@bp.route("/<int:id>")
@login_required
@roles_required(*plan_queries.VIEW_ROLES)
def show(id: int):  # bindings call subject pages with ``id=``
    return _show(_plan_or_404(id))


@bp.route("/<int:id>/document")
@login_required
@roles_required(*plan_queries.VIEW_ROLES)
def document(id: int):
    plan = _plan_or_404(id)
    if not plan.document:
        abort(404)
    return send_file(io.BytesIO(plan.document), mimetype=plan.document_type or "application/octet-stream",
                     as_attachment=True, download_name=plan.document_name or "抽查计划文件")


def _act(ident: int, perform: Callable[[User, Plan, int | None], Any], done: str, *, keep_values: bool = False,
         tasks_form: bool = False):
    """Run one step on the plan's page: commit and go back, or show the page with the error."""
    plan = _plan_or_404(ident)
    version = request.form.get("lock_version", type=int)
    try:
        perform(current_actor(), plan, version)
    except ServiceError as exc:
        db.session.rollback()
        plan = _plan_or_404(ident)
        return _show(plan, error=exc.message, field=exc.field or "", status=exc.status,
                     values=_elements_form() if keep_values else None,
                     task_values=_task_form() if tasks_form else None)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("plans.show", id=ident))


@bp.route("/<int:id>/document", methods=["POST"])
@login_required
@roles_required(*plan_queries.EDIT_ROLES)
def replace_document(id: int):
    return _act(id, lambda u, p, v: svc.replace_document(u, p, v, _upload()), "已更换抽查计划文件")


@bp.route("/<int:id>/elements", methods=["POST"])
@login_required
@roles_required(*plan_queries.EDIT_ROLES)
def elements(id: int):
    return _act(id, lambda u, p, v: svc.fix_elements(u, p, v, _elements_form(), request.form.getlist("items")),
                "已形成抽查计划并公开", keep_values=True)


@bp.route("/<int:id>/consult", methods=["POST"])
@login_required
@roles_required(*plan_queries.EDIT_ROLES)
def consult(id: int):
    return _act(id, svc.consult, "已发送征求意见")


@bp.route("/<int:id>/feedback", methods=["POST"])
@login_required
@roles_required(*plan_queries.EDIT_ROLES)
def feedback(id: int):
    agree = request.form.get("outcome") == "agree"
    return _act(id, lambda u, p, v: svc.feedback(u, p, v, agree, request.form.get("feedback", "")), "已反馈意见")


@bp.route("/<int:id>/form", methods=["POST"])
@login_required
@roles_required(*plan_queries.EDIT_ROLES)
def form(id: int):
    plan = _plan_or_404(id)
    done = "已形成联合双随机抽查计划并公开" if plan.plan_type == PlanType.AD_HOC else "已确认形成联合双随机抽查计划"
    return _act(id, lambda u, p, v: svc.form(u, p, v, _elements_form()), done, keep_values=True)


@bp.route("/<int:id>/submit", methods=["POST"])
@login_required
@roles_required(*plan_queries.EDIT_ROLES)
def submit(id: int):
    return _act(id, svc.submit, "已报联席会议办公室审定")


@bp.route("/<int:id>/review", methods=["POST"])
@login_required
@roles_required(*plan_queries.VIEW_ROLES)
def review(id: int):
    approve = request.form.get("outcome") == "approve"
    return _act(id, lambda u, p, v: svc.review(u, p, v, approve, request.form.get("comment", "")),
                "审定通过，抽查计划已公开" if approve else "已退回发起部门调整")


@bp.route("/<int:id>/adjust", methods=["POST"])
@login_required
@roles_required(*plan_queries.EDIT_ROLES)
def adjust(id: int):
    return _act(id, lambda u, p, v: svc.adjust(u, p, v, _elements_form()), "已调整抽查计划，重新提交审定",
                keep_values=True)


# ------------------------------------------------------------------ 抽查任务


def _task_form() -> dict[str, Any]:
    form = request.form
    counts = {}
    for key in form:
        if key.startswith("inspectors-"):
            dept = key.removeprefix("inspectors-")
            if form.get(f"dept-{dept}") == "on" or key == "inspectors-own":
                counts[dept] = form.get(key, "")
    return {
        **{k: form.get(k, "") for k in ("name", "item_id", "ratio", "start_date", "end_date")},
        "methods": form.getlist("methods"),
        "inspectors": counts,
    }


@bp.route("/<int:id>/tasks", methods=["POST"])
@login_required
@roles_required(*plan_queries.EDIT_ROLES)
def create_task(id: int):
    def perform(user: User, plan: Plan, _version: int | None) -> Any:
        values = _task_form()
        counts = dict(values["inspectors"])
        if "own" in counts:
            counts[str(plan.department_id)] = counts.pop("own")
        values["inspectors"] = counts
        return tasks.create_task(user, plan, values)

    return _act(id, perform, "已制定抽查任务", tasks_form=True)


# ------------------------------------------------------------------ A.2.1 / D.1


def _export_year() -> int:
    year = request.args.get("year", type=int)
    return year if year and 2000 <= year <= 2100 else plan_queries.today().year


def _download(data: bytes, mime: str, name: str) -> Response:
    resp = Response(data, mimetype=mime)
    resp.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return resp


def _a21_plans() -> tuple[list[Plan], int]:
    year = _export_year()
    ids = [i for i in request.args.getlist("ids", type=int) if i]
    return plan_queries.plans_for_export(current_actor(), year, ids, kind=PlanKind.JOINT), year


def _d1_plans() -> tuple[list[Plan], int]:
    year = _export_year()
    return plan_queries.plans_for_export(current_actor(), year, kind=PlanKind.JOINT, plan_type=PlanType.ANNUAL), year


@bp.route("/export/a21.xlsx")
@login_required
@roles_required(*plan_queries.VIEW_ROLES)
def export_a21_xlsx():
    plans, year = _a21_plans()
    return _download(plan_export.a21_xlsx(plans), XLSX_MIME, f"{year}年部门联合抽查计划表（A.2.1）.xlsx")


@bp.route("/export/a21.pdf")
@login_required
@roles_required(*plan_queries.VIEW_ROLES)
def export_a21_pdf():
    plans, year = _a21_plans()
    return _download(plan_export.a21_pdf(plans, f"{year}年"), "application/pdf",
                     f"{year}年部门联合抽查计划表（A.2.1）.pdf")


@bp.route("/export/d1.xlsx")
@login_required
@roles_required(*plan_queries.VIEW_ROLES)
def export_d1_xlsx():
    plans, year = _d1_plans()
    return _download(plan_export.d1_xlsx(plans), XLSX_MIME, f"{year}年度抽查工作计划表（D.1）.xlsx")


@bp.route("/export/d1.pdf")
@login_required
@roles_required(*plan_queries.VIEW_ROLES)
def export_d1_pdf():
    plans, year = _d1_plans()
    return _download(plan_export.d1_pdf(plans, f"{year}年度"), "application/pdf",
                     f"{year}年度抽查工作计划表（D.1）.pdf")
