"""/tasks/<id>/records and /records/<id>: 开展双随机检查, 录入检查结果, 审核检查结果一致性、规范性,
(公示检查结果 by the platform) and 完成抽查 of DB5101 表20/表22, with the 检查情况记录表 (A.3.1/F.1).

Views load (404 when the task is outside the user's scope: its departments' subtree, or the
user is on its team), authorize (403), call services/inspections.py or inspection_prep.py and
commit once.  A refused form shows its page again with the message and its status (422
invalid, 403, 409 stale or published, 413 too large); a refused record form keeps what the user
typed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from blueprints.common import current_actor, get_visible_or_404, holds
from blueprints.web import roles_required
from infrastructure import clock
from infrastructure.errors import ServiceError
from models import InspectionRecord, RecordEvidence, Task, TaskObject, db
from models.inspections import NoticeMethod, ResultCategory
from services import inspection_prep as prep
from services import inspection_publication, inspection_review, record_bulk, task_access, teams
from services import inspections as svc
from services.team_work import TEAM_WORK_ROLE, can_do_team_work
from services.templates_catalogue import INSPECTION_METHODS
from workflows.registry import get_process

bp = Blueprint("inspections", __name__)


def task_or_404(ident: int) -> Task:
    """A task in the actor's scope (404), for the roles that see inspections (403)."""
    return get_visible_or_404(Task, ident, task_access.in_scope, allowed=holds(*svc.VIEW_ROLES))


def _record_or_404(ident: int) -> InspectionRecord:
    """A record whose task is in the actor's scope (404), for the viewing roles (403)."""
    return get_visible_or_404(InspectionRecord, ident, svc.record_in_scope, allowed=holds(*svc.VIEW_ROLES))


def _object_or_404(task: Task, obj_id: int) -> TaskObject:
    return get_visible_or_404(TaskObject, obj_id, lambda _actor, obj: obj.task_id == task.id and not obj.removed)


def _lock_version() -> int | None:
    return request.form.get("lock_version", type=int)


def _step_context(task: Task) -> dict[str, Any]:
    instance = svc.instance_of(task)
    process = get_process(instance.process_table) if instance else None
    step = instance.current_step if instance is not None and instance.status.value == "active" else ""
    return {
        "instance": instance,
        "process": process,
        "step": step,
        "step_name": process.step_name(step) if process and step else ("已办结" if instance else ""),
    }


# ------------------------------------------------------------------ the task's records


def task_page(task: Task, status: int = 200) -> tuple[str, int]:
    me = current_actor()
    ctx = _step_context(task)
    member = task_access.member_of(me, task)
    submittable, approvable = record_bulk.submittable(me, task), record_bulk.approvable(me, task)
    return render_template(
        "inspections/task.html",
        task=task,
        rows=inspection_review.overview(task),
        departments=svc.record_departments(task),
        counts=inspection_review.counts(task),
        member=member,
        leader=svc.is_leader(me, task),
        can_open=member is not None and ctx["step"] in svc.EDIT_STEPS,
        inspect_item=teams.my_item(me, task, svc.INSPECT_STEP) if member else None,
        unfilled=inspection_review.unfilled(task) if member is not None and ctx["step"] == svc.INSPECT_STEP else [],
        can_finish=inspection_review.can_finish(me, task),
        can_review=inspection_review.can_review(me, task),
        can_complete_recording=inspection_review.can_complete_recording(me, task),
        team=svc.confirmers(task),
        waiting=record_bulk.waiting_for(me, task),
        submittable={r.id for r in submittable},
        approvable={r.id for r in approvable},
        **ctx,
    ), status


def _act(task: Task, action: Callable[[], Any], success: str, back: str | None = None) -> Any:
    try:
        result = action()
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return task_page(task, exc.status)
    flash(success, "success")
    if callable(back):
        return redirect(back(result))
    return redirect(back or url_for("inspections.task_records", id=task.id))


@bp.route("/tasks/<int:id>/records")
@login_required
def task_records(id: int):
    return task_page(task_or_404(id))


@bp.route("/tasks/<int:id>/records/open", methods=["POST"])
@login_required
@roles_required(TEAM_WORK_ROLE)
def open_record(id: int):
    task = task_or_404(id)
    return _act(
        task,
        lambda: svc.open_record(current_actor(), task, request.form.get("task_object_id"), request.form.get("department_id")),
        "已打开检查情况记录表",
        back=lambda record: url_for("inspections.edit", record_id=record.id),  # type: ignore[arg-type]
    )


@bp.route("/tasks/<int:id>/records/inspected", methods=["POST"])
@login_required
@roles_required(TEAM_WORK_ROLE)
def inspected(id: int):
    """检查完成 (the leader): 开展双随机检查 → 录入检查结果."""
    task = task_or_404(id)

    def run() -> None:
        from services import inspector_draws as draws

        draws.stale_guard(svc.instance_of(task), request.form.get("version", type=int))
        inspection_review.finish_inspection(current_actor(), task)

    return _act(task, run, "已确认检查完成，请录入并提交检查结果")


