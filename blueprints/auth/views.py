"""Sign-in, sign-out and password change."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from blueprints.auth.forms import ChangePasswordForm, LoginForm
from infrastructure.passwords import POLICY_TEXT
from models import db
from persistence import audit, sessions
from services.auth import authenticate, change_password, password_expired

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        result = authenticate(form.account.data, form.password.data)
        db.session.commit()
        if result.user is not None:
            target = _safe_next(request.args.get("next"))
            session.clear()  # a fresh session at every sign-in
            session["sid"] = sessions.start(result.user)
            db.session.commit()
            login_user(result.user)
            session["must_change_password"] = password_expired(result.user)
            if session["must_change_password"]:
                flash("首次登录或密码已过期，请先修改密码", "warning")
                return redirect(url_for("auth.change_password"))
            return redirect(target or url_for("main.index"))
        flash(result.message, "error")
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    audit.record("logout", object_type="user", object_id=current_user.id)
    sessions.end(current_user.id, session.get("sid"), "logout")
    db.session.commit()
    logout_user()
    session.clear()
    flash("您已安全退出", "success")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"], endpoint="change_password")
@login_required
def change_password_view():
    form = ChangePasswordForm()
    errors: list[str] = []
    status = 200
    if form.validate_on_submit():
        errors = change_password(current_user, form.current.data, form.new.data, form.confirm.data)
        if not errors:
            # change_password ended every session of the user; this browser gets a new one.
            user = current_user._get_current_object()
            session.clear()
            session["sid"] = sessions.start(user)
            db.session.commit()
            login_user(user)
            session["must_change_password"] = False
            flash("密码已修改", "success")
            return redirect(url_for("main.index"))
        db.session.commit()  # nothing but the attempt's audit rows, if any
        status = 400
    elif request.method == "POST":
        status = 400
    return render_template("auth/password.html", form=form, errors=errors, policy=POLICY_TEXT), status
