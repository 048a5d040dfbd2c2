"""日常监管任务 by hand and by event (seed 004 §2.2–§2.4): 人员手动录入 with the leader's approval,
随机事件监管 (举报投诉, 上级交办, 外单位移交), 任务分派 (automatic to the object's 管理责任者, or
by hand), 监管任务认领 (认领 or 退回 with a reason) and 监管结果记录 on the category's feedback
form (or the default 监管结果/处理情况 form of a task without a category).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from infrastructure.clock import china_today
from infrastructure.errors import Conflict, Forbidden, Invalid
from infrastructure.excel import parse_date
from models import MarketEntity, User, db, utcnow
from models.daily import DailyTask, SupervisedObject, TaskOrigin, TaskStatus
from models.roles import Role
from persistence import audit
from persistence.notifications import notify
from persistence.workdays import WorkCalendar
from services.daily.access import area_entities, require_keeper, require_officer
from services.daily.categories import check_result
from services.daily.generate import DEFAULT_LADDER, ladder
from services.daily.objects import find_entity

EVENT_ORIGINS = (TaskOrigin.COMPLAINT, TaskOrigin.ASSIGNED, TaskOrigin.TRANSFER)
LEVELS = ("一般", "紧急", "特急")
DEFAULT_FORM = [
    {"label": "监管结果", "type": "choice", "options": ["未发现问题", "发现问题已责令整改", "发现问题已立案查处"]},
    {"label": "处理情况", "type": "text", "options": []},
]
STALE = "该任务已被他人处理，请刷新页面查看最新状态"


def form_of(task: DailyTask) -> list[dict[str, Any]]:
    return task.category.form if task.category is not None and task.category.form else DEFAULT_FORM


def _entity(actor: User, text: str, required: bool) -> MarketEntity | None:
    if not text.strip():
        if required:
            raise Invalid("请输入市场主体名称或统一社会信用代码", field="entity")
        return None
    entity = find_entity(actor, text)
    inside = db.session.execute(area_entities(actor.department).where(MarketEntity.id == entity.id)).first()
    if inside is None:
        raise Invalid(f"市场主体“{entity.name}”不在本部门辖区内", field="entity")
    return entity


def _object_of(department_id: int, entity: MarketEntity | None) -> SupervisedObject | None:
    if entity is None:
        return None
    return db.session.execute(select(SupervisedObject).where(
        SupervisedObject.department_id == department_id, SupervisedObject.entity_id == entity.id,
        SupervisedObject.active.is_(True))).scalar_one_or_none()


def _date(value: Any, field: str, label: str, required: bool = True) -> date | None:
    text = str(value or "").strip()
    if not text:
        if required:
            raise Invalid(f"请填写{label}", field=field)
        return None
    parsed = parse_date(text)
    if parsed is None:
        raise Invalid(f"{label}格式不正确", field=field)
    return parsed


def _dispatch(task: DailyTask, officer_id: int | None) -> None:
    """Set the 提醒/警示/截止 dates from the start and hand the task to its officer."""
    start = max(task.period_start, china_today())
    task.remind_on, task.warn_on, task.due_on = ladder(WorkCalendar(), start, DEFAULT_LADDER)
    if task.period_end is not None and task.due_on > task.period_end:
        task.due_on = max(task.period_end, start)
        task.warn_on, task.remind_on = min(task.warn_on, task.due_on), min(task.remind_on, task.due_on)
    task.officer_id = officer_id
    task.status = TaskStatus.ASSIGNED if officer_id else TaskStatus.UNASSIGNED
    if officer_id:
        notify([db.session.get(User, officer_id)], f"新的日常监管任务：{task.title}", link=f"/daily/tasks/{task.id}")


def create_manual(actor: User, data: dict[str, Any]) -> DailyTask:
    """人员手动录入: waits for the 部门领导's approval."""
    require_keeper(actor)
    title = str(data.get("title", "")).strip()
    if not title:
        raise Invalid("请填写任务名称", field="title")
    level = str(data.get("level", "一般"))
    if level not in LEVELS:
        raise Invalid("请选择紧急程度", field="level")
    start = _date(data.get("period_start"), "period_start", "开始日期")
    end = _date(data.get("period_end"), "period_end", "结束日期")
    assert start is not None and end is not None
    if end < start:
        raise Invalid("结束日期不能早于开始日期", field="period_end")
    items = str(data.get("items", "")).strip()
    if not items:
        raise Invalid("请填写监管事项", field="items")
    entity = _entity(actor, str(data.get("entity", "")), required=False)
    officer_id = int(data["officer_id"]) if str(data.get("officer_id", "")).isdigit() else None
    if officer_id:
        require_officer(actor.department, officer_id)
    obj = _object_of(actor.department_id, entity)
    task = DailyTask(department_id=actor.department_id, origin=TaskOrigin.MANUAL, title=title[:200],
                     entity_id=entity.id if entity else None, object_id=obj.id if obj else None, level=level,
                     area=str(data.get("area", "")).strip()[:200], items=items,
                     requirements=str(data.get("requirements", "")).strip(), period_start=start, period_end=end,
                     status=TaskStatus.PENDING_APPROVAL, officer_id=officer_id, created_by_id=actor.id)
    db.session.add(task)
    db.session.flush()
    audit.record("daily.task_create", object_type="daily_task", object_id=task.id, summary={"任务": title})
    return task


