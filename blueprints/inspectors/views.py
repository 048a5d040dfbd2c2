"""/inspectors: 执法检查人员名录库 — the list with its filters, an entry's page, 表17 新增 (the
form: 非模板导入; 按模板导入 is the inspectors kind of /imports, services/imports/inspectors.py),
判断是否分配角色, 表18 修改/删除, and the
auxiliary pool (专家、检验检测机构、科研院所).

Views load (404 when absent, deleted or outside the user's subtree), authorize (403), call a
service and commit once; the rules are in services/inspectors.py and inspector_enrolment.py.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from blueprints.common import current_actor, get_visible_or_404
from blueprints.inspectors.forms import AuxiliaryForm, DeleteForm, InspectorForm
from blueprints.web import render_block, roles_required, wants_fragment
from infrastructure.errors import Invalid
from models import Inspector, User, db
from models.inspectors import AuxiliaryInspector, AuxiliaryKind, DutyStatus
from persistence.audit import action_label
from persistence.scope import in_scope
from services import inspector_enrolment, inspector_search
from services import inspectors as svc
from services.templates_catalogue import INSPECTOR_CATEGORIES
from workflows.registry import PROCESSES

bp = Blueprint("inspectors", __name__, url_prefix="/inspectors")

VIEWERS = svc.VIEW_ROLES
EDITORS = svc.EDIT_ROLES


def _active(actor: User, entry: Inspector | AuxiliaryInspector) -> bool:
    """An entry in scope and not deleted (a deleted one is 404, as an absent one)."""
    return in_scope(actor, entry) and entry.active


def _entry_or_404(inspector_id: int) -> Inspector:
    return get_visible_or_404(Inspector, inspector_id, _active)


# ------------------------------------------------------------------ list


def _list_context() -> dict[str, Any]:
    me = current_actor()
    filters = inspector_search.parse_filters(me, request.args)
    page = inspector_search.search(me, filters, request.args.get("page", 1, type=int) or 1)
    return {
        "page": page,
        "filters": filters,
        "args": filters.as_args(),
        "departments": svc.departments_for(me),
        "duties": list(DutyStatus),
        "categories": INSPECTOR_CATEGORIES,
        "cert_states": inspector_search.CERT_STATES,
        "specialities": inspector_search.speciality_choices(me),
        "cert_state": inspector_search.cert_state,
        "can_edit": svc.can_edit(me),
    }


@bp.route("/")
@login_required
@roles_required(*VIEWERS)
def index():
    context = _list_context()
    if wants_fragment():
        return render_block("inspectors/index.html", "results", **context)
    return render_template("inspectors/index.html", **context)


@bp.route("/subject")
@login_required
@roles_required(*VIEWERS)
def subject():
    """A process instance's link to its subject (workflows.bindings calls it with ``id=``)."""
    ident = request.args.get("id", type=int)
    if ident is None:
        abort(404)
    inspector = get_visible_or_404(Inspector, ident)
    if not inspector.active:
        flash("该执法检查人员已从名录库删除", "info")
        return redirect(url_for("inspectors.index"))
    return redirect(url_for("inspectors.detail", inspector_id=inspector.id))


# ------------------------------------------------------------------ one entry


def _summary_items(summary: str) -> list[tuple[str, str]]:
    """An audit summary as (key, text) pairs; a change [old, new] reads "old → new"."""
    try:
        data = json.loads(summary)
    except ValueError:
        return [("", summary)] if summary else []
    if not isinstance(data, dict):
        return [("", str(data))]
    items = []
    for key, value in data.items():
        if isinstance(value, list) and len(value) == 2:
            old, new = (v if v not in (None, "") else "（空）" for v in value)
            items.append((key, f"{old} → {new}"))
        else:
            items.append((key, str(value)))
    return items


@bp.route("/<int:inspector_id>")
@login_required
@roles_required(*VIEWERS)
def detail(inspector_id: int):
    me = current_actor()
    inspector = _entry_or_404(inspector_id)
    events = [(e, action_label(e.action), _summary_items(e.summary)) for e in svc.history(inspector)]
    return render_template(
        "inspectors/detail.html",
        inspector=inspector,
        cert=inspector_search.cert_state(inspector),
        cert_states=inspector_search.CERT_STATES,
        instances=svc.instances_of(me, inspector),
        processes=PROCESSES,
        events=events,
        role_step=inspector_enrolment.role_step(me, inspector) if svc.can_edit(me) else None,
        can_edit=svc.can_edit(me),
    )


def _form(inspector: Inspector | None = None) -> InspectorForm:
    form = InspectorForm()
    form.set_departments(svc.departments_for(current_actor()))
    if request.method == "GET" and inspector is not None:
        form.fill(inspector)
    return form


def _check(form: InspectorForm, inspector: Inspector | None = None) -> bool:
    """Field rules shown under their fields before the service runs (an entry imported from
    C.1 without ID number may stay without one)."""
    dept = svc.pick_department(current_actor(), form.department_id.data)
    id_required = inspector is None or inspector.id_number is not None
    _values, errors = svc.check_values(form.raw(), dept, id_required=id_required)
    form.attach(errors)
    return not errors


