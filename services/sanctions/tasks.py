"""联合奖惩任务 (表29, second half): 接收 → 执行 → 录入结果, by the implementing department, on the
task list, through /api/v1 or the counter plug-in; and the check a counter system makes.

A department works its own tasks (the department of the task, or a leader above it); another
department's task is refused (403).  When every task of one list is received, executed or
recorded for a department, that department's per-party step of the list's 表29 instance moves
on (the history shows the department's last task through each step); the platform then
gathers the results under the entity or the person (归集: ``results_of_entity`` /
``results_of_person`` read them for the dossier and the person page).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, func, or_, select

from infrastructure.errors import Conflict, Forbidden, Invalid
from infrastructure.validators import normalize_code
from models import ProcessInstance, User, db, utcnow
from models.roles import Role
from models.sanctions import (
    SanctionEntry,
    SanctionList,
    SanctionMeasure,
    SanctionObject,
    SanctionTask,
)
from models.sanctions import SanctionTaskStatus as TS
from models.workflow import InstanceStatus, WorkItemStatus
from persistence import audit
from persistence.scope import subtree_ids
from services.plan_queries import today
from services.sanctions import lists
from workflows import engine

ORDER = (TS.ISSUED, TS.RECEIVED, TS.EXECUTED, TS.RECORDED)
STEP_OF = {TS.RECEIVED: "receive", TS.EXECUTED: "execute", TS.RECORDED: "record"}
STEP_INDEX = {key: ORDER.index(status) for status, key in STEP_OF.items()}
CHANNELS = ("平台", "接口", "插件")


def can_work(user: User, task: SanctionTask) -> bool:
    if not user.is_active:
        return False
    if user.department_id == task.department_id:
        return user.has_role(Role.CLERK, Role.DEPT_LEADER, Role.API_CLIENT)
    return user.has_role(Role.DEPT_LEADER) and task.department.is_within(user.department)


def can_view(user: User, task: SanctionTask) -> bool:
    return user.is_active and (task.department.is_within(user.department)
                               or lists.can_view(user, task.object.sanction_list))


def department_query(user: User, *, status: str = "", overdue: bool = False) -> Select[Any]:
    """The tasks of the user's department and below, newest first."""
    query = select(SanctionTask).where(SanctionTask.department_id.in_(subtree_ids(user.department)))
    if status in {s.value for s in TS}:
        query = query.where(SanctionTask.status == status)
    if overdue:
        query = query.where(SanctionTask.status != TS.RECORDED, SanctionTask.due_on < today())
    return query.order_by(SanctionTask.id.desc())


def _load(user: User, ids: Sequence[int]) -> list[SanctionTask]:
    tasks = list(db.session.execute(select(SanctionTask).where(SanctionTask.id.in_(list(ids)))).scalars())
    if len(tasks) != len(set(ids)):
        raise Invalid("所选任务不存在")
    if any(not can_work(user, t) for t in tasks):
        raise Forbidden("只能办理本部门的联合奖惩任务")
    return tasks


def _move(user: User, tasks: Sequence[SanctionTask], status: TS, channel: str) -> None:
    now = utcnow()
    for task in tasks:
        if ORDER.index(task.status_enum) >= ORDER.index(status):
            continue
        if status == TS.RECEIVED or task.received_at is None:
            task.received_at = now
        if status in (TS.EXECUTED, TS.RECORDED) and task.executed_at is None:
            task.executed_at = now
        task.status = status
        task.channel = channel
    db.session.flush()
    for list_id, department_id in {(t.object.list_id, t.department_id) for t in tasks}:
        _follow(user, db.session.get(SanctionList, list_id), department_id)


def _follow(user: User, lst: SanctionList | None, department_id: int) -> None:
    """After ``user`` moved tasks of ``department_id``: the list's instance follows."""
    inst = lists.instance_of(lst) if lst is not None else None
    if inst is not None:
        sync(inst, user)


def reached(list_id: int) -> dict[int, int]:
    """Per implementing department of a list: how far its least advanced task went (ORDER index)."""
    rows = db.session.execute(
        select(SanctionTask.department_id, SanctionTask.status).join(SanctionObject, SanctionObject.id == SanctionTask.object_id)
        .where(SanctionObject.list_id == list_id).distinct()
    ).all()
    least: dict[int, int] = {}
    for department_id, status in rows:
        index = ORDER.index(TS(status))
        least[department_id] = min(index, least.get(department_id, index))
    return least


def sync(inst: ProcessInstance, user: User | None = None) -> int:
    """Move every department's per-party steps (接收/执行/录入结果) of a list's 表29 instance as
    far as its tasks went, whichever way they were worked (pages, /api/v1, the plug-in): the
    acting user's own department's items in their name, another department's (whose tasks
    got there while the instance waited at the join for a slower one) by the platform.
    Returns how many items were completed."""
    done = 0
    for _round in range(len(STEP_OF) + 1):
        if inst.status != InstanceStatus.ACTIVE or inst.subject_id is None:
            break
        least = reached(inst.subject_id)
        ready = [i for i in inst.work_items if i.status == WorkItemStatus.OPEN and i.step_key in STEP_INDEX
                 and least.get(i.department_id or 0, 0) >= STEP_INDEX[i.step_key]]
        if not ready:
            break
        for item in ready:
            if item.status != WorkItemStatus.OPEN:
                continue
            own = user is not None and user.department_id == item.department_id
            if own and engine.can_act(user, item):  # type: ignore[arg-type]
                engine.complete(user, item.id, "next", version=item.version)  # type: ignore[arg-type]
            else:
                engine.complete_reported(user if own else None, item,
                                         comment="" if own else "本部门的任务已办至该环节，平台自动办理")
            done += 1
    return done


