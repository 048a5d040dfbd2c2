"""/assessment: the yearly scorecards (docs/assessment.md).

The assessing office (联席会议办公室) computes its district's scorecards (计算考核结果), checks
a run again (复核), scores the items that need judgement with evidence, and downloads the PDF
and Excel.  A department leader sees their own unit's cards; another unit's card answers 404.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import login_required

from blueprints.common import current_actor, get_visible_or_404
from blueprints.menu import may_open
from blueprints.web import roles_required
from infrastructure import clock
from infrastructure.errors import ServiceError
from models import Message, db
from models.assessment import AssessmentCard, AssessmentDeduction, AssessmentEvidence, AssessmentRun
from services import documents
from services.assessment import access, cited, exports, judgements, runs
from services.assessment.items import AREAS, HUMAN_ITEMS, ITEM_BY_CODE

bp = Blueprint("assessment", __name__, url_prefix="/assessment")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _refused(exc: ServiceError, back: str) -> Any:
    db.session.rollback()
    return render_template("assessment/refused.html", message=exc.message, back=back), exc.status


def _download(data: bytes, mime: str, name: str) -> Response:
    return send_file(io.BytesIO(data), mimetype=mime, as_attachment=True, download_name=name)


def _run(id: int) -> AssessmentRun:
    return get_visible_or_404(AssessmentRun, id, access.can_view_run)


def _card(id: int) -> AssessmentCard:
    return get_visible_or_404(AssessmentCard, id, access.can_view_card)


def record_link(d: AssessmentDeduction) -> str:
    """The cited record's own page, when the signed-in user may open it; else empty."""
    kind = d.record_kind
    target: tuple[str, dict[str, Any]] | None = None
    if kind.startswith("fact_"):
        target = ("collection.detail", {"fact_kind": kind[5:], "fact_id": d.record_id})
    elif kind == "scope_notice":
        target = ("notice.detail", {"notice_id": d.record_id})
    elif kind == "sanction_task":
        target = ("sanctions.tasks_index", {})
    elif kind == "judgement":
        target = ("assessment.judge", {"year": d.card.run.year, "department_id": d.card.department_id})
    elif kind == "risk_digest":
        message = db.session.get(Message, d.record_id)
        if message is not None and may_open(current_actor(), "risk.warnings"):
            return message.link
    if target is None or not may_open(current_actor(), target[0]):
        return ""
    return url_for(target[0], **target[1])


@bp.route("/")
@login_required
@roles_required(*access.VIEWERS)
def index() -> Any:
    me = current_actor()
    year = request.args.get("year", type=int) or clock.china_today().year
    if not access.is_office(me):
        return render_template("assessment/own.html", cards=access.own_cards(me), unit=access.unit_of(me))
    region = access.region_of(me)
    return render_template("assessment/index.html", region=region, year=year, runs=runs.runs_of(region),
                           units=runs.units_of(region), latest=runs.latest_run(region, year))


@bp.route("/runs", methods=["POST"])
@login_required
@roles_required(*access.OFFICE)
def new_run() -> Any:
    me = current_actor()
    raw = (request.form.get("year") or "").strip()
    back = url_for("assessment.index")
    if not raw.isdigit():
        return render_template("assessment/refused.html", message="请填写考核年度（如 2026）", back=back), 400
    try:
        made = runs.run(me, access.region_of(me), int(raw))
    except ServiceError as exc:
        return _refused(exc, back)
    db.session.commit()
    flash(f"已计算{made.year}年度考核结果", "success")
    return redirect(url_for("assessment.run_page", id=made.id))


@bp.route("/runs/<int:id>")
@login_required
@roles_required(*access.OFFICE)
def run_page(id: int) -> Any:
    return render_template("assessment/run.html", run=_run(id), areas=AREAS, check=None)


@bp.route("/runs/<int:id>/verify")
@login_required
@roles_required(*access.OFFICE)
def verify(id: int) -> Any:
    run = _run(id)
    try:
        check = runs.verify(run)
    except ServiceError as exc:
        return _refused(exc, url_for("assessment.run_page", id=id))
    return render_template("assessment/run.html", run=run, areas=AREAS, check=check)


