"""/joint-items: 部门联合抽查事项清单 — the list, 新增 (表12), the item's page where every step of
表12–表14 is done, the A.1.2 import and 一业一单.

Views load (404 when absent or not visible to the user), authorize (403), call
services/joint_items.py and commit once.  A step form that fails shows the item's page
again with the message and the status (400 input, 403 not the user's, 409 stale).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from blueprints.common import current_actor, get_visible_or_404
from blueprints.web import render_block, roles_required, wants_fragment
from infrastructure.errors import ServiceError
from models import CheckItem, db
from models.items import ItemStatus
from models.roles import Role
from services import joint_item_drafts, joint_item_queries
from services import joint_items as svc
from services.entity_fields import INDUSTRY_SECTIONS
from services.templates_catalogue import IMPLEMENTATION_LEVELS, INSPECTION_METHODS
from workflows.registry import PROCESSES, get_process

bp = Blueprint("joint_items", __name__, url_prefix="/joint-items")


def _item_or_404(joint_id: int) -> CheckItem:
    return get_visible_or_404(CheckItem, joint_id, joint_item_queries.can_view)


def _form_fields() -> dict[str, Any]:
    form = request.form
    return {
        **{k: form.get(k, "") for k in ("name", "objects", "own_tasks", "domain", "industry_code", "basis", "note")},
        "methods": form.getlist("methods"),
        "levels": form.getlist("levels"),
    }


def _choices() -> dict[str, Any]:
    return {
        "methods": INSPECTION_METHODS,
        "levels": IMPLEMENTATION_LEVELS,
        "sections": INDUSTRY_SECTIONS,
    }


# ------------------------------------------------------------------ list


@bp.route("/")
@login_required
@roles_required(*joint_item_queries.VIEW_ROLES)
def index():
    me = current_actor()
    filters = joint_item_queries.parse_filters(request.args)
    page = db.paginate(joint_item_queries.list_query(me, filters), per_page=joint_item_queries.PER_PAGE, error_out=False)
    context = {
        "page": page,
        "steps": joint_item_queries.current_steps(page.items),
        "filters": filters,
        "args": filters.as_args(),
        "statuses": list(ItemStatus),
        "sides": joint_item_queries.SIDES,
    }
    if wants_fragment():
        return render_block("joint_items/index.html", "results", **context)
    return render_template(
        "joint_items/index.html",
        notices=joint_item_queries.deletion_notices(me),
        can_edit=me.has_role(*joint_item_queries.EDIT_ROLES),
        **context,
    )


@bp.route("/industries")
@login_required
@roles_required(*joint_item_queries.VIEW_ROLES)
def industries():
    me = current_actor()
    district = request.args.get("district", type=int)
    return render_template(
        "joint_items/industries.html",
        groups=joint_item_queries.industry_groups(me, district),
        districts=joint_item_queries.districts_of(me),
        district=district,
    )


@bp.route("/open")
@login_required
@roles_required(*joint_item_queries.VIEW_ROLES)
def open_subject():
    """The subject page of a bound instance (bindings call it with ``id=``)."""
    ident = request.args.get("id", type=int)
    if ident is None:
        abort(404)
    item = _item_or_404(ident)
    return redirect(url_for("joint_items.detail", joint_id=item.id))


# ------------------------------------------------------------------ 表12 新增


@bp.route("/new", methods=["GET", "POST"])
@login_required
@roles_required(*joint_item_queries.EDIT_ROLES)
def create():
    me = current_actor()
    values: dict[str, Any] = {"methods": [], "levels": []}
    chosen: list[int] = []
    error, field, status = "", "", 200
    if request.method == "POST":
        values = _form_fields()
        chosen = request.form.getlist("participants", type=int)
        try:
            item = svc.create(me, values, request.form.getlist("participants"))
        except ServiceError as exc:
            db.session.rollback()
            error, field, status = exc.message, exc.field or "", exc.status
        else:
            db.session.commit()
            flash("已新增部门联合抽查事项，请征求参与部门意见", "success")
            return redirect(url_for("joint_items.detail", joint_id=item.id))
    return render_template(
        "joint_items/form.html",
        values=values,
        chosen=chosen,
        candidates=svc.participant_choices(me),
        error=error,
        error_field=field,
        **_choices(),
    ), status


# ------------------------------------------------------------------ one item


def _detail(item: CheckItem, *, error: str = "", status: int = 200):
    me = current_actor()
    inst = joint_item_queries.active_instance(item)
    mine = joint_item_queries.my_steps(me, inst)
    draft = joint_item_drafts.load_draft(item)
    departments = {p.department_id: p.department for p in item.parts}
    missing = [p.department_id for p in draft.parts if p.department_id not in departments]
    if missing:
        from models import Department

        for dept in db.session.query(Department).filter(Department.id.in_(missing)):
            departments[dept.id] = dept
    own_part = draft.part(me.department_id)
    return render_template(
        "joint_items/detail.html",
        item=item,
        inst=inst,
        process=get_process(inst.process_table) if inst else None,
        mine=mine,
        draft=draft,
        live=joint_item_drafts.draft_of_live(item) if item.pending_edit else None,
        departments=departments,
        own_part=own_part,
        own_singles=joint_item_queries.own_single_items(me) if "own_list" in mine else [],
        candidates=svc.participant_choices(me) if "consult" in mine else [],
        is_initiator=joint_item_queries.is_initiator(me, item),
        return_reason=joint_item_queries.return_reason(item),
        delete_reason=joint_item_queries.delete_reason(item),
        edit_reason=joint_item_queries.last_comment(inst, "select") if inst and inst.process_table == joint_item_queries.EDIT else "",
        notified=joint_item_queries.deletion_notified(item),
        instances=joint_item_queries.instances_of(item),
        processes=PROCESSES,
        error=error,
        industry_label=joint_item_drafts.industry_label,
        **_choices(),
    ), status


@bp.route("/<int:joint_id>")
@login_required
@roles_required(*joint_item_queries.VIEW_ROLES)
def detail(joint_id: int):
    return _detail(_item_or_404(joint_id))


def _act(joint_id: int, perform: Any, done: str):
    """Run one step on the item's page: commit and go back, or show the page with the error."""
    item = _item_or_404(joint_id)
    version = request.form.get("version", type=int)
    try:
        perform(current_actor(), item, version)
    except ServiceError as exc:
        db.session.rollback()
        item = _item_or_404(joint_id)
        return _detail(item, error=exc.message, status=exc.status)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("joint_items.detail", joint_id=joint_id))


