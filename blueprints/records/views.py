"""PDFs of the inspection records and notices (docs/chapters.md, 检查情况记录表 PDFs; services/record_pdf.py):

- /records/<id>.pdf?form=a31|f1: one 检查情况记录表 (DB5101 A.3/A.3.1, or seed 003 表F.1);
- /tasks/<id>/records.pdf?form=a31|f1: every record of a task in one PDF;
- /tasks/<id>/notice/<task_object_id>.pdf: the 检查通知书 to one drawn object.

Scope as the records' pages: the task's departments (and those above them) and the team's
members; a record or task outside it is 404, a user without a viewing role 403.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, abort, request
from flask_login import current_user, login_required

from blueprints.web import roles_required
from infrastructure.errors import Invalid
from models import InspectionRecord, Task, TaskObject, User, db
from services import inspections
from services import record_pdf as svc
from services.teams import VIEW_ROLES

bp = Blueprint("record_pdfs", __name__)


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


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
    task = inspections.get_visible(_me(), task_id)
    if task is None:
        abort(404)
    return task


@bp.route("/records/<int:record_id>.pdf")
@login_required
@roles_required(*VIEW_ROLES)
def record(record_id: int) -> Response:
    found: InspectionRecord | None = inspections.get_record(_me(), record_id)
    if found is None:
        abort(404)
    form = _form()
    label = "抽查情况记录表" if form == "f1" else "检查情况记录表"
    return _pdf(svc.record_pdf(found, form), f"{label}{found.record_no}.pdf")


@bp.route("/tasks/<int:task_id>/records.pdf")
@login_required
@roles_required(*VIEW_ROLES)
def task_records(task_id: int) -> Response:
    task = _task_or_404(task_id)
    form = _form()
    rows = svc.records_of_task(task)
    if not rows:
        raise Invalid("该抽查任务还没有检查情况记录表")
    return _pdf(svc.task_records_pdf(task, form, rows), f"{task.name}检查情况记录表.pdf")


@bp.route("/tasks/<int:task_id>/notice/<int:task_object_id>.pdf")
@login_required
@roles_required(*VIEW_ROLES)
def notice(task_id: int, task_object_id: int) -> Response:
    task = _task_or_404(task_id)
    obj = db.session.get(TaskObject, task_object_id)
    if obj is None or obj.task_id != task.id or obj.removed:
        abort(404)
    return _pdf(svc.notice_pdf(task, obj), f"检查通知书-{task.id}-{obj.id}.pdf")
