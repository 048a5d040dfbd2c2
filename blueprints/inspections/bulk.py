"""Bulk actions on /tasks/<id>/records (services/record_bulk.py): 全部确认 of the records waiting
for the member, and 提交审核 / 审核通过 of the ticked records.  Each record keeps its own history
and audit entry; the ones that changed since the page was shown are skipped and listed, and
when none went through the page answers 409 with the reasons."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_login import login_required

from blueprints.common import current_actor
from blueprints.inspections.views import bp, task_or_404, task_page
from blueprints.web import roles_required
from infrastructure.errors import Invalid, ServiceError
from models import db
from services import record_bulk
from services.team_work import TEAM_WORK_ROLE


def _finish(task: Any, run: Any) -> Any:
    try:
        result = run()
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return task_page(task, exc.status)
    flash(f"已{result.label}{len(result.done)}份检查情况记录表：{result.done_text()}", "success")
    if result.skipped:
        flash(f"以下{len(result.skipped)}份检查情况记录表在页面打开后已被修改或不能{result.label}，未处理："
              f"{result.skipped_text()}", "warning")
    return redirect(url_for("inspections.task_records", id=task.id))


@bp.route("/tasks/<int:id>/records/confirm-all", methods=["POST"])
@login_required
@roles_required(TEAM_WORK_ROLE)
def confirm_all(id: int):
    """检查组成员签字确认 of every record the page listed as waiting for the member."""
    task = task_or_404(id)
    return _finish(task, lambda: record_bulk.confirm_all(current_actor(), task, record_bulk.parse_selection(request.form)))


@bp.route("/tasks/<int:id>/records/bulk", methods=["POST"])
@login_required
@roles_required(TEAM_WORK_ROLE)
def bulk(id: int):
    """提交审核 (action=submit) or 审核通过 (action=approve) of the ticked records."""
    task = task_or_404(id)
    action = request.form.get("action", "")

    def run() -> record_bulk.BulkResult:
        shown = record_bulk.parse_selection(request.form)
        if action == "submit":
            return record_bulk.submit_many(current_actor(), task, shown)
        if action == "approve":
            return record_bulk.approve_many(current_actor(), task, shown)
        raise Invalid("请选择提交审核或审核通过", "action")

    return _finish(task, run)
