"""PDFs of the inspection records and notices (docs/chapters.md, 检查情况记录表 PDFs; services/record_pdf.py):

- /records/<id>.pdf?form=a31|f1: one 检查情况记录表 (DB5101 A.3/A.3.1, or seed 003 表F.1);
- /tasks/<id>/records.pdf?form=a31|f1: every record of a task in one PDF (at once when cached or
  small, else a background job whose page links back here: services/task_records_pdf.py);
- /tasks/<id>/notice/<task_object_id>.pdf: the 检查通知书 to one drawn object.

Scope as the records' pages: the task's departments (and those above them) and the team's
members; a record or task outside it is 404, a user without a viewing role 403.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, redirect, request, url_for
from flask_login import login_required

from blueprints.common import current_actor, get_visible_or_404
from blueprints.web import roles_required
from infrastructure.errors import Invalid
from models import InspectionRecord, Task, TaskObject, db
from persistence import jobs
from services import inspections, task_access
from services import record_pdf as svc
from services import task_records_pdf as task_pdf
from services.teams import VIEW_ROLES

bp = Blueprint("record_pdfs", __name__)


def _form() -> str:
    form = request.args.get("form", "a31")
    if form not in svc.FORMS:
        raise Invalid("记录表格式只能是 a31（A.3.1 各部门事项检查情况记录表）或 f1（F.1 抽查情况记录表）")
    return form


def _pdf(data: bytes, name: str) -> Response:
    resp = Response(data, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(name)}"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def _task_or_404(task_id: int) -> Task:
    return get_visible_or_404(Task, task_id, task_access.in_scope)


@bp.route("/records/<int:record_id>.pdf")
@login_required
@roles_required(*VIEW_ROLES)
def record(record_id: int) -> Response:
    found = get_visible_or_404(InspectionRecord, record_id, inspections.record_in_scope)
    form = _form()
    label = "抽查情况记录表" if form == "f1" else "检查情况记录表"
    return _pdf(svc.record_pdf(found, form), f"{label}{found.record_no}.pdf")


@bp.route("/tasks/<int:task_id>/records.pdf")
@login_required
@roles_required(*VIEW_ROLES)
def task_records(task_id: int) -> Any:
    task = _task_or_404(task_id)
    form = _form()
    found = task_pdf.bundle(task, form)
    data = task_pdf.in_request(found)
    if data is None:  # many records to render: a background job on every core, then the download
        job = task_pdf.enqueue(current_actor(), task, form)
        db.session.commit()
        jobs.kick()
        return redirect(url_for("jobs.detail", job_id=job.id))
    return _pdf(data, f"{task.name}检查情况记录表.pdf")


@bp.route("/tasks/<int:task_id>/notice/<int:task_object_id>.pdf")
@login_required
@roles_required(*VIEW_ROLES)
def notice(task_id: int, task_object_id: int) -> Response:
    task = _task_or_404(task_id)
    obj = get_visible_or_404(TaskObject, task_object_id, lambda _actor, o: o.task_id == task.id and not o.removed)
    return _pdf(svc.notice_pdf(task, obj), f"检查通知书-{task.id}-{obj.id}.pdf")