def can_approve(user: User, task: DailyTask) -> bool:
    return user.is_active and user.has_role(Role.DEPT_LEADER) and task.department.is_within(user.department)


def approve(actor: User, task: DailyTask, approved: bool, reason: str = "") -> None:
    if not can_approve(actor, task):
        raise Forbidden("只有本部门领导可以审批监管任务")
    if task.status is not TaskStatus.PENDING_APPROVAL:
        raise Conflict(STALE)
    task.approved_by_id = actor.id
    if not approved:
        if not reason.strip():
            raise Invalid("请填写不同意的理由", field="reason")
        task.status, task.return_reason = TaskStatus.REJECTED, reason.strip()
    else:
        obj = db.session.get(SupervisedObject, task.object_id) if task.object_id else None
        _dispatch(task, task.officer_id or (obj.officer_id if obj else None))
    db.session.flush()
    audit.record("daily.task_approve", object_type="daily_task", object_id=task.id,
                 summary={"结论": "同意" if approved else "不同意", "理由": reason.strip()})


def create_event(actor: User, data: dict[str, Any]) -> DailyTask:
    """随机事件监管: 举报投诉, 上级交办, 外单位移交 — dispatched at once, no approval."""
    require_keeper(actor)
    try:
        origin = TaskOrigin(data.get("origin", ""))
    except ValueError:
        origin = None
    if origin not in EVENT_ORIGINS:
        raise Invalid("请选择任务来源（举报投诉、上级交办、外单位移交）", field="origin")
    entity = _entity(actor, str(data.get("entity", "")), required=True)
    assert entity is not None
    source_ref = str(data.get("source_ref", "")).strip()
    if not source_ref:
        raise Invalid("请填写来源说明（如举报编号、交办文号、移交单位）", field="source_ref")
    items = str(data.get("items", "")).strip() or origin.label
    obj = _object_of(actor.department_id, entity)
    officer_id = int(data["officer_id"]) if str(data.get("officer_id", "")).isdigit() else None
    if officer_id:
        require_officer(actor.department, officer_id)
    task = DailyTask(department_id=actor.department_id, origin=origin, title=f"{origin.label}：{entity.name}"[:200],
                     entity_id=entity.id, object_id=obj.id if obj else None, level="紧急", items=items,
                     source_ref=source_ref[:200], period_start=china_today(), status=TaskStatus.UNASSIGNED,
                     created_by_id=actor.id)
    db.session.add(task)
    db.session.flush()
    _dispatch(task, officer_id or (obj.officer_id if obj else None))
    db.session.flush()
    audit.record("daily.task_create", object_type="daily_task", object_id=task.id,
                 summary={"来源": origin.label, "市场主体": entity.name, "说明": source_ref})
    return task


def assign(actor: User, task: DailyTask, officer_id: int | None) -> None:
    """任务手工分派."""
    require_keeper(actor)
    if task.status not in (TaskStatus.UNASSIGNED, TaskStatus.RETURNED, TaskStatus.ASSIGNED):
        raise Conflict(STALE)
    officer = require_officer(task.department, officer_id)
    task.officer_id, task.status = officer.id, TaskStatus.ASSIGNED
    if task.due_on is None:
        _dispatch(task, officer.id)
    else:
        notify([officer], f"新的日常监管任务：{task.title}", link=f"/daily/tasks/{task.id}")
    db.session.flush()
    audit.record("daily.task_assign", object_type="daily_task", object_id=task.id, summary={"执法人员": officer.name})


def _mine(actor: User, task: DailyTask, *statuses: TaskStatus) -> None:
    if task.officer_id != actor.id:
        raise Forbidden("该任务未分派给您")
    if task.status not in statuses:
        raise Conflict(STALE)


def claim_task(actor: User, task: DailyTask) -> None:
    _mine(actor, task, TaskStatus.ASSIGNED)
    task.status = TaskStatus.CLAIMED
    db.session.flush()
    audit.record("daily.task_claim", object_type="daily_task", object_id=task.id, summary={"任务": task.title})


def return_task(actor: User, task: DailyTask, reason: str) -> None:
    _mine(actor, task, TaskStatus.ASSIGNED, TaskStatus.CLAIMED)
    reason = reason.strip()
    if not reason:
        raise Invalid("退回任务必须写明退回原因", field="reason")
    task.status, task.officer_id, task.return_reason = TaskStatus.RETURNED, None, reason[:2000]
    db.session.flush()
    from services.daily.escalation import keepers_of

    notify(keepers_of(task.department_id), f"日常监管任务被退回：{task.title}", body=f"{actor.name}：{reason}",
           link=f"/daily/tasks/{task.id}")
    audit.record("daily.task_return", object_type="daily_task", object_id=task.id, summary={"原因": reason})


def record_result(actor: User, task: DailyTask, data: dict[str, Any]) -> None:
    """监管结果记录 on the task's feedback form; the task is done."""
    _mine(actor, task, TaskStatus.ASSIGNED, TaskStatus.CLAIMED)
    answers = check_result(form_of(task), data)
    task.result, task.result_note = answers, str(data.get("note", "")).strip()[:2000]
    task.status, task.done_at = TaskStatus.DONE, utcnow()
    db.session.flush()
    audit.record("daily.task_result", object_type="daily_task", object_id=task.id, summary=answers)