@bp.route("/tasks/<int:id>/records/submitted", methods=["POST"])
@login_required
@roles_required(TEAM_WORK_ROLE)
def submitted(id: int):
    """提交审核 of 录入检查结果 when every record is already submitted (after a withdrawal)."""
    task = task_or_404(id)
    return _act(task, lambda: inspection_review.complete_recording(current_actor(), task), "检查结果已提交组长审核")


@bp.route("/tasks/<int:id>/records/finish", methods=["POST"])
@login_required
@roles_required(TEAM_WORK_ROLE)
def finish(id: int):
    """完成抽查 (the leader)."""
    task = task_or_404(id)
    return _act(task, lambda: inspection_review.finish(current_actor(), task, request.form.get("version", type=int)), "已完成抽查")


# ------------------------------------------------------------------ dossier and advance notice


def _dossier_page(task: Task, obj: TaskObject, status: int = 200, values: Any = None) -> tuple[str, int]:
    member = task_access.member_of(current_actor(), task)
    return render_template(
        "inspections/dossier.html", task=task, obj=obj, dossier=prep.dossier(task, obj),
        can_notify=member is not None, methods=list(NoticeMethod), v=values or {}, **_step_context(task),
    ), status


@bp.route("/tasks/<int:id>/objects/<int:object_id>")
@login_required
def dossier(id: int, object_id: int):
    task = task_or_404(id)
    return _dossier_page(task, _object_or_404(task, object_id))


@bp.route("/tasks/<int:id>/objects/<int:object_id>/notice", methods=["POST"])
@login_required
@roles_required(TEAM_WORK_ROLE)
def notice(id: int, object_id: int):
    task = task_or_404(id)
    obj = _object_or_404(task, object_id)
    f = request.form
    try:
        prep.record_notice(current_actor(), task, obj, method=f.get("method", ""), notified_at=f.get("notified_at"),
                           recipient=f.get("recipient", ""), content=f.get("content", ""),
                           may_act=task_access.member_of(current_actor(), task) is not None)
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _dossier_page(task, obj, exc.status, values=f)
    flash("已记录提前告知", "success")
    return redirect(url_for("inspections.dossier", id=task.id, object_id=obj.id))


# ------------------------------------------------------------------ one record


def _values(record: InspectionRecord) -> dict[str, Any]:
    return {
        "method": record.method, "subject_name": record.subject_name, "uscc": record.uscc,
        "district": record.district, "license_no": record.license_no, "legal_rep": record.legal_rep,
        "address": record.address, "phone": record.phone, "items_text": record.items_text,
        "findings": record.findings, "filled_on": record.filled_on.isoformat() if record.filled_on else "",
        "inspector_names": record.inspector_names,
        "inspected_at": clock.format_china(record.inspected_at, "%Y-%m-%dT%H:%M"),
        "result": record.result.value if record.result else "", "result_note": record.result_note,
        "lines": [(line.check_item, line.content, line.outcome) for line in record.lines],
    }


def _posted_values() -> dict[str, Any]:
    f = request.form
    values: dict[str, Any] = {k: f.get(k, "") for k in (
        "method", "subject_name", "uscc", "district", "license_no", "legal_rep", "address", "phone",
        "items_text", "findings", "filled_on", "inspector_names", "inspected_at", "result", "result_note")}
    items, contents, outcomes = f.getlist("line_item"), f.getlist("line_content"), f.getlist("line_outcome")
    n = max(len(items), len(contents), len(outcomes))
    values["lines"] = [(items[i] if i < len(items) else "", contents[i] if i < len(contents) else "",
                        outcomes[i] if i < len(outcomes) else "") for i in range(n)]
    return values


def _record_page(record: InspectionRecord, status: int = 200) -> tuple[str, int]:
    me = current_actor()
    task = record.task
    ctx = _step_context(task)
    member = task_access.member_of(me, task)
    editable = (svc.can_edit(me, record) and record.status.editable and record.version == 0
                and ctx["step"] in svc.EDIT_STEPS)
    return render_template(
        "inspections/record.html",
        record=record,
        task=task,
        editable=editable,
        problems=inspection_review.form_problems(record),
        team=svc.confirmers(task),
        confirmed=inspection_review.confirmed_ids(record),
        can_confirm=member is not None and record.status.editable and record.version == 0
        and member.id not in inspection_review.confirmed_ids(record) and ctx["step"] in svc.EDIT_STEPS,
        can_submit=editable and ctx["step"] == svc.RECORD_STEP,
        can_review=record.status.value == "submitted" and inspection_review.can_review(me, task) and svc.is_leader(me, task),
        version=inspection_publication.latest_version(record),
        **ctx,
    ), status


def _edit_page(record: InspectionRecord, values: dict[str, Any], status: int = 200,
               error_field: str | None = None) -> tuple[str, int]:
    lines = list(values.get("lines") or [])
    lines += [("", "", "")] * 3
    return render_template(
        "inspections/edit.html", record=record, task=record.task, v=values, lines=lines,
        methods=INSPECTION_METHODS, results=list(ResultCategory), error_field=error_field,
        **_step_context(record.task),
    ), status