def _yes(name: str) -> bool:
    return request.form.get(name) == "yes"


@bp.route("/<int:joint_id>/consult", methods=["POST"])
@login_required
@roles_required(*joint_item_queries.EDIT_ROLES)
def consult(joint_id: int):
    return _act(
        joint_id,
        lambda u, i, v: svc.consult(u, i, v, _form_fields(), request.form.getlist("participants")),
        "已发送征求意见",
    )


@bp.route("/<int:joint_id>/participate", methods=["POST"])
@login_required
@roles_required(*joint_item_queries.EDIT_ROLES)
def participate(joint_id: int):
    accept = _yes("outcome")
    return _act(
        joint_id,
        lambda u, i, v: svc.participate(u, i, v, accept, request.form.get("reason", "")),
        "已确认参与，请确定本部门实施清单" if accept else "已反馈不参与意见",
    )


@bp.route("/<int:joint_id>/own-list", methods=["POST"])
@login_required
@roles_required(*joint_item_queries.EDIT_ROLES)
def own_list(joint_id: int):
    return _act(
        joint_id,
        lambda u, i, v: svc.own_list(
            u, i, v, request.form.get("tasks", ""), request.form.getlist("levels"), request.form.getlist("item_ids")
        ),
        "已确定本部门实施清单",
    )


@bp.route("/<int:joint_id>/collect", methods=["POST"])
@login_required
@roles_required(*joint_item_queries.EDIT_ROLES)
def collect(joint_id: int):
    return _act(joint_id, svc.collect, "已归集形成联合实施清单")


@bp.route("/<int:joint_id>/submit", methods=["POST"])
@login_required
@roles_required(*joint_item_queries.EDIT_ROLES)
def submit(joint_id: int):
    return _act(joint_id, svc.submit, "已提交联席会议办公室审定")


@bp.route("/<int:joint_id>/review", methods=["POST"])
@login_required
@roles_required(Role.CONFERENCE_OFFICE)
def review(joint_id: int):
    approve = request.form.get("outcome") == "approve"
    return _act(
        joint_id,
        lambda u, i, v: svc.review(u, i, v, approve, request.form.get("comment", "")),
        "已审定通过" if approve else "已退回发起部门",
    )


@bp.route("/<int:joint_id>/terminate", methods=["POST"])
@login_required
@roles_required(*joint_item_queries.EDIT_ROLES)
def terminate(joint_id: int):
    stop = _yes("outcome")
    return _act(
        joint_id,
        lambda u, i, v: svc.decide_terminate(u, i, v, stop, request.form.get("comment", "")),
        "已终止" if stop else "已退回各部门重新完善本部门实施清单",
    )


@bp.route("/<int:joint_id>/edit", methods=["POST"])
@login_required
@roles_required(*joint_item_queries.EDIT_ROLES)
def edit(joint_id: int):
    """表13 选择拟编辑的抽查事项."""
    return _act(
        joint_id,
        lambda u, i, v: svc.start_edit(u, i, request.form.get("reason", "")),
        "已选择拟编辑的事项：修改后征求参与部门意见，审定通过前公布内容不变",
    )


@bp.route("/<int:joint_id>/delete", methods=["POST"])
@login_required
@roles_required(*joint_item_queries.EDIT_ROLES)
def delete(joint_id: int):
    """表14 选择拟删除的抽查事项 (and, after 退回, 重新选择)."""
    reason = request.form.get("reason", "")
    item = _item_or_404(joint_id)
    inst = joint_item_queries.active_instance(item)
    if inst is not None and inst.process_table == joint_item_queries.DELETE:
        return _act(joint_id, lambda u, i, v: svc.reselect(u, i, v, reason), "已重新选择拟删除的事项")
    return _act(joint_id, lambda u, i, v: svc.start_delete(u, i, reason), "已选择拟删除的事项，请告知参与部门")


@bp.route("/<int:joint_id>/notify", methods=["POST"])
@login_required
@roles_required(*joint_item_queries.EDIT_ROLES)
def notify(joint_id: int):
    return _act(joint_id, svc.notify, "已告知参与部门")


@bp.route("/<int:joint_id>/remove", methods=["POST"])
@login_required
@roles_required(*joint_item_queries.EDIT_ROLES)
def remove(joint_id: int):
    """表14 删除抽查事项 (after 审定通过)."""
    return _act(joint_id, svc.delete, "已删除抽查事项，平台已撤下公布")
