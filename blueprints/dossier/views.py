"""/entities/<id>/dossier: 一户一档 on one screen, its timeline filter (an htmx partial) and its
PDF; /persons/<id>: a natural person, the offices held and the 失信 status.

Views load (404 when absent or outside the user's area, as the entity page does), authorize
(403 by role) and render; the rules are in services/dossier.py and services/persons.py.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, abort, render_template, request, send_file
from flask_login import login_required

from blueprints.common import current_actor, get_visible_or_404
from blueprints.menu import may_open
from blueprints.web import is_htmx, roles_required, wants_fragment
from models import MarketEntity, db
from services import dossier as svc
from services import dossier_pdf, inspections, persons
from services.dossier_kinds import TIMELINE_KINDS

bp = Blueprint("dossier", __name__)



def _timeline_context(dossier: svc.Dossier) -> dict[str, Any]:
    flt = svc.parse_filter(request.args)
    found = svc.events(dossier)
    hidden = {s.key for s in dossier.sections if s.hidden}
    kinds = [(k, label) for k, label in TIMELINE_KINDS if k not in hidden]
    return {"events": svc.apply_filter(found, flt), "flt": flt, "kinds": kinds,
            "departments": svc.departments_of(found), "openable": _openable_records(dossier)}


def _openable_records(dossier: svc.Dossier) -> set[int]:
    """The own published records the user may open (their task in scope): only these are links,
    the others would answer 404."""
    me = current_actor()
    if not me.has_role(*inspections.VIEW_ROLES):
        return set()
    return {r.id for r in dossier.records if inspections.record_in_scope(me, r)}


def _page_context() -> dict[str, Any]:
    """A fact the user's own department submitted links to its 信息归集 page (查看/更正)."""
    me = current_actor()
    return {"can_correct": may_open(me, "collection.detail"), "my_department": me.department_id}


def _load(entity_id: int) -> svc.Dossier:
    entity = get_visible_or_404(MarketEntity, entity_id)
    return svc.build(current_actor(), entity)


@bp.route("/entities/<int:entity_id>/dossier")
@login_required
@roles_required(*svc.DOSSIER_ROLES)
def entity(entity_id: int):
    dossier = _load(entity_id)
    from services.daily.objects import supervisors_of

    return render_template("dossier/entity.html", d=dossier, e=dossier.entity, **_page_context(),
                           supervisors=supervisors_of(dossier.entity.id), **_timeline_context(dossier))


@bp.route("/entities/<int:entity_id>/dossier/timeline")
@login_required
@roles_required(*svc.DOSSIER_ROLES)
def timeline(entity_id: int):
    dossier = _load(entity_id)
    context = _timeline_context(dossier)
    if wants_fragment():
        return render_template("dossier/_timeline.html", d=dossier, e=dossier.entity, **context)
    from services.daily.objects import supervisors_of

    return render_template("dossier/entity.html", d=dossier, e=dossier.entity, **_page_context(),
                           supervisors=supervisors_of(dossier.entity.id), **context)


@bp.route("/entities/<int:entity_id>/dossier.pdf")
@login_required
@roles_required(*svc.DOSSIER_ROLES)
def pdf(entity_id: int):
    dossier = _load(entity_id)
    context = _timeline_context(dossier)
    flt = context["flt"]
    department = dict(context["departments"]).get(flt.department_id, "") if flt.department_id else ""
    data = dossier_pdf.dossier_pdf(dossier, context["events"], flt, department)
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True,
                     download_name=f"{dossier.entity.name}_一户一档.pdf")


# ------------------------------------------------------------------ persons


def _person_or_404(person_id: int):
    person = persons.get_visible(current_actor(), person_id)
    if person is None:
        abort(404)
    return person


@bp.route("/persons/<int:person_id>")
@login_required
@roles_required(*svc.DOSSIER_ROLES)
def person(person_id: int):
    view = persons.person_view(current_actor(), _person_or_404(person_id))
    return render_template("dossier/person.html", v=view, p=view.person, revealed="",
                           may_reveal=persons.may_reveal(current_actor()), confidential=svc.sees_confidential(current_actor()))


@bp.route("/persons/<int:person_id>/reveal", methods=["POST"])
@login_required
@roles_required(*persons.REVEAL_ROLES)
def person_reveal(person_id: int):
    found = _person_or_404(person_id)
    number = persons.reveal_id_number(current_actor(), found)
    db.session.commit()
    if is_htmx():
        return render_template("dossier/_id_number.html", p=found, revealed=number, may_reveal=True)
    view = persons.person_view(current_actor(), found)
    return render_template("dossier/person.html", v=view, p=found, revealed=number, may_reveal=True,
                           confidential=svc.sees_confidential(current_actor()))