@bp.route("/runs/<int:id>.xlsx")
@login_required
@roles_required(*access.OFFICE)
def run_xlsx(id: int) -> Any:
    run = _run(id)
    return _download(exports.xlsx(run, run.cards), XLSX, f"考核评分表_{run.year}.xlsx")


@bp.route("/runs/<int:id>.pdf")
@login_required
@roles_required(*access.OFFICE)
def run_pdf(id: int) -> Any:
    run = _run(id)
    return _download(exports.pdf_bytes(run, run.cards), "application/pdf", f"考核评分表_{run.year}.pdf")


@bp.route("/cards/<int:id>")
@login_required
@roles_required(*access.VIEWERS)
def card_page(id: int) -> Any:
    card = _card(id)
    return render_template("assessment/card.html", card=card, run=card.run, areas=AREAS, items=ITEM_BY_CODE,
                           label=exports.record_label,
                           office=access.can_view_run(current_actor(), card.run),
                           judged=judgements.judgements_of(card.run.year, card.department_id), human=HUMAN_ITEMS)


@bp.route("/deductions/<int:id>")
@login_required
@roles_required(*access.VIEWERS)
def deduction(id: int) -> Any:
    row = get_visible_or_404(AssessmentDeduction, id, lambda actor, d: access.can_view_card(actor, d.card))
    return render_template("assessment/deduction.html", d=row, card=row.card, item=ITEM_BY_CODE[row.item],
                           areas=AREAS, fields=cited.fields(row), label=exports.record_label, link=record_link(row))


@bp.route("/cards/<int:id>.xlsx")
@login_required
@roles_required(*access.VIEWERS)
def card_xlsx(id: int) -> Any:
    card = _card(id)
    return _download(exports.xlsx(card.run, [card]), XLSX, f"考核评分表_{card.run.year}_{card.department.name}.xlsx")


@bp.route("/cards/<int:id>.pdf")
@login_required
@roles_required(*access.VIEWERS)
def card_pdf(id: int) -> Any:
    card = _card(id)
    return _download(exports.pdf_bytes(card.run, [card]), "application/pdf",
                     f"考核评分表_{card.run.year}_{card.department.name}.pdf")


def _judge_page(year: int, unit: Any, form: Any = None, error: str = "", field: str = "", status: int = 200) -> Any:
    return render_template("assessment/judge.html", year=year, unit=unit, items=HUMAN_ITEMS, form=form or {},
                           judged=judgements.judgements_of(year, unit.id), error=error, field=field), status


@bp.route("/<int:year>/units/<int:department_id>/judge", methods=["GET", "POST"])
@login_required
@roles_required(*access.OFFICE)
def judge(year: int, department_id: int) -> Any:
    me = current_actor()
    try:
        unit = judgements.unit_for_office(me, department_id)
    except ServiceError:
        abort(404)
    if request.method == "GET":
        return _judge_page(year, unit)
    uploads = {item.code: [documents.Upload(f.filename or "", f.read())
                           for f in request.files.getlist(f"evidence_{item.code}") if f and f.filename]
               for item in HUMAN_ITEMS}
    try:
        saved = judgements.save(me, year, unit, request.form, uploads)
    except ServiceError as exc:
        db.session.rollback()
        return _judge_page(year, unit, request.form, exc.message, exc.field or "", exc.status)
    db.session.commit()
    flash(f"已保存{saved}项评定；重新计算考核结果后计入评分表", "success")
    return redirect(url_for("assessment.judge", year=year, department_id=unit.id))


def _evidence_visible(actor: Any, row: AssessmentEvidence) -> bool:
    dept = row.judgement.department_id
    if access.is_office(actor):
        return any(u.id == dept for u in runs.units_of(access.region_of(actor)))
    unit = access.unit_of(actor)
    return unit is not None and unit.id == dept


@bp.route("/evidence/<int:id>")
@login_required
@roles_required(*access.VIEWERS)
def evidence(id: int) -> Any:
    row = get_visible_or_404(AssessmentEvidence, id, _evidence_visible)
    return _download(row.content, row.content_type, row.filename)
