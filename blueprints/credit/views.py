"""/credit: 信用风险分类 (seed 002 §四; docs/credit.md) — the scorecards and their editor with
the change history, and the setting of which grade a registry's draws use.  Grades are internal:
only the roles that see grades (services/dossier.GRADE_ROLES) open these pages; nothing here is
public.  The entity's grades, breakdown and history are a partial of the dossier
(``credit_panel`` below, templates/credit/_dossier_grade.html)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from blueprints.common import current_actor
from blueprints.web import roles_required
from infrastructure.errors import ServiceError
from models import MarketEntity, db
from services.credit import cards, grades
from services.dossier import GRADE_ROLES

bp = Blueprint("credit", __name__, url_prefix="/credit")


@bp.app_template_global()
def credit_panel(entity: MarketEntity) -> Any:
    """The grades of ``entity`` for the signed-in user, None when they may not see grades."""
    return grades.panel(current_actor(), entity)


@bp.route("/cards")
@login_required
@roles_required(*GRADE_ROLES)
def cards_index():
    """信用风险评分卡: the cards in matching order."""
    configs = cards.load_cards()
    return render_template("credit/cards.html", configs=configs, groups=cards.GROUPS,
                           versions={k: cards.card_version(k) for k in configs},
                           may_edit=cards.can_edit(current_actor()))


@bp.route("/cards/<kind>", methods=["GET", "POST"])
@login_required
@roles_required(*GRADE_ROLES)
def card(kind: str):
    """One card in the editor (read-only for those who may not edit) with its versions."""
    key = kind
    if key not in cards.DEFAULTS:
        abort(404)
    me = current_actor()
    config = cards.load_cards()[key]
    values, error, field, status = cards.form_values(config), "", "", 200
    version = cards.card_version(key)
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in values}
        raw = request.form.get("version", "")
        try:
            cards.save_card(me, key, request.form, version=int(raw) if raw.isdigit() else None)
        except ServiceError as exc:
            db.session.rollback()
            error, field, status = exc.message, exc.field or "", exc.status
        else:
            db.session.commit()
            flash("已保存评分卡，下次评分时生效", "success")
            return redirect(url_for("credit.card", kind=key))
    return render_template(
        "credit/card.html", key=key, values=values, version=version, error=error, error_field=field,
        groups=cards.GROUPS, indicators=cards.INDICATORS, letters=cards.GRADE_LETTERS,
        may_edit=cards.can_edit(me), history=cards.history(key),
    ), status


@bp.route("/basis", methods=["GET", "POST"])
@login_required
@roles_required(*GRADE_ROLES)
def basis():
    """抽查使用的信用风险等级: national, local or the worse of the two, for the user's registry."""
    me = current_actor()
    error, status = "", 200
    if request.method == "POST":
        try:
            changed = grades.set_basis(me, request.form.get("basis", ""))
        except ServiceError as exc:
            db.session.rollback()
            error, status = exc.message, exc.status
        else:
            db.session.commit()
            flash(f"已保存，{changed}户主体的抽查使用等级随之改变", "success")
            return redirect(url_for("credit.basis"))
    return render_template("credit/basis.html", registry=grades.registry_of(me), current=grades.basis_of(me),
                           choices=grades.BASIS_CHOICES, may_set=grades.can_set_basis(me), error=error), status