def receive(user: User, ids: Sequence[int], channel: str = "平台") -> int:
    tasks = _load(user, ids)
    _move(user, tasks, TS.RECEIVED, channel)
    return len(tasks)


def execute(user: User, ids: Sequence[int], channel: str = "平台") -> int:
    tasks = _load(user, ids)
    _move(user, tasks, TS.EXECUTED, channel)
    return len(tasks)


def record_result(user: User, task: SanctionTask, result: str, channel: str = "平台") -> bool:
    """录入联合奖惩结果.  True when written; False when the same result was already recorded
    (a repeated call is harmless); another result for a recorded task is refused."""
    [task] = _load(user, [task.id])
    result = (result or "").strip()
    if not result:
        raise Invalid("请填写联合奖惩结果", "result")
    if len(result) > 2000:
        raise Invalid("联合奖惩结果不能超过2000个字", "result")
    if task.status == TS.RECORDED:
        if task.result == result:
            return False
        raise Conflict("该任务已录入结果")
    task.result, task.recorded_at, task.recorded_by_id = result, utcnow(), user.id
    _move(user, [task], TS.RECORDED, channel)
    audit.record("sanction_result", object_type="sanction_task", object_id=task.id,
                 summary={"对象": task.object.name, "措施": task.measure.content[:100], "结果": result[:200]}, user=user)
    return True


def record_for_code(user: User, code: str, result: str, channel: str = "插件") -> tuple[int, list[SanctionTask]]:
    """The counter plug-in's 录入结果: ``result`` for every task of the user's department on the
    objects of a 统一社会信用代码 or 身份证号 (tasks already recorded are left as they are, so a
    repeated call writes nothing).  Returns (written, tasks); NotFound when there are none."""
    from infrastructure.errors import NotFound

    found = list(db.session.execute(
        select(SanctionTask).join(SanctionObject, SanctionObject.id == SanctionTask.object_id)
        .where(SanctionObject.code == normalize_code(code), SanctionTask.department_id == user.department_id)
        .order_by(SanctionTask.id)
    ).scalars())
    if not found:
        raise NotFound("本部门没有该对象的联合奖惩任务")
    written = 0
    for task in found:
        if task.status != TS.RECORDED:
            written += int(record_result(user, task, result, channel))
    return written, found


def in_force() -> Any:
    """The clause of an object still in force today (not released, not expired)."""
    return and_(SanctionObject.released_at.is_(None),
                or_(SanctionObject.valid_until.is_(None), SanctionObject.valid_until >= today()))


def check(code: str, department_id: int | None = None) -> list[dict[str, Any]]:
    """The counter plug-in's check: the measures that apply to a code (统一社会信用代码 or 身份证号),
    for one department or all; one indexed query (ix_sanction_object_code)."""
    code = normalize_code(code)
    query = (
        select(SanctionObject.name, SanctionEntry.kind, SanctionEntry.behaviour, SanctionObject.basis,
               SanctionObject.decided_on, SanctionObject.valid_until, SanctionMeasure.content,
               SanctionMeasure.department_id)
        .join(SanctionEntry, SanctionEntry.id == SanctionObject.entry_id)
        .join(SanctionMeasure, SanctionMeasure.entry_id == SanctionEntry.id)
        .join(SanctionList, SanctionList.id == SanctionObject.list_id)
        .where(SanctionObject.code == code, in_force(), SanctionList.published_at.is_not(None))
    )
    if department_id is not None:
        query = query.where(SanctionMeasure.department_id == department_id)
    return [
        {"name": r[0], "kind": r[1], "behaviour": r[2], "basis": r[3], "decided_on": r[4].isoformat(),
         "valid_until": r[5].isoformat() if r[5] else None, "measure": r[6], "department_id": r[7]}
        for r in db.session.execute(query)
    ]


def results_of(*, entity_id: int | None = None, person_id: int | None = None) -> list[SanctionTask]:
    """归集: the tasks of the objects of an entity or a person, results first."""
    where = SanctionObject.entity_id == entity_id if entity_id is not None else SanctionObject.person_id == person_id
    return list(db.session.execute(
        select(SanctionTask).join(SanctionObject, SanctionObject.id == SanctionTask.object_id).where(where)
        .order_by(SanctionTask.recorded_at.desc().nulls_last(), SanctionTask.id.desc())
    ).scalars())


def results_rows(*, entity_id: int | None = None, person_id: int | None = None) -> list[tuple[tuple[str, ...], str]]:
    """The results of ``results_of`` as the dossier and the person page print them."""
    from infrastructure.clock import format_china

    return [
        ((t.object.entry.behaviour, t.measure.content, t.department.name, t.status_enum.label, t.result or "—",
          format_china(t.recorded_at) if t.recorded_at else ""), f"{t.object.sanction_list.department.name} · 联合奖惩")
        for t in results_of(entity_id=entity_id, person_id=person_id)
    ]


def counts_by_status(user: User) -> dict[str, int]:
    rows = db.session.execute(
        select(SanctionTask.status, func.count()).where(SanctionTask.department_id.in_(subtree_ids(user.department)))
        .group_by(SanctionTask.status)
    ).all()
    return {str(s): int(n) for s, n in rows}
