"""/items: 抽查事项清单 (单部门, DB5101 表7–表11) — the list with its filters, an item's page
with its publications and process instances, 新增/编辑/删除/指派 forms, the city list to claim
from (认领), and the import of template A.1.1.

Views load (404 when absent or outside the user's scope), authorize (403), call a service
(services/items.py; the A.1.1 import: services/imports/check_items.py) and commit once.  The processes 表7–表11 are bound
to these pages (services/process_wiring.py): their generic start pages lead here.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from blueprints.common import current_actor, get_visible_or_404
from blueprints.web import render_block, roles_required, wants_fragment
from infrastructure.errors import Invalid
from models import CheckItem, ItemCategory, db
from services import item_claims
from services import items as svc
from services import publication as pub
from workflows.registry import PROCESSES

bp = Blueprint("items", __name__, url_prefix="/items")

ROLES = svc.VIEW_ROLES


def _item_or_404(item_id: int) -> CheckItem:
    return get_visible_or_404(CheckItem, item_id, svc.is_visible)


def _manageable_or_404(item_id: int) -> CheckItem:
    return get_visible_or_404(CheckItem, item_id, svc.is_visible, allowed=svc.can_manage)


def _version() -> int | None:
    return request.form.get("version", type=int)


def _raw() -> dict[str, Any]:
    form = request.form
    raw: dict[str, Any] = {key: form.get(key, "") for key in svc.TITLES}
    raw["methods"] = form.getlist("methods")
    raw["levels"] = form.getlist("levels")
    return raw


def _form_context(values: dict[str, Any], errors: dict[str, str], item: CheckItem | None) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors,
        "item": item,
        "titles": svc.TITLES,
        "categories": list(ItemCategory),
        "methods": svc.METHODS,
        "levels": svc.LEVELS,
    }


# ------------------------------------------------------------------ list


@bp.route("/")
@login_required
@roles_required(*ROLES)
def index():
    me = current_actor()
    filters = svc.parse_filters(request.args)
    page = db.paginate(svc.list_query(me, filters), per_page=30, error_out=False)
    context = {
        "page": page,
        "filters": filters,
        "args": filters.as_args(),
        "categories": list(ItemCategory),
        "statuses": svc.STATUS_FILTERS,
        "domains": svc.domains(me),
        "departments": svc.scope_departments(me),
        "can_edit": svc.can_edit(me),
        "can_claim": item_claims.can_claim(me),
        "me": me,
    }
    if wants_fragment():
        return render_block("items/index.html", "results", **context)
    return render_template("items/index.html", **context)


@bp.route("/<int:id>")
@login_required
@roles_required(*ROLES)
def detail(id: int):
    me = current_actor()
    item = _item_or_404(id)
    return render_template(
        "items/detail.html",
        item=item,
        publications=pub.history(svc.SUBJECT_TYPE, item.id),
        instances=svc.instances_of(item),
        claims=[c for c in item_claims.claims_of(item) if c.department.is_within(me.department)],
        processes=PROCESSES,
        can_manage=svc.can_manage(me, item),
        source_visible=item.source is not None,
    )


# ------------------------------------------------------------------ 表7 新增


@bp.route("/new", methods=["GET", "POST"])
@login_required
@roles_required(*ROLES)
def create():
    me = current_actor()
    if not svc.can_edit(me):
        abort(403)
    values: dict[str, Any] = {"methods": [], "levels": [], "category": ""}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values = _raw()
        try:
            item = svc.create_item(me, values)
        except svc.ItemInvalid as exc:
            db.session.rollback()
            errors, status = exc.errors, 400
        else:
            db.session.commit()
            flash(f"已新增并公布抽查事项“{item.name}”", "success")
            return redirect(url_for("items.detail", id=item.id))
    return render_template("items/form.html", **_form_context(values, errors, None)), status


# ------------------------------------------------------------------ 表8 编辑


@bp.route("/<int:id>/edit", methods=["GET", "POST"])
@login_required
@roles_required(*ROLES)
def edit(id: int):
    me = current_actor()
    item = _manageable_or_404(id)
    values = svc.form_values(item)
    version = item.version
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values = _raw()
        version = _version() if _version() is not None else -1
        try:
            changes = svc.edit_item(me, item, values, version=version)
        except svc.ItemInvalid as exc:
            db.session.rollback()
            errors, status = exc.errors, 400
        else:
            db.session.commit()
            if changes:
                flash(f"已保存并重新公布（第{item.version}版）", "success")
            else:
                flash("没有修改", "info")
            return redirect(url_for("items.detail", id=item.id))
    context = _form_context(values, errors, item)
    context["version"] = version
    return render_template("items/form.html", **context), status


# ------------------------------------------------------------------ 表9 删除


@bp.route("/<int:id>/delete", methods=["GET", "POST"])
@login_required
@roles_required(*ROLES)
def delete(id: int):
    me = current_actor()
    item = _manageable_or_404(id)
    if request.method == "POST":
        name = item.name
        svc.delete_item(me, item, version=_version(), reason=request.form.get("reason", ""))
        db.session.commit()
        flash(f"已删除抽查事项“{name}”，并已从公开清单撤下", "success")
        return redirect(url_for("items.index"))
    return render_template("items/delete.html", item=item, claims=item_claims.claims_of(item))


# ------------------------------------------------------------------ 表11 指派


@bp.route("/<int:id>/assign", methods=["GET", "POST"])
@login_required
@roles_required(*ROLES)
def assign(id: int):
    me = current_actor()
    item = _manageable_or_404(id)
    targets = item_claims.assign_targets(item)
    error, status = "", 200
    if request.method == "POST":
        try:
            item_claims.assign_item(me, item, request.form.get("department_id", type=int), version=_version())
        except Invalid as exc:
            db.session.rollback()
            db.session.refresh(item)
            error, status = exc.message, 400
        else:
            db.session.commit()
            flash(f"已将抽查事项指派给{item.assigned_department.name if item.assigned_department else ''}", "success")
            return redirect(url_for("items.detail", id=item.id))
    return render_template("items/assign.html", item=item, targets=targets, error=error), status


# ------------------------------------------------------------------ 表10 认领


@bp.route("/claim")
@login_required
@roles_required(*ROLES)
def claim_list():
    me = current_actor()
    if not item_claims.can_claim(me):
        flash("认领适用于区（市）县监管部门：从市级抽查事项清单中选择本部门实施的事项", "info")
    page = db.paginate(item_claims.city_list_query(me), per_page=50, error_out=False)
    return render_template(
        "items/claim.html", page=page, claimed=item_claims.claimed_ids(me), can_claim=item_claims.can_claim(me)
    )


@bp.route("/claim/<int:id>", methods=["POST"])
@login_required
@roles_required(*ROLES)
def claim(id: int):
    me = current_actor()
    source = item_claims.claimable(me, id)
    if source is None:
        abort(404)
    copy = item_claims.claim_item(me, source)
    db.session.commit()
    flash(f"已认领抽查事项“{copy.name}”，已列入本部门清单", "success")
    return redirect(url_for("items.claim_list"))
