"""/conferences: joint conferences (联席会议) with their member units and liaisons, official
documents (公文, 表33: 新增公文信息 → 发布公文信息 → 签收公文信息) and meetings (议事会商).

Views load (404 when absent or not visible to the user: another district's conference, a
document not published to the user's unit), authorize (403), call services/conferences.py,
documents.py or meetings.py and commit once.  A form that fails shows its page again with the
message and its status (422 input, 403 not the user's, 409 stale or already done).  A wrong
password at signing is committed (it counts toward the lockout) and nothing else is written.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import login_required

from blueprints.common import current_actor, get_visible_or_404
from blueprints.web import roles_required
from infrastructure.errors import ServiceError
from models import Department, User, db
from models.conference import (
    Conference,
    ConferenceMeeting,
    ConferenceMember,
    DocumentStatus,
    OfficialDocument,
)
from models.roles import Role
from services import conferences as conf_svc
from services import documents as doc_svc
from services import meetings as meeting_svc
from services import receipts

bp = Blueprint("conferences", __name__, url_prefix="/conferences")


VIEW_ROLES = (Role.CONFERENCE_OFFICE, Role.SYSTEM_ADMIN, Role.MEMBER_LIAISON, Role.CLERK, Role.DEPT_LEADER)


def _conference_or_404(ident: int) -> Conference:
    return get_visible_or_404(Conference, ident, conf_svc.can_view)


def _document_or_404(ident: int) -> OfficialDocument:
    return get_visible_or_404(OfficialDocument, ident, doc_svc.can_view)


def _meeting_or_404(ident: int) -> ConferenceMeeting:
    return get_visible_or_404(ConferenceMeeting, ident, meeting_svc.can_view)


def _lock() -> int | None:
    return request.form.get("lock_version", type=int)


# ------------------------------------------------------------------ conferences


@bp.route("/")
@login_required
@roles_required(*VIEW_ROLES)
def index():
    me = current_actor()
    received = doc_svc.received(me)
    return render_template(
        "conferences/index.html",
        conferences=conf_svc.visible(me),
        received=received,
        can_create=bool(conf_svc.offices_for(me)),
        signed={d.id: receipts.signed_by_unit(d, me.department) is not None for d in received},
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
@roles_required(Role.CONFERENCE_OFFICE, Role.SYSTEM_ADMIN)
def new():
    me = current_actor()
    offices = conf_svc.offices_for(me)
    if not offices:
        abort(403, "您所在部门下没有联席会议办公室，不能设立联席会议")
    values: dict[str, Any] = {"office_id": offices[0].id}
    error, field, status = "", "", 200
    if request.method == "POST":
        values = request.form.to_dict()
        office = db.session.get(Department, request.form.get("office_id", type=int) or 0)
        try:
            if office is None:
                raise conf_svc.Unprocessable("请选择联席会议办公室", field="office_id")
            conference = conf_svc.create_conference(me, office, request.form)
        except ServiceError as exc:
            db.session.rollback()
            error, field, status = exc.message, exc.field or "", exc.status
        else:
            db.session.commit()
            flash("已设立联席会议，请添加成员单位", "success")
            return redirect(url_for("conferences.show", id=conference.id))
    return render_template("conferences/new.html", offices=offices, values=values, error=error,
                           error_field=field), status


def _show(conference: Conference, *, error: str = "", field: str = "", status: int = 200):
    me = current_actor()
    manage = conf_svc.can_manage(me, conference)
    staff = conf_svc.is_office_staff(me, conference)
    member = conf_svc.member_unit_of(me, conference)
    docs = doc_svc.office_documents(conference) if manage else [
        d for d in doc_svc.office_documents(conference) if doc_svc.is_recipient(me, d)
    ]
    meetings = [m for m in meeting_svc.meetings_of(conference) if manage or meeting_svc.can_view(me, m)]
    taken = {m.department_id for m in conference.active_members}
    return render_template(
        "conferences/show.html",
        conference=conference,
        manage=manage,
        staff=staff,
        member=member,
        documents=docs,
        meetings=meetings,
        unit_choices=[d for d in conf_svc.unit_choices(conference) if d.id not in taken] if manage else [],
        liaison_choices={m.id: conf_svc.liaison_choices(m.department) for m in conference.active_members}
        if manage else {},
        error=error,
        error_field=field,
    ), status


@bp.route("/<int:id>")
@login_required
@roles_required(*VIEW_ROLES)
def show(id: int):
    return _show(_conference_or_404(id))


def _act_conference(ident: int, perform: Callable[[User, Conference], Any], done: str):
    conference = _conference_or_404(ident)
    if not conf_svc.can_manage(current_actor(), conference):
        abort(403, "您无权管理该联席会议")
    try:
        perform(current_actor(), conference)
    except ServiceError as exc:
        db.session.rollback()
        return _show(_conference_or_404(ident), error=exc.message, field=exc.field or "", status=exc.status)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("conferences.show", id=ident))


@bp.route("/<int:id>/edit", methods=["POST"])
@login_required
@roles_required(Role.CONFERENCE_OFFICE, Role.SYSTEM_ADMIN)
def edit(id: int):
    return _act_conference(id, lambda u, c: conf_svc.update_conference(u, c, _lock(), request.form), "已保存")


@bp.route("/<int:id>/members", methods=["POST"])
@login_required
@roles_required(Role.CONFERENCE_OFFICE, Role.SYSTEM_ADMIN)
def add_member(id: int):
    return _act_conference(id, lambda u, c: conf_svc.add_member(
        u, c, _lock(), request.form.get("department_id"), request.form.get("liaison_id"),
        request.form.get("duties", "")), "已添加成员单位")


def _member(conference: Conference, member_id: int) -> ConferenceMember:
    return get_visible_or_404(ConferenceMember, member_id, lambda _actor, m: m.conference_id == conference.id)


@bp.route("/<int:id>/members/<int:member_id>", methods=["POST"])
@login_required
@roles_required(Role.CONFERENCE_OFFICE, Role.SYSTEM_ADMIN)
def update_member(id: int, member_id: int):
    return _act_conference(id, lambda u, c: conf_svc.update_member(
        u, c, _member(c, member_id), _lock(), request.form.get("liaison_id"), request.form.get("duties", "")),
        "已保存成员单位")


@bp.route("/<int:id>/members/<int:member_id>/remove", methods=["POST"])
@login_required
@roles_required(Role.CONFERENCE_OFFICE, Role.SYSTEM_ADMIN)
def remove_member(id: int, member_id: int):
    return _act_conference(id, lambda u, c: conf_svc.remove_member(u, c, _member(c, member_id), _lock()),
                           "已移除成员单位")


# ------------------------------------------------------------------ documents (表33)


def _uploads() -> list[doc_svc.Upload]:
    return [
        doc_svc.Upload(f.filename, f.read(doc_svc.MAX_DOCUMENT_BYTES + 1))
        for f in request.files.getlist("attachments") if f and f.filename
    ]


def _doc_fields() -> dict[str, str]:
    return {k: request.form.get(k, "") for k in ("doc_no", "title", "body")}


@bp.route("/<int:id>/documents/new", methods=["GET", "POST"])
@login_required
@roles_required(Role.CONFERENCE_OFFICE)
def new_document(id: int):
    conference = _conference_or_404(id)
    me = current_actor()
    if not conf_svc.is_office_staff(me, conference):
        abort(403, "只有该联席会议办公室的工作人员可以新增公文")
    values: dict[str, str] = {}
    error, field, status = "", "", 200
    if request.method == "POST":
        values = _doc_fields()
        try:
            document = doc_svc.create_document(me, conference, values, _uploads())
        except ServiceError as exc:
            db.session.rollback()
            error, field, status = exc.message, exc.field or "", exc.status
        else:
            db.session.commit()
            flash("已新增公文信息，请选择成员单位后发布", "success")
            return redirect(url_for("conferences.document", id=document.id))
    return render_template("conferences/document_form.html", conference=conference, document=None,
                           values=values, error=error, error_field=field), status


def _document_page(document: OfficialDocument, *, error: str = "", field: str = "", status: int = 200):
    me = current_actor()
    manage = conf_svc.can_manage(me, document.conference)
    staff = doc_svc.can_edit(me, document)
    if document.meeting_id and document.status == DocumentStatus.DRAFT:
        meeting = db.session.get(ConferenceMeeting, document.meeting_id)
        preselected = {a.department_id for a in meeting.attendees} if meeting else set()
    elif document.recipients:
        preselected = document.recipient_ids
    else:
        preselected = {m.department_id for m in document.conference.active_members}
    history = receipts.all_receipts(document) if manage and document.version else []
    return render_template(
        "conferences/document.html",
        document=document,
        conference=document.conference,
        manage=manage,
        staff=staff,
        sheet=receipts.receipt_sheet(document) if document.version else [],
        history=history,
        can_sign=receipts.can_sign(me, document),
        own_receipt=receipts.signed_by_unit(document, me.department) if document.version else None,
        can_publish=doc_svc.can_publish(me, document),
        can_recall=doc_svc.can_recall(me, document),
        members=document.conference.active_members,
        preselected=preselected,
        instance=doc_svc.instance_of(document),
        error=error,
        error_field=field,
    ), status


@bp.route("/documents/<int:id>")
@login_required
@roles_required(*VIEW_ROLES)
def document(id: int):  # bindings call subject pages with ``id=``
    return _document_page(_document_or_404(id))


@bp.route("/documents/<int:id>/edit", methods=["GET", "POST"])
@login_required
@roles_required(Role.CONFERENCE_OFFICE)
def edit_document(id: int):
    document = _document_or_404(id)
    me = current_actor()
    if not doc_svc.can_edit(me, document):
        abort(403, "只有该联席会议办公室的工作人员可以修改公文")
    values = {"doc_no": document.doc_no, "title": document.title, "body": document.body}
    error, field, status = "", "", 200
    if request.method == "POST":
        values = _doc_fields()
        try:
            doc_svc.update_document(me, document, _lock(), values, _uploads(), request.form.getlist("remove"))
        except ServiceError as exc:
            db.session.rollback()
            document = _document_or_404(id)
            error, field, status = exc.message, exc.field or "", exc.status
        else:
            db.session.commit()
            flash("已保存公文，请重新发布" if document.version else "已保存公文", "success")
            return redirect(url_for("conferences.document", id=id))
    return render_template("conferences/document_form.html", conference=document.conference, document=document,
                           values=values, error=error, error_field=field), status


def _act_document(ident: int, perform: Callable[[User, OfficialDocument], Any], done: str):
    document = _document_or_404(ident)
    try:
        perform(current_actor(), document)
    except receipts.PasswordRejected as exc:
        # The failure counts toward the lockout: keep it (sign wrote nothing else).
        db.session.commit()
        return _document_page(_document_or_404(ident), error=exc.message, field=exc.field or "", status=exc.status)
    except ServiceError as exc:
        db.session.rollback()
        return _document_page(_document_or_404(ident), error=exc.message, field=exc.field or "", status=exc.status)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("conferences.document", id=ident))


@bp.route("/documents/<int:id>/publish", methods=["POST"])
@login_required
@roles_required(Role.CONFERENCE_OFFICE)
def publish_document(id: int):
    return _act_document(id, lambda u, d: doc_svc.publish_document(u, d, _lock(), request.form.getlist("units")),
                         "已发布公文信息，并推送至成员单位")


@bp.route("/documents/<int:id>/sign", methods=["POST"])
@login_required
@roles_required(Role.MEMBER_LIAISON)
def sign_document(id: int):
    return _act_document(id, lambda u, d: doc_svc.sign_document(
        u, d, request.form.get("password", ""), request.form.get("version", type=int)), "已签收公文信息")


@bp.route("/documents/<int:id>/recall", methods=["POST"])
@login_required
@roles_required(Role.CONFERENCE_OFFICE)
def recall_document(id: int):
    return _act_document(id, lambda u, d: doc_svc.recall_document(u, d, _lock(), request.form.get("reason", "")),
                         "已撤回公文")


@bp.route("/documents/<int:id>/attachments/<int:attachment_id>")
@login_required
@roles_required(*VIEW_ROLES)
def attachment(id: int, attachment_id: int):
    document = _document_or_404(id)
    found = next((a for a in document.attachments if a.id == attachment_id), None)
    if found is None:
        abort(404)
    return send_file(io.BytesIO(found.data), mimetype=found.content_type, as_attachment=True,
                     download_name=found.name)


@bp.route("/documents/<int:id>.pdf")
@login_required
@roles_required(*VIEW_ROLES)
def document_pdf(id: int):
    document = _document_or_404(id)
    data = doc_svc.pdf(document)
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True,
                     download_name=f"{document.doc_no or '公文'}.pdf".replace("/", "-"))


# ------------------------------------------------------------------ meetings (议事会商)


@bp.route("/<int:id>/meetings/new", methods=["GET", "POST"])
@login_required
@roles_required(Role.CONFERENCE_OFFICE)
def new_meeting(id: int):
    conference = _conference_or_404(id)
    me = current_actor()
    if not conf_svc.is_office_staff(me, conference):
        abort(403, "只有该联席会议办公室的工作人员可以安排会议")
    values: dict[str, Any] = {"kind": "regular"}
    chosen: set[int] = {m.department_id for m in conference.active_members}
    error, field, status = "", "", 200
    if request.method == "POST":
        values = request.form.to_dict()
        chosen = set(request.form.getlist("units", type=int))
        try:
            meeting = meeting_svc.create_meeting(me, conference, request.form, request.form.getlist("units"))
        except ServiceError as exc:
            db.session.rollback()
            error, field, status = exc.message, exc.field or "", exc.status
        else:
            db.session.commit()
            flash("已安排会议", "success")
            return redirect(url_for("conferences.meeting", id=meeting.id))
    return render_template("conferences/meeting_form.html", conference=conference, values=values, chosen=chosen,
                           kinds=meeting_svc.KINDS, error=error, error_field=field), status


def _meeting_page(meeting: ConferenceMeeting, *, error: str = "", field: str = "", status: int = 200):
    me = current_actor()
    return render_template(
        "conferences/meeting.html", meeting=meeting, conference=meeting.conference,
        staff=conf_svc.is_office_staff(me, meeting.conference),
        documents=meeting_svc.minutes_documents(meeting), error=error, error_field=field,
    ), status


@bp.route("/meetings/<int:id>")
@login_required
@roles_required(*VIEW_ROLES)
def meeting(id: int):
    return _meeting_page(_meeting_or_404(id))


@bp.route("/meetings/<int:id>/minutes", methods=["POST"])
@login_required
@roles_required(Role.CONFERENCE_OFFICE)
def minutes(id: int):
    meeting = _meeting_or_404(id)
    names = {a.department_id: request.form.get(f"names_{a.department_id}", "") for a in meeting.attendees}
    try:
        meeting_svc.record_minutes(current_actor(), meeting, _lock(), request.form.get("minutes", ""), names)
    except ServiceError as exc:
        db.session.rollback()
        return _meeting_page(_meeting_or_404(id), error=exc.message, field=exc.field or "", status=exc.status)
    db.session.commit()
    flash("已记录会议纪要", "success")
    return redirect(url_for("conferences.meeting", id=id))


@bp.route("/meetings/<int:id>/publish-minutes", methods=["POST"])
@login_required
@roles_required(Role.CONFERENCE_OFFICE)
def publish_minutes(id: int):
    meeting = _meeting_or_404(id)
    try:
        document = meeting_svc.publish_minutes(current_actor(), meeting, _lock(), request.form.get("doc_no", ""))
    except ServiceError as exc:
        db.session.rollback()
        return _meeting_page(_meeting_or_404(id), error=exc.message, field=exc.field or "", status=exc.status)
    db.session.commit()
    flash("已由会议纪要生成公文，请选择成员单位后发布", "success")
    return redirect(url_for("conferences.document", id=document.id))
