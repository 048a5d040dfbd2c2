"""/sanctions/lists: 联合奖惩对象名单 of the 发起部门 (表29 形成名单, 推送公示), and
/sanctions/tasks: the implementing department's tasks (接收, 执行, 录入结果)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for

from blueprints.common import current_actor, get_visible_or_404
from blueprints.sanctions import bp
from blueprints.web import roles_required
from infrastructure.errors import ServiceError
from models import SanctionList, SanctionObject, SanctionTask, db
from models.roles import Role
from models.sanctions import SanctionTaskStatus
from persistence.scope import scope_owned
from services.sanctions import lists, tasks

DEPT = (Role.CLERK, Role.DEPT_LEADER)


def _act(action: Callable[[], Any], done: str, target: str, page: Callable[..., Any]) -> Any:
    try:
        action()
    except ServiceError as exc:
        db.session.rollback()
        return page(error=exc.message, status=exc.status)
    db.session.commit()
    flash(done, "success")
    return redirect(target)


def _list(list_id: int) -> SanctionList:
    return get_visible_or_404(SanctionList, list_id, lists.can_view)


@bp.route("/lists", methods=["GET", "POST"])
@roles_required(*DEPT)
def lists_index(error: str = "", status: int = 200) -> Any:
    me = current_actor()
    if request.method == "POST" and not error:
        made: list[SanctionList] = []
        return _act(lambda: made.append(lists.create_list(me, request.form.get("title", ""))), "已新建名单",
                    url_for("sanctions.lists_index"), lambda **kw: lists_index(**kw))
    rows = db.session.execute(scope_owned(db.select(SanctionList), SanctionList, me)
                              .order_by(SanctionList.id.desc()).limit(200)).scalars().all()
    return render_template("sanctions/lists.html", rows=rows, error=error), status


@bp.route("/lists/<int:id>")
@roles_required(*DEPT)
def list_page(id: int, error: str = "", status: int = 200) -> Any:
    lst = _list(id)
    me = current_actor()
    inst = lists.instance_of(lst)
    step = next((i.step_key for i in (inst.work_items if inst else []) if i.status == "open"
                 and i.step_key in ("publicize",) and lists.is_initiator(me, lst)), "")
    return render_template("sanctions/list.html", lst=lst, error=error, form=request.form, step=step,
                           entries=lists.usable_entries(me), mine=lists.is_initiator(me, lst)), status


def _row() -> dict[str, Any]:
    return {k: request.form.get(k, "") for k in ("subject", "code", "name", "entry", "basis", "decided_on",
                                                 "valid_until")}


@bp.post("/lists/<int:id>/objects")
@roles_required(*DEPT)
def list_add(id: int) -> Any:
    lst = _list(id)
    return _act(lambda: lists.add_objects(current_actor(), lst, [_row()]), "已加入名单",
                url_for("sanctions.list_page", id=lst.id), lambda **kw: list_page(lst.id, **kw))


@bp.post("/lists/<int:id>/objects/<int:object_id>/remove")
@roles_required(*DEPT)
def list_remove(id: int, object_id: int) -> Any:
    lst = _list(id)
    obj = get_visible_or_404(SanctionObject, object_id, lambda u, o: o.list_id == lst.id)
    return _act(lambda: lists.remove_object(current_actor(), lst, obj), "已移出名单",
                url_for("sanctions.list_page", id=lst.id), lambda **kw: list_page(lst.id, **kw))


@bp.post("/lists/<int:id>/form")
@roles_required(*DEPT)
def list_form(id: int) -> Any:
    lst = _list(id)
    return _act(lambda: lists.form_list(current_actor(), lst), "名单已形成，请推送公示",
                url_for("sanctions.list_page", id=lst.id), lambda **kw: list_page(lst.id, **kw))


@bp.post("/lists/<int:id>/publicize")
@roles_required(*DEPT)
def list_publicize(id: int) -> Any:
    lst = _list(id)
    return _act(lambda: lists.publicize(current_actor(), lst), "已推送公示，联合奖惩任务已生成",
                url_for("sanctions.list_page", id=lst.id), lambda **kw: list_page(lst.id, **kw))


# ------------------------------------------------------------------ tasks


@bp.route("/tasks")
@roles_required(*DEPT)
def tasks_index(error: str = "", status: int = 200) -> Any:
    me = current_actor()
    state = request.args.get("status", "")
    overdue = request.args.get("overdue") == "1"
    query = tasks.department_query(me, status=state, overdue=overdue)
    list_id = request.args.get("id", type=int)
    if list_id:
        query = query.where(SanctionTask.object_id.in_(db.select(SanctionObject.id).where(
            SanctionObject.list_id == list_id)))
    page = db.paginate(query, per_page=100, error_out=False)
    return render_template("sanctions/tasks.html", page=page, statuses=SanctionTaskStatus, state=state,
                           overdue=overdue, today=lists.today(), error=error,
                           counts=tasks.counts_by_status(me)), status


def _ids() -> list[int]:
    return [int(v) for v in request.form.getlist("task_id") if v.isdigit()]


@bp.post("/tasks/receive")
@roles_required(*DEPT)
def tasks_receive() -> Any:
    return _act(lambda: tasks.receive(current_actor(), _ids()), "已接收", url_for("sanctions.tasks_index"),
                lambda **kw: tasks_index(**kw))


@bp.post("/tasks/execute")
@roles_required(*DEPT)
def tasks_execute() -> Any:
    return _act(lambda: tasks.execute(current_actor(), _ids()), "已标记为执行", url_for("sanctions.tasks_index"),
                lambda **kw: tasks_index(**kw))


@bp.post("/tasks/<int:id>/result")
@roles_required(*DEPT)
def task_result(id: int) -> Any:
    task = get_visible_or_404(SanctionTask, id, tasks.can_view)
    return _act(lambda: tasks.record_result(current_actor(), task, request.form.get("result", "")), "已录入结果",
                url_for("sanctions.tasks_index"), lambda **kw: tasks_index(**kw))
