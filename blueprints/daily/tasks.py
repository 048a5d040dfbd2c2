"""/daily/tasks and /daily/warnings: 日常监管任务 (seed 004 §2.2–§2.4) for each role.

The clerk creates manual tasks (the 部门领导 approves them) and event tasks and 分派 them; the
执法人员 认领 or 退回 (with a reason) and records the result on the category's feedback form; the
leader sees the 警示 and 效能监察 what passed its 截止时间.  A task of another department answers
404.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import or_, select

from blueprints.common import current_actor, get_visible_or_404
from blueprints.daily.views import KEEPERS, act, bp
from blueprints.web import roles_required
from infrastructure.errors import ServiceError
from models import db
from models.daily import DailyTask, TaskStatus
from models.roles import Role
from persistence.scope import subtree_ids
from services.daily import access, escalation, tasks

TASK_ROLES = (Role.CLERK, Role.DEPT_LEADER, Role.INSPECTOR)


def _task(ident: int) -> DailyTask:
    return get_visible_or_404(DailyTask, ident, access.can_view_task)


@bp.route("/tasks")
@login_required
@roles_required(*TASK_ROLES)
def tasks_page():
    me = current_actor()
    query = select(DailyTask)
    if request.args.get("mine") == "1" or not access.can_keep(me):
        query = query.where(DailyTask.officer_id == me.id)
    else:
        query = query.where(or_(DailyTask.department_id.in_(subtree_ids(me.department)), DailyTask.officer_id == me.id))
    status = request.args.get("status", "")
    if status in {s.value for s in TaskStatus}:
        query = query.where(DailyTask.status == status)
    rows = db.session.execute(query.order_by(DailyTask.escalation.desc(), DailyTask.due_on, DailyTask.id.desc())
                              .limit(200)).scalars().all()
    return render_template("daily/tasks.html", rows=rows, args=request.args, statuses=list(TaskStatus),
                           keeper=access.can_keep(me))


def _new_page(kind: str, form: Any = None, error: str = "", status: int = 200) -> Any:
    me = current_actor()
    return render_template("daily/task_new.html", kind=kind, form=form or {}, error=error, levels=tasks.LEVELS,
                           origins=tasks.EVENT_ORIGINS, officers=access.officer_candidates(me.department)), status


@bp.route("/tasks/new", methods=["GET", "POST"])
@login_required
@roles_required(*KEEPERS)
def new_task():
    """人员手动录入 (manual) or 随机事件监管 (``?kind=event``)."""
    kind = "event" if (request.values.get("kind") == "event") else "manual"
    if request.method == "GET":
        return _new_page(kind)
    verb = tasks.create_event if kind == "event" else tasks.create_manual
    try:
        made = verb(current_actor(), request.form)
    except ServiceError as exc:
        db.session.rollback()
        return _new_page(kind, request.form, exc.message, exc.status)
    db.session.commit()
    flash("已提交部门领导审批" if kind == "manual" else "已创建监管任务", "success")
    return redirect(url_for("daily.task", id=made.id))


@bp.route("/tasks/<int:id>")
@login_required
@roles_required(*TASK_ROLES, Role.EFFICIENCY)
def task(id: int):
    row = _task(id)
    me = current_actor()
    return render_template("daily/task.html", task=row, me=me, form_fields=tasks.form_of(row),
                           can_approve=tasks.can_approve(me, row), keeper=access.can_keep(me)
                           and row.department.is_within(me.department),
                           officers=access.officer_candidates(row.department), Status=TaskStatus)


def _verb(id: int, run: Any, done: str) -> Any:
    row = _task(id)
    return act(lambda: run(current_actor(), row), done, url_for("daily.task", id=row.id))


@bp.route("/tasks/<int:id>/approve", methods=["POST"])
@login_required
@roles_required(Role.DEPT_LEADER)
def approve(id: int):
    ok = request.form.get("decision") == "approve"
    return _verb(id, lambda me, t: tasks.approve(me, t, ok, request.form.get("reason", "")),
                 "已同意，任务已分派" if ok else "已退回不同意")


@bp.route("/tasks/<int:id>/assign", methods=["POST"])
@login_required
@roles_required(*KEEPERS)
def assign(id: int):
    officer = request.form.get("officer_id", "")
    return _verb(id, lambda me, t: tasks.assign(me, t, int(officer) if officer.isdigit() else None), "已分派")


@bp.route("/tasks/<int:id>/claim", methods=["POST"])
@login_required
@roles_required(Role.INSPECTOR)
def claim(id: int):
    return _verb(id, tasks.claim_task, "已认领")


@bp.route("/tasks/<int:id>/return", methods=["POST"])
@login_required
@roles_required(Role.INSPECTOR)
def return_task(id: int):
    return _verb(id, lambda me, t: tasks.return_task(me, t, request.form.get("reason", "")), "已退回")


@bp.route("/tasks/<int:id>/result", methods=["POST"])
@login_required
@roles_required(Role.INSPECTOR)
def result(id: int):
    return _verb(id, lambda me, t: tasks.record_result(me, t, request.form), "已记录监管结果")


@bp.route("/warnings")
@login_required
@roles_required(Role.DEPT_LEADER, Role.EFFICIENCY)
def warnings():
    """任务警示: the leader's 警示 and 截止; 效能监察's 截止 of the district."""
    query = escalation.warnings_query(current_actor())
    rows = db.session.execute(query.limit(500)).scalars().all() if query is not None else []
    return render_template("daily/warnings.html", rows=rows)