@bp.route("/records/<int:record_id>")
@login_required
def show(record_id: int):
    return _record_page(_record_or_404(record_id))


@bp.route("/records/<int:record_id>/edit", methods=["GET", "POST"])
@login_required
def edit(record_id: int):
    record = _record_or_404(record_id)
    if request.method == "GET":
        if record.version > 0:
            flash(svc.AFTER_PUBLICATION, "error")
            return _record_page(record, 409)
        if not svc.can_edit(current_actor(), record):
            abort(403)
        if not record.status.editable:
            flash(svc.NOT_EDITABLE, "error")
            return _record_page(record, 409)
        return _edit_page(record, _values(record))
    if not can_do_team_work(current_actor()):
        abort(403)
    try:
        svc.save_record(current_actor(), record, request.form, _lock_version())
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        record = _record_or_404(record_id)
        return _edit_page(record, _posted_values(), exc.status, exc.field)
    flash("检查情况记录表已保存", "success")
    return redirect(url_for("inspections.show", record_id=record.id))


def _record_act(record: InspectionRecord, action: Callable[[], Any], success: str) -> Any:
    try:
        action()
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _record_page(_record_or_404(record.id), exc.status)
    flash(success, "success")
    return redirect(url_for("inspections.show", record_id=record.id))


@bp.route("/records/<int:record_id>/evidence", methods=["POST"])
@login_required
@roles_required(TEAM_WORK_ROLE)
def upload(record_id: int):
    record = _record_or_404(record_id)
    file = request.files.get("file")
    data = file.read() if file is not None else b""
    name = file.filename if file is not None else ""
    return _record_act(
        record,
        lambda: svc.add_evidence(current_actor(), record, _lock_version(), filename=name or "", data=data,
                                 note=request.form.get("note", "")),
        "证据材料已上传",
    )


def _evidence_or_404(record: InspectionRecord, evidence_id: int) -> RecordEvidence:
    return get_visible_or_404(RecordEvidence, evidence_id, lambda _actor, item: item.record_id == record.id)


@bp.route("/records/<int:record_id>/evidence/<int:evidence_id>")
@login_required
def download(record_id: int, evidence_id: int):
    record = _record_or_404(record_id)
    item = _evidence_or_404(record, evidence_id)
    from urllib.parse import quote

    disposition = "inline" if item.content_type.startswith("image/") else "attachment"
    return Response(item.data, mimetype=item.content_type, headers={
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(item.filename)}",
        "X-Content-Type-Options": "nosniff",
    })


@bp.route("/records/<int:record_id>/evidence/<int:evidence_id>/delete", methods=["POST"])
@login_required
@roles_required(TEAM_WORK_ROLE)
def remove(record_id: int, evidence_id: int):
    record = _record_or_404(record_id)
    item = _evidence_or_404(record, evidence_id)
    return _record_act(record, lambda: svc.remove_evidence(current_actor(), record, item, _lock_version()), "证据材料已删除")


@bp.route("/records/<int:record_id>/sign", methods=["POST"])
@login_required
@roles_required(TEAM_WORK_ROLE)
def sign(record_id: int):
    record = _record_or_404(record_id)
    f = request.form
    if f.get("refused") == "1":
        return _record_act(record, lambda: svc.refuse(
            current_actor(), record, _lock_version(), note=f.get("refusal_note", ""), witness=f.get("refusal_witness", ""),
            recording=f.get("refusal_recording", "")), "已记录被检查对象拒绝签字的情况")
    return _record_act(record, lambda: svc.sign(current_actor(), record, _lock_version(), signer_name=f.get("signer_name", ""),
                                                signed_at=f.get("signed_at")), "已记录被检查对象签字（盖章）")


@bp.route("/records/<int:record_id>/confirm", methods=["POST"])
@login_required
@roles_required(TEAM_WORK_ROLE)
def confirm(record_id: int):
    record = _record_or_404(record_id)
    return _record_act(record, lambda: inspection_review.confirm(current_actor(), record, _lock_version()), "已确认检查情况记录表")


@bp.route("/records/<int:record_id>/submit", methods=["POST"])
@login_required
@roles_required(TEAM_WORK_ROLE)
def submit(record_id: int):
    record = _record_or_404(record_id)
    return _record_act(record, lambda: inspection_review.submit(current_actor(), record, _lock_version()), "检查结果已提交组长审核")


@bp.route("/records/<int:record_id>/review", methods=["POST"])
@login_required
@roles_required(TEAM_WORK_ROLE)
def review(record_id: int):
    record = _record_or_404(record_id)
    approve = request.form.get("decision") == "approve"
    return _record_act(
        record,
        lambda: inspection_review.review(current_actor(), record, _lock_version(), approve=approve, reason=request.form.get("reason", "")),
        "审核通过" if approve else "已退回修改",
    )
