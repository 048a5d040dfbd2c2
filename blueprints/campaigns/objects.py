"""/campaigns: an object's record (执行执法检查 … 立案查处), the inspector's own list, the
梳理汇总 (page, Excel, PDF) and the overview per year and department (issue 18 item 3).
Routes on the campaigns blueprint (blueprints/campaigns/views.py)."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote

from flask import Response, redirect, render_template, request, send_file, url_for
from flask_login import login_required
from sqlalchemy import select

from blueprints.campaigns.views import STAFF, VIEW_ROLES, act, bp, load, version
from blueprints.common import current_actor, get_visible_or_404
from blueprints.web import roles_required
from infrastructure.errors import ServiceError
from infrastructure.excel import XLSX_MIME
from models import CampaignAttachment, CampaignObject, db
from models.campaigns import FieldKind
from models.campaigns import ObjectStatus as S
from persistence import audit
from services import documents
from services.campaigns import access, feedback, library, overview, records, reports
from services.plan_queries import today


def _object(oid: int) -> CampaignObject:
    return get_visible_or_404(CampaignObject, oid, access.can_view_object)


def _uploads() -> list[documents.Upload]:
    return [documents.Upload(f.filename or "", f.read()) for f in request.files.getlist("attachments") if f.filename]


def object_page(obj: CampaignObject, *, error: str = "", status: int = 200, form: Any = None) -> Any:
    me = current_actor()
    campaign = obj.campaign
    values = form if form is not None else feedback.form_values(campaign, obj.answers or {})
    return render_template(
        "campaigns/object.html", obj=obj, c=campaign, e=obj.entity, me=me, error=error, form=values, S=S,
        K=FieldKind, recorder=records.may_record(me, obj) and obj.reported_at is None, today=today(),
        may_remove=library.may_adjust(me, campaign) and obj.removed_at is None,
        recheck_due=obj.order_due is not None and today() >= obj.order_due,
    ), status


@bp.route("/objects/<int:oid>")
@login_required
@roles_required(*VIEW_ROLES)
def object_(oid: int):
    return object_page(_object(oid))


def _object_post(oid: int, verb: Any, done: str) -> Any:
    obj = _object(oid)
    me = current_actor()
    return act(lambda: verb(me, obj), done, url_for("campaigns.object_", oid=obj.id),
               lambda **kw: object_page(obj, **kw))


@bp.route("/objects/<int:oid>/record", methods=["POST"])
@login_required
@roles_required(*VIEW_ROLES)
def record(oid: int):
    return _object_post(oid, lambda me, o: records.save_record(me, o, version(), request.form, _uploads()),
                        "已保存检查记录")


@bp.route("/objects/<int:oid>/recheck", methods=["POST"])
@login_required
@roles_required(*VIEW_ROLES)
def recheck(oid: int):
    return _object_post(oid, lambda me, o: records.recheck(me, o, version(), request.form), "已录入复查结果")


@bp.route("/objects/<int:oid>/remove", methods=["POST"])
@login_required
@roles_required(*STAFF)
def remove_object(oid: int):
    obj = _object(oid)
    me = current_actor()
    campaign = obj.campaign
    return act(lambda: library.remove(me, campaign, obj), "已调整对象库", url_for("campaigns.show", id=campaign.id),
               lambda **kw: object_page(obj, **kw))


@bp.route("/objects/<int:oid>/order.pdf")
@login_required
@roles_required(*VIEW_ROLES)
def order_pdf(oid: int):
    obj = _object(oid)
    try:
        data = records.order_pdf(obj)
    except ServiceError as exc:
        return object_page(obj, error=exc.message, status=exc.status)
    return send_file(io.BytesIO(data), mimetype="application/pdf", download_name=f"责令改正通知书-{obj.id}.pdf")


@bp.route("/attachments/<int:aid>")
@login_required
@roles_required(*VIEW_ROLES)
def attachment(aid: int):
    att = get_visible_or_404(CampaignAttachment, aid, lambda me, a: access.can_view_object(me, a.object))
    return send_file(io.BytesIO(att.content), mimetype=att.content_type, as_attachment=True,
                     download_name=att.filename)


@bp.route("/<int:id>/mine")
@login_required
@roles_required(*VIEW_ROLES)
def mine(id: int):
    """The objects assigned to the signed-in inspector."""
    c = load(id)
    me = current_actor()
    rows = db.session.execute(select(CampaignObject).where(
        CampaignObject.campaign_id == c.id, CampaignObject.inspector_id == me.id).order_by(CampaignObject.id)
        .limit(1000)).scalars().all()
    return render_template("campaigns/mine.html", c=c, objects=rows, me=me)


# ------------------------------------------------------------------ 梳理汇总


@bp.route("/<int:id>/summary")
@login_required
@roles_required(*STAFF)
def summary(id: int):
    c = load(id)
    me = current_actor()
    if not access.is_initiator(me, c) and not access.is_leader(me, c):
        return redirect(url_for("campaigns.show", id=c.id))
    return render_template("campaigns/summary.html", c=c, s=reports.summary(c), columns=reports.RESULT_COLUMNS)


def _attachment(data: bytes, mime: str, name: str) -> Response:
    resp = Response(data, mimetype=mime)
    resp.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return resp


@bp.route("/<int:id>/summary.xlsx")
@login_required
@roles_required(*STAFF)
def summary_xlsx(id: int):
    c = load(id)
    audit.record("export", object_type="campaign", object_id=c.id, summary={"导出": "汇总表Excel"},
                 user=current_actor())
    db.session.commit()
    return _attachment(reports.summary_xlsx(c), XLSX_MIME, f"{c.title}汇总表.xlsx")


@bp.route("/<int:id>/bulletin.pdf")
@login_required
@roles_required(*VIEW_ROLES)
def bulletin_pdf(id: int):
    c = load(id)
    try:
        data = reports.bulletin_pdf(c)
    except ServiceError as exc:
        return exc.message, exc.status
    return _attachment(data, "application/pdf", f"情况通报-{c.bulletin.doc_no if c.bulletin else c.id}.pdf")


@bp.route("/<int:id>/summary.pdf")
@login_required
@roles_required(*STAFF)
def summary_pdf(id: int):
    c = load(id)
    try:
        data = reports.summary_pdf(c, request.args.get("paper", "A4"))
    except ServiceError as exc:
        return exc.message, exc.status
    return _attachment(data, "application/pdf", f"{c.title}汇总表.pdf")


# ------------------------------------------------------------------ overview


@bp.route("/overview")
@login_required
@roles_required(*VIEW_ROLES)
def overview_page():
    me = current_actor()
    try:
        rows = overview.overview(me, request.args.get("year"))
    except ServiceError as exc:
        return render_template("campaigns/overview.html", rows=[], total=[], chart="{}", error=exc.message,
                               columns=overview.COLUMNS, year=request.args.get("year", "")), exc.status
    return render_template("campaigns/overview.html", rows=rows, total=overview.totals(rows),
                           chart=overview.chart(rows), columns=overview.COLUMNS, error="",
                           year=request.args.get("year", ""))


@bp.route("/overview.xlsx")
@login_required
@roles_required(*VIEW_ROLES)
def overview_xlsx():
    me = current_actor()
    try:
        rows = overview.overview(me, request.args.get("year"))
    except ServiceError as exc:
        return exc.message, exc.status
    return _attachment(overview.overview_xlsx(rows), XLSX_MIME, "专项整治概况.xlsx")
