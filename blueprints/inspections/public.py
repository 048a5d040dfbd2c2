"""/public/results: 公示检查结果 (DB5101 表20/表22), for anyone, without signing in.

A blueprint nested in ``public`` (endpoints ``public.results.*``, let through by the
gatekeeper).  The list and the feed read the ``Publication`` rows of subject
``inspection_result``; a record's page reads its ``InspectionResultVersion`` rows (the latest
first, each with its SHA-256).  None of them holds a credit grade, an ID number or a person's
telephone (services/inspections.public_snapshot).

- /public/results: the published results, newest first, searchable by 主体名称 or 统一社会信用代码;
- /public/results/<record_no>: one record's published result and every earlier version;
- /public/results.json: the feed (cursor ``after_id``, ``limit``), as /public/items.json.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, render_template, request, url_for
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from blueprints.public.views import feed_record, feed_rows
from models import InspectionRecord, InspectionResultVersion, Publication, db
from services import followups, inspection_publication, result_integrity
from services import publication as pub
from services.joint_item_queries import like_pattern

bp = Blueprint("results", __name__)


@bp.route("/results")
def index():
    q = request.args.get("q", "").strip()[:100]
    query = pub.current(inspection_publication.SUBJECT)
    if q:
        query = query.where(or_(Publication.title.like(like_pattern(q), escape="\\"),
                                Publication.payload.like(like_pattern(f'"统一社会信用代码": "{q.upper()}'), escape="\\")))
    query = query.options(joinedload(Publication.department)).order_by(Publication.published_at.desc(),
                                                                       Publication.id.desc())
    page = db.paginate(query, per_page=50, error_out=False)
    return render_template("public/results.html", page=page, rows=[(p, pub.payload_of(p)) for p in page.items],
                           q=q, args={"q": q} if q else {})


@bp.route("/results/<record_no>")
def result(record_no: str):
    record = db.session.execute(
        select(InspectionRecord).where(InspectionRecord.record_no == record_no[:40])
    ).scalar_one_or_none()
    if record is None:
        abort(404)
    versions = list(db.session.execute(
        select(InspectionResultVersion).where(InspectionResultVersion.record_id == record.id)
        .order_by(InspectionResultVersion.version.desc())
    ).scalars())
    if not versions:
        abort(404)
    # 更正 and 停止公示 (services/followups.py): a withdrawn result shows only that it was withdrawn.
    state = followups.public_state(record)
    if state.stopped_on is not None:
        return render_template("public/result.html", record_no=record.record_no, stopped_on=state.stopped_on)
    # A version edited in the database after publication no longer matches its digest: say so.
    tampered = {v.id for v in versions if not result_integrity.digest_matches(v)}
    return render_template("public/result.html", record_no=record.record_no, latest=versions[0],
                           payload=json.loads(versions[0].snapshot),
                           versions=[(v, json.loads(v.snapshot)) for v in versions], followup=state,
                           tampered=tampered)


@bp.route("/results.json")
def feed():
    rows, after_id, limit, more = feed_rows(inspection_publication.SUBJECT)
    next_after = rows[-1].id if rows else after_id
    body = {
        "source": "智慧监管平台",
        "subject_type": inspection_publication.SUBJECT,
        "after_id": after_id,
        "next_after_id": next_after,
        "has_more": more,
        "next": url_for("public.results.feed", after_id=next_after, limit=limit) if more else None,
        "count": len(rows),
        "records": [feed_record(p) for p in rows],
    }
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/json")
