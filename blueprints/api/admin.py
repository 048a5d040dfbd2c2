"""/admin/api-clients: 接口凭证管理 — a system administrator issues, lists and revokes the
credentials of the 接口调用方 accounts of their subtree.  A new token is shown once, on the
answer to the issuing form (as the initial passwords of admin/password_issued.html), and never
stored (services/api/tokens.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required

from blueprints.common import current_actor
from blueprints.web import roles_required
from infrastructure.errors import Invalid
from models import db, utcnow
from models.roles import Role
from services.api import scopes, tokens

bp = Blueprint("api_clients", __name__, url_prefix="/admin/api-clients")


def _int(name: str) -> int | None:
    raw = (request.form.get(name) or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _page(status: int = 200, errors: dict[str, str] | None = None, values: dict[str, Any] | None = None) -> Any:
    me = current_actor()
    credentials = db.session.execute(tokens.credentials_query(me)).unique().scalars().all()
    defaults = {"days": 365, "rate_limit": current_app.config["API_DEFAULT_RATE_LIMIT"], "scopes": [], "name": "",
                "ip_allow": "", "user_id": None}
    return render_template(
        "api_clients/index.html",
        credentials=credentials,
        clients=db.session.execute(tokens.clients_query(me)).unique().scalars().all(),
        catalogue=scopes.catalogue(),
        state_of=tokens.state_of,
        now=utcnow(),
        errors=errors or {},
        values={**defaults, **(values or {})},
    ), status


@bp.route("/")
@login_required
@roles_required(Role.SYSTEM_ADMIN)
def index():
    return _page()


@bp.route("/issue", methods=["POST"])
@login_required
@roles_required(Role.SYSTEM_ADMIN)
def issue():
    values = {
        "user_id": _int("user_id"), "name": request.form.get("name", ""), "scopes": request.form.getlist("scopes"),
        "days": _int("days"), "rate_limit": _int("rate_limit"), "ip_allow": request.form.get("ip_allow", ""),
    }
    try:
        issued = tokens.issue(current_actor(), **values)
    except Invalid as exc:
        db.session.rollback()
        return _page(400, {exc.field or "": exc.message}, values)
    db.session.commit()
    return render_template("api_clients/issued.html", issued=issued)


@bp.route("/<int:credential_id>/revoke", methods=["POST"])
@login_required
@roles_required(Role.SYSTEM_ADMIN)
def revoke(credential_id: int):
    credential = tokens.revoke(current_actor(), credential_id)
    db.session.commit()
    flash(f"已吊销凭证“{credential.name}”（{credential.token_prefix}…）", "success")
    return redirect(url_for("api_clients.index"))
