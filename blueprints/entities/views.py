"""/entities: 市场主体库 — the list with its filters, an entity's page (the first version of the
dossier), 登记/修改/删除 and tags.

Views load (404 when absent or outside the user's area), authorize (403), call a service and
commit once; the rules are in services/entities.py.  The import is a kind of the import
framework (services/imports/entities.py, pages under /imports/entities/).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from blueprints.common import current_actor, get_visible_or_404
from blueprints.entities.forms import EntityForm, TagsForm
from blueprints.web import is_htmx, render_block, roles_required, wants_fragment
from infrastructure.errors import Invalid
from models import MarketEntity, db
from models.entity import CREDIT_GRADES, EntityStatus, EntityType
from models.org import DepartmentLevel
from persistence.audit import action_label
from services import entities as svc
from services import entity_fact_filters, entity_fields, entity_search

bp = Blueprint("entities", __name__, url_prefix="/entities")

VIEWERS = svc.VIEW_ROLES
EDITORS = svc.EDIT_ROLES



# ------------------------------------------------------------------ list


def _list_context() -> dict[str, Any]:
    me = current_actor()
    filters = entity_search.parse_filters(request.args)
    after = request.args.get("after", type=int)
    before = request.args.get("before", type=int)
    page = entity_search.search_entities(me, filters, after=after, before=before)
    registries = svc.Registries(me)
    return {
        "page": page,
        "filters": filters,
        "args": filters.as_args(),
        "types": list(EntityType),
        "statuses": list(EntityStatus),
        "grades": CREDIT_GRADES,
        "sections": entity_fields.INDUSTRY_SECTIONS,
        "divisions": registries.choices(),
        "permit_kinds": entity_fact_filters.permit_kinds(),
        "can_edit": svc.can_edit(me),
    }


@bp.route("/")
@login_required
@roles_required(*VIEWERS)
def index():
    context = _list_context()
    if wants_fragment():
        return render_block("entities/index.html", "results", **context)
    return render_template("entities/index.html", **context)


# ------------------------------------------------------------------ one entity


def _entity_or_404(entity_id: int) -> MarketEntity:
    return get_visible_or_404(MarketEntity, entity_id)


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


@bp.route("/<int:entity_id>")
@login_required
@roles_required(*VIEWERS)
def detail(entity_id: int):
    me = current_actor()
    entity = _entity_or_404(entity_id)
    instances = list(db.session.execute(svc.linked_instances_query(me, entity)).scalars())
    events = [(e, action_label(e.action), _summary_items(e.summary)) for e in svc.history(entity)]
    from services.directories import directories_of_entity
    from services.libraries import libraries_of_entity
    from workflows.registry import PROCESSES

    return render_template(
        "entities/detail.html",
        entity=entity,
        libraries=libraries_of_entity(me, entity),
        instances=instances,
        directories=directories_of_entity(me, entity),
        processes=PROCESSES,
        events=events,
        can_edit=svc.can_edit(me),
        tags_form=TagsForm(tags="、".join(entity.tag_names)),
        refusal=svc.delete_refusal(entity),
    )


def _attach(form: EntityForm, exc: Invalid) -> None:
    """Show a service's message under the field it concerns (or as a flash)."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, exc.message]
    else:
        flash(exc.message, "error")


@bp.route("/new", methods=["GET", "POST"])
@login_required
@roles_required(*EDITORS)
def create():
    form = EntityForm()
    if request.method == "GET":
        form.status.data = EntityStatus.ACTIVE.value
        root = svc.Registries(current_actor()).root
        form.division_code.data = root.region_code if root.level == DepartmentLevel.DISTRICT else ""
    status = 200
    if form.validate_on_submit():
        try:
            entity = svc.create_entity(current_actor(), form.raw())
        except Invalid as exc:
            db.session.rollback()
            _attach(form, exc)
            status = 400
        else:
            db.session.commit()
            flash(f"已登记市场主体“{entity.name}”", "success")
            return redirect(url_for("entities.detail", entity_id=entity.id))
    elif request.method == "POST":
        status = 400
    return render_template("entities/form.html", form=form, entity=None), status


@bp.route("/<int:entity_id>/edit", methods=["GET", "POST"])
@login_required
@roles_required(*EDITORS)
def edit(entity_id: int):
    entity = _entity_or_404(entity_id)
    form = EntityForm()
    if request.method == "GET":
        form.fill(entity)
    status = 200
    if form.validate_on_submit():
        try:
            changes = svc.update_entity(current_actor(), entity, form.raw())
        except Invalid as exc:
            db.session.rollback()
            _attach(form, exc)
            status = 400
        else:
            db.session.commit()
            flash("已保存" if changes else "没有修改", "success" if changes else "info")
            return redirect(url_for("entities.detail", entity_id=entity.id))
    elif request.method == "POST":
        status = 400
    return render_template("entities/form.html", form=form, entity=entity), status


@bp.route("/<int:entity_id>/tags", methods=["POST"])
@login_required
@roles_required(*EDITORS)
def tags(entity_id: int):
    entity = _entity_or_404(entity_id)
    form = TagsForm()
    status, error = 200, ""
    if form.validate_on_submit():
        try:
            svc.set_tags(current_actor(), entity, form.tags.data)
        except Invalid as exc:
            db.session.rollback()
            db.session.refresh(entity)
            error, status = exc.message, 400
        else:
            db.session.commit()
    else:
        status, error = 400, "请求有误，请刷新页面后重试"
    if is_htmx():
        return render_template(
            "entities/_tags.html", entity=entity, can_edit=True, tags_form=form, error=error
        ), status
    if error:
        flash(error, "error")
    else:
        flash("已保存标签", "success")
    return redirect(url_for("entities.detail", entity_id=entity.id))


@bp.route("/<int:entity_id>/delete", methods=["GET", "POST"])
@login_required
@roles_required(*EDITORS)
def delete(entity_id: int):
    entity = _entity_or_404(entity_id)
    refusal = svc.delete_refusal(entity)
    if request.method == "POST":  # CSRFProtect has checked the token
        name = entity.name
        svc.delete_entity(current_actor(), entity)  # a Conflict becomes the 409 page
        db.session.commit()
        flash(f"已删除市场主体“{name}”", "success")
        return redirect(url_for("entities.index"))
    return render_template("entities/delete.html", entity=entity, refusal=refusal)
