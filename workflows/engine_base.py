"""What the engine's parts share: an instance's process and step, the row lock on an instance, and
its history rows."""

from __future__ import annotations

from sqlalchemy import select

from models import ProcessHistory, ProcessInstance, User, db, utcnow
from workflows.errors import NotFound
from workflows.model import Process, Step
from workflows.registry import get_process

PLATFORM_NAME = "智慧监管平台"


def process_of(instance: ProcessInstance) -> Process:
    try:
        return get_process(instance.process_table)
    except LookupError as exc:
        raise NotFound(str(exc)) from None


def step_of(process: Process, key: str) -> Step:
    try:
        return process.step(key)
    except KeyError:
        raise NotFound("未知的业务环节") from None


def lock_instance(instance_id: int) -> ProcessInstance:
    stmt = select(ProcessInstance).where(ProcessInstance.id == instance_id).with_for_update()
    return db.session.execute(stmt.execution_options(populate_existing=True)).scalar_one()


def record_history(
    instance: ProcessInstance,
    step: Step,
    action: str,
    label: str,
    user: User | None,
    *,
    comment: str = "",
    target: str = "",
) -> None:
    seq = len(instance.history) + 1
    instance.history.append(
        ProcessHistory(
            seq=seq,
            step_key=step.key,
            step_name=label if action == "start" else step.name,
            action=action,
            target_step=target,
            actor_id=user.id if user else None,
            actor_name=user.name if user else PLATFORM_NAME,
            department_id=user.department_id if user else None,
            department_name=user.department.name if user else PLATFORM_NAME,
            comment=comment if action != "start" else "",
            at=utcnow(),
            version=instance.version or 1,
        )
    )
