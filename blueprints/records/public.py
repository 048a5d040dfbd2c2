"""/public/records/<record_no>/verify: the page a record's QR code opens, for anyone.

It shows the 记录编号, the record's 状态 and 公示版本 and the SHA-256 of its current content
(services/record_pdf.RecordView.digest), and checks a digest typed from a printed copy
(?digest=…): 一致 means the paper shows the record as it stands.  The entity's name and the
task are shown once the result is published, or to whoever types the matching digest (they hold
the paper); before that a record number alone reveals nothing of whom a task will inspect.  No
credit grade, no ID number, no telephone is ever shown.  Nested in ``public``: endpoints
``public.records.*``, no sign-in.
"""

from __future__ import annotations

import re

from flask import Blueprint, abort, render_template, request, url_for
from sqlalchemy import select
from werkzeug.routing import BuildError

from models import InspectionRecord, db
from models.inspections import RecordStatus
from services import record_pdf as svc

bp = Blueprint("records", __name__, url_prefix="/records")

_HEX = re.compile(r"[0-9a-f]{64}")


@bp.route("/<record_no>/verify")
def verify(record_no: str):
    record = db.session.execute(
        select(InspectionRecord).where(InspectionRecord.record_no == record_no[:40])
    ).scalar_one_or_none()
    if record is None or record.record_no.startswith("tmp-"):
        abort(404)
    view = svc.record_view(record)
    digest = view.digest
    typed = "".join(request.args.get("digest", "").split()).lower()[:200]
    error = ""
    matches = None
    if typed:
        if _HEX.fullmatch(typed):
            matches = typed == digest
        else:
            error = "请输入记录表上印制的64位内容摘要（SHA-256，0–9 和 a–f）"
    published = record.status == RecordStatus.PUBLISHED and record.version > 0
    status = 422 if error else 200
    try:  # the published result's page (blueprints/inspections/public.py)
        result_url = url_for("public.results.result", record_no=record.record_no) if published else None
    except BuildError:
        result_url = None
    return render_template(
        "records/verify.html", record=record, view=view, digest=digest, typed=typed, matches=matches,
        error=error, published=published, result_url=result_url, show_details=published or bool(matches),
    ), status
