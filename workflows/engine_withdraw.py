"""撤回 (withdraw): who may take back the step they just completed, and taking it back."""

from __future__ import annotations

from sqlalchemy.orm.exc import StaleDataError

from models import ProcessHistory, ProcessInstance, User, WorkItem, db, utcnow
from models.workflow import InstanceStatus, WorkItemStatus
from persistence import audit
from workflows.engine_base import lock_instance, process_of, record_history, step_of
from workflows.errors import ProcessError, StaleSubmission
from workflows.model import TransitionKind


def can_withdraw(user: User, instance: ProcessInstance) -> bool:
    return _withdrawable(user, instance) is not None


def _withdrawable(user: User, instance: ProcessInstance) -> ProcessHistory | None:
    """The last forward action of ``user``, if nothing has been done since (撤回)."""
    if instance.status != InstanceStatus.ACTIVE or not instance.history:
        return None
    last = instance.history[-1]
    if last.actor_id != user.id or last.action in {"start", "withdraw", "auto", "skip"}:
        return None
    process = process_of(instance)
    step = step_of(process, last.step_key)
    if step.per_party or last.target_step != instance.current_step:
        return None
    transition = next((t for t in process.outgoing(step.key) if t.outcome == last.action), None)
    if transition is None or transition.kind == TransitionKind.RETURN:
        return None
    current = [i for i in instance.work_items if i.step_key == instance.current_step]
    if any(i.status == WorkItemStatus.DONE for i in current):
        return None
    return last


def withdraw(user: User, instance_id: int, *, version: int) -> ProcessInstance:
    instance = lock_instance(instance_id)
    if instance.version != version:
        raise StaleSubmission()
    last = _withdrawable(user, instance)
    if last is None:
        raise ProcessError("该事项已由下一环节处理或不允许撤回")
    process = process_of(instance)
    step = step_of(process, last.step_key)
    for item in instance.work_items:
        if item.step_key == instance.current_step and item.status == WorkItemStatus.OPEN:
            item.status = WorkItemStatus.CANCELLED
    previous = next(
        i for i in reversed(instance.work_items) if i.step_key == step.key and i.done_by_id == user.id
    )
    instance.work_items.append(
        WorkItem(
            process_table=instance.process_table,
            step_key=step.key,
            lane=previous.lane,
            department_id=previous.department_id,
            user_id=previous.user_id,
            status=WorkItemStatus.OPEN,
        )
    )
    instance.current_step = step.key
    instance.updated_at = utcnow()
    record_history(instance, step, "withdraw", "撤回", user, target=step.key)
    audit.record(
        "process_withdraw",
        object_type="process_instance",
        object_id=instance.id,
        summary={"表": process.table, "环节": step.name},
        user=user,
    )
    try:
        db.session.flush()
    except StaleDataError:
        raise StaleSubmission() from None
    return instance
