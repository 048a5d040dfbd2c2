"""/public/sanctions: the published 联合奖惩事项清单 and the signed feeds, without signing in
(nested under the public blueprint, so its endpoints are public.sanctions.*)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request
from sqlalchemy.orm import joinedload

from models import Publication, db
from services import publication
from services.sanctions import catalogue, feed, lists

bp = Blueprint("sanctions", __name__, url_prefix="/sanctions")


@bp.route("/catalogue")
def catalogue_page() -> Any:
    rows = db.session.execute(
        publication.current(catalogue.SUBJECT).options(joinedload(Publication.department))
        .order_by(Publication.department_id, Publication.subject_id).limit(1000)
    ).scalars().all()
    return render_template("sanctions/public_catalogue.html", rows=[(p, publication.payload_of(p)) for p in rows])


def _feed(subject_type: str) -> Response:
    body = feed.feed_body(subject_type, request.args.get("after_id", 0, type=int),
                          request.args.get("limit", feed.LIMIT, type=int))
    resp = Response(body, mimetype="application/json")
    resp.headers["X-Signature"] = feed.signature(body)
    return resp


@bp.route("/catalogue.json")
def catalogue_feed() -> Response:
    return _feed(catalogue.SUBJECT)


@bp.route("/lists.json")
def lists_feed() -> Response:
    """The published 联合奖惩对象名单 (persons' ID numbers masked): the 信用中国 stand-in."""
    return _feed(lists.SUBJECT)