@bp.route("/new", methods=["GET", "POST"])
@login_required
@roles_required(*EDITORS)
def create():
    """表17 非模板导入: the form; the platform then matches or opens the account."""
    form = _form()
    if request.method == "GET":
        form.department_id.data = str(current_actor().department_id)
        form.duty.data = DutyStatus.ON.value
    status = 200
    if form.validate_on_submit() and _check(form):
        try:
            result = inspector_enrolment.create_inspector(current_actor(), form.raw())
        except Invalid as exc:
            db.session.rollback()
            form.attach({exc.field or "name": exc.message})
            status = 400
        else:
            db.session.commit()
            return render_template("inspectors/added.html", results=[result], issued=result.issued, result=None)
    elif request.method == "POST":
        status = 400
    return render_template("inspectors/form.html", form=form, inspector=None), status


@bp.route("/<int:inspector_id>/role", methods=["POST"])
@login_required
@roles_required(*EDITORS)
def role(inspector_id: int):
    """判断是否分配角色 → 分配角色 or end."""
    inspector = _entry_or_404(inspector_id)
    assign = request.form.get("assign") == "yes"
    inspector_enrolment.decide_role(current_actor(), inspector, assign=assign)  # an Invalid becomes the 400 page
    db.session.commit()
    flash("已分配执法人员角色" if assign else "已结束：不分配角色", "success")
    return redirect(url_for("inspectors.detail", inspector_id=inspector.id))


@bp.route("/<int:inspector_id>/edit", methods=["GET", "POST"])
@login_required
@roles_required(*EDITORS)
def edit(inspector_id: int):
    """表18 修改执法检查人员: everything but role and permission."""
    inspector = _entry_or_404(inspector_id)
    form = _form(inspector)
    status = 200
    if request.method == "POST":
        form.keep_personal_data(inspector)
    if form.validate_on_submit() and _check(form, inspector):
        try:
            changes = svc.update_inspector(current_actor(), inspector, form.raw())
        except Invalid as exc:
            db.session.rollback()
            form.attach({exc.field or "name": exc.message})
            status = 400
        else:
            db.session.commit()
            flash("已保存修改" if changes else "没有修改", "success" if changes else "info")
            return redirect(url_for("inspectors.detail", inspector_id=inspector.id))
    elif request.method == "POST":
        status = 400
    if status != 200 or request.method == "GET":
        form.id_number.data = "" if form.id_number.data == inspector.id_number else form.id_number.data
        form.mobile.data = "" if form.mobile.data == inspector.mobile else form.mobile.data
    return render_template("inspectors/form.html", form=form, inspector=inspector), status


@bp.route("/<int:inspector_id>/delete", methods=["GET", "POST"])
@login_required
@roles_required(*EDITORS)
def delete(inspector_id: int):
    """确认是否删除 → 删除执法检查人员, choosing what goes with the entry."""
    inspector = _entry_or_404(inspector_id)
    form = DeleteForm()
    status = 200
    if form.validate_on_submit():
        try:
            svc.delete_inspector(current_actor(), inspector, form.scope.data or "")
        except Invalid as exc:
            db.session.rollback()
            form.scope.errors = [exc.message]
            status = 400
        else:
            name = inspector.name
            db.session.commit()
            flash(f"已删除执法检查人员“{name}”（{svc.DELETE_SCOPES[form.scope.data]}）", "success")
            return redirect(url_for("inspectors.index"))
    elif request.method == "POST":
        status = 400
    refusals = {scope: svc.delete_refusal(current_actor(), inspector, scope) for scope in svc.DELETE_SCOPES}
    return render_template("inspectors/delete.html", inspector=inspector, form=form, refusals=refusals), status


# ------------------------------------------------------------------ 辅助检查人员库


@bp.route("/auxiliary")
@login_required
@roles_required(*VIEWERS)
def auxiliary():
    kind = request.args.get("kind", "")
    rows = list(db.session.execute(svc.aux_query(current_actor(), kind)).scalars())
    return render_template(
        "inspectors/auxiliary.html", rows=rows, kinds=list(AuxiliaryKind), kind=kind, can_edit=svc.can_edit(current_actor())
    )


def _aux_or_404(aux_id: int) -> AuxiliaryInspector:
    return get_visible_or_404(AuxiliaryInspector, aux_id, _active)


def _save_aux(entry: AuxiliaryInspector | None):
    form = AuxiliaryForm()
    if request.method == "GET" and entry is not None:
        form.fill(entry)
    status = 200
    if form.validate_on_submit():
        try:
            svc.save_auxiliary(current_actor(), form.raw(), entry)
        except Invalid as exc:
            db.session.rollback()
            field = getattr(form, exc.field or "name", form.name)
            field.errors = [*field.errors, exc.message]
            status = 400
        else:
            db.session.commit()
            flash("已保存", "success")
            return redirect(url_for("inspectors.auxiliary"))
    elif request.method == "POST":
        status = 400
    return render_template("inspectors/auxiliary_form.html", form=form, entry=entry), status


@bp.route("/auxiliary/new", methods=["GET", "POST"])
@login_required
@roles_required(*EDITORS)
def auxiliary_new():
    return _save_aux(None)


@bp.route("/auxiliary/<int:aux_id>/edit", methods=["GET", "POST"])
@login_required
@roles_required(*EDITORS)
def auxiliary_edit(aux_id: int):
    return _save_aux(_aux_or_404(aux_id))


@bp.route("/auxiliary/<int:aux_id>/delete", methods=["POST"])
@login_required
@roles_required(*EDITORS)
def auxiliary_delete(aux_id: int):
    entry = _aux_or_404(aux_id)
    svc.delete_auxiliary(current_actor(), entry)
    db.session.commit()
    flash(f"已删除“{entry.name}”", "success")
    return redirect(url_for("inspectors.auxiliary"))


