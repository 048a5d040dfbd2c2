"""/messages: the user's message centre (站内消息), the unread count in the header."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from blueprints.common import get_visible_or_404
from models import db
from models.notifications import Message
from persistence import notifications

bp = Blueprint("messages", __name__, url_prefix="/messages")


@bp.route("/")
@login_required
def index():
    me = current_user._get_current_object()
    unread_only = request.args.get("unread") == "1"
    return render_template(
        "messages/index.html",
        messages=notifications.messages_for(me, unread_only=unread_only, limit=100),
        unread=notifications.unread_count(me),
        unread_only=unread_only,
    )


@bp.route("/count")
@login_required
def count():
    """The header badge, polled by htmx; does not renew the idle timer."""
    n = notifications.unread_count(current_user)
    return str(n) if n else ""


@bp.route("/read", methods=["POST"])
@login_required
def mark_read():
    """Mark the chosen messages read, or all of them (``all=1``)."""
    me = current_user._get_current_object()
    if request.form.get("all") == "1":
        n = notifications.mark_read(me)
    else:
        ids = request.form.getlist("ids", type=int)
        if not ids:
            abort(422, "请选择要标记为已读的消息")
        n = notifications.mark_read(me, ids)
    db.session.commit()
    flash(f"已将 {n} 条消息标记为已读", "success")
    return redirect(url_for("messages.index"))


@bp.route("/<int:id>/open", methods=["POST"])
@login_required
def open_message(id: int):
    """Mark one message read and go to what it is about."""
    message = get_visible_or_404(Message, id, lambda actor, m: m.user_id == actor.id)
    notifications.mark_read(current_user, [message.id])
    db.session.commit()
    if message.link.startswith("/") and not message.link.startswith("//"):
        return redirect(message.link)
    return redirect(url_for("messages.index"))
