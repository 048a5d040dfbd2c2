"""After the records are written: each member's 确认, 提交, 完成录入, the leader's 审核, and 完成检查; with the
overview and counts of a task's records."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from infrastructure.errors import Conflict, Forbidden, Invalid
from models import (
    InspectionRecord,
    ProcessInstance,
    RecordConfirmation,
    RecordStatus,
    ResultCategory,
    Task,
    TaskObject,
    TeamMember,
    TeamRole,
    User,
    db,
    utcnow,
)
from models.plans import TaskStatus
from models.workflow import InstanceStatus
from persistence import audit
from services import inspection_prep as prep
from services import inspector_draws as draws
from services import task_access, teams
from services.inspections import (
    FINISH_STEP,
    INSPECT_STEP,
    MAX_TEXT,
    NOT_EDITABLE,
    RECORD_OBJECT,
    RECORD_STEP,
    REVIEW_STEP,
    Unprocessable,
    can_edit,
    confirmers,
    instance_of,
    is_leader,
    lock_record,
    missing_records,
    record_departments,
    records_of,
    task_objects,
)
from workflows import engine


def confirmed_ids(record: InspectionRecord) -> set[int]:
    return {c.team_member_id for c in record.confirmations}


def unconfirmed(record: InspectionRecord) -> list[TeamMember]:
    done = confirmed_ids(record)
    return [m for m in confirmers(record.task) if m.id not in done]


def confirm(actor: User, record: InspectionRecord, lock_version: int | None) -> RecordConfirmation:
    """A team member confirms the record as it stands (检查组全体成员签字确认)."""
    member = task_access.member_of(actor, record.task)
    if member is None or member.role == TeamRole.EXPERT:
        raise Forbidden("只有检查组的执法人员可以确认检查情况记录表")
    lock_record(record, lock_version)
    if not record.status.editable:
        raise Conflict(NOT_EDITABLE)
    if member.id in confirmed_ids(record):
        raise Conflict("您已确认过该检查情况记录表")
    problems = fill_problems(record)
    if problems:
        raise Unprocessable("记录表尚未填写完整，不能确认：" + "；".join(problems))
    row = RecordConfirmation(team_member_id=member.id, user_id=actor.id, record_lock_version=record.lock_version)
    record.confirmations.append(row)
    db.session.flush()
    audit.record("record_confirm", object_type=RECORD_OBJECT, object_id=record.id,
                 summary={"记录编号": record.record_no, "执法人员": actor.name, "版本": record.lock_version}, user=actor)
    return row


def fill_problems(record: InspectionRecord) -> list[str]:
    """What is not filled in yet (the record's content, not the members' confirmations).  A
    record marked 无法检查 with its reason needs no check rows and no entity signature."""
    out = []
    not_inspected = record.result == ResultCategory.NOT_INSPECTED
    if not record.method:
        out.append("未选择检查方式")
    if record.inspected_at is None:
        out.append("未填写检查时间")
    if record.result is None:
        out.append("未选择检查结果")
    if not_inspected:
        if not record.result_note:
            out.append("无法检查的须在结果说明中填写原因")
    elif not record.lines:
        out.append("未填写检查项目")
    elif any(not line.outcome for line in record.lines):
        out.append("有检查项目未填写检查结果")
    if record.result is not None and record.result.is_problem and not (record.findings or record.result_note):
        out.append("发现问题的检查结果须在记录情况或结果说明中写明问题")
    if not record.signed_at and not record.refused and not not_inspected:
        out.append("被检查对象未签字（盖章），也未记录拒绝签字情况")
    return out


def form_problems(record: InspectionRecord) -> list[str]:
    """What keeps the record from being submitted or approved (form and consistency)."""
    out = fill_problems(record)
    waiting = unconfirmed(record)
    if waiting:
        out.append("尚有检查组成员未确认：" + "、".join(m.inspector.name for m in waiting if m.inspector))
    return out


def unfilled(task: Task) -> list[str]:
    """One line per (object, 填报部门) whose record is missing or not filled in."""
    out = [f"{prep.object_info(o).name}（{d.name}）：未填写检查情况记录表" for o, d in missing_records(task)]
    for record in records_of(task):
        problems = fill_problems(record)
        if problems:
            out.append(f"{record.record_no} {record.subject_name}：" + "、".join(problems))
    return out


def submit(actor: User, record: InspectionRecord, lock_version: int | None) -> InspectionRecord:
    if not can_edit(actor, record):
        raise Forbidden("只有检查组中该填报部门的执法人员或组长可以提交检查结果")
    lock_record(record, lock_version)
    if not record.status.editable:
        raise Conflict(NOT_EDITABLE)
    task = record.task
    instance = instance_of(task)
    if instance is None or instance.status != InstanceStatus.ACTIVE or instance.current_step != RECORD_STEP:
        if instance is not None and instance.current_step == INSPECT_STEP:
            raise Conflict("检查组组长确认“检查完成”后才能提交检查结果")
        raise Conflict("该抽查任务当前不在录入检查结果环节，请刷新页面")
    problems = form_problems(record)
    if problems:
        raise Unprocessable("不能提交：" + "；".join(problems))
    record.status = RecordStatus.SUBMITTED
    record.submitted_by_id = actor.id
    record.submitted_at = utcnow()
    record.return_reason = ""
    record.lock_version += 1
    db.session.flush()
    audit.record("record_submit", object_type=RECORD_OBJECT, object_id=record.id,
                 summary={"记录编号": record.record_no, "检查结果": record.result_label}, user=actor)
    if recording_done(task):
        engine.advance(actor, instance, RECORD_STEP, "next", comment="检查结果已全部录入")
    return record


def recording_done(task: Task) -> bool:
    """Every object has a record for each 填报部门 and none is a draft or returned."""
    return not missing_records(task) and not any(r.status.editable for r in records_of(task))


def can_complete_recording(user: User, task: Task) -> bool:
    """录入检查结果 is still open although every record was submitted (its 提交审核 was withdrawn
    on the instance page): a member sends it on."""
    instance = instance_of(task)
    return (instance is not None and instance.status == InstanceStatus.ACTIVE
            and instance.current_step == RECORD_STEP and engine.open_item(user, instance, RECORD_STEP) is not None
            and recording_done(task))


def complete_recording(actor: User, task: Task) -> ProcessInstance:
    if not can_complete_recording(actor, task):
        raise Conflict("尚有检查情况记录表未提交，或该抽查任务已不在录入检查结果环节，请刷新页面")
    instance = instance_of(task)
    assert instance is not None
    return engine.advance(actor, instance, RECORD_STEP, "next", comment="检查结果已全部录入")


def can_review(user: User, task: Task) -> bool:
    instance = instance_of(task)
    return instance is not None and engine.open_item(user, instance, REVIEW_STEP) is not None


def review(actor: User, record: InspectionRecord, lock_version: int | None, *, approve: bool,
           reason: str = "") -> InspectionRecord:
    task = record.task
    instance = instance_of(task)
    if not is_leader(actor, task):
        raise Forbidden("由检查组组长审核检查结果")
    lock_record(record, lock_version)
    if instance is None or engine.open_item(actor, instance, REVIEW_STEP) is None:
        raise Conflict("该抽查任务当前不在审核检查结果环节，请刷新页面")
    if record.status != RecordStatus.SUBMITTED:
        raise Conflict("该检查情况记录表不是待审核状态，请刷新页面")
    reason = (reason or "").strip()
    if len(reason) > MAX_TEXT:
        raise Invalid(f"退回理由不能超过{MAX_TEXT}个字符", "reason")
    if approve:
        problems = form_problems(record)
        if problems:
            raise Unprocessable("未通过一致性、规范性审核：" + "；".join(problems) + "。请退回修改")
        record.status = RecordStatus.APPROVED
    else:
        if not reason:
            raise Invalid("退回修改须填写理由", "reason")
        record.status = RecordStatus.RETURNED
        record.return_reason = reason
    record.reviewed_by_id = actor.id
    record.reviewed_at = utcnow()
    record.lock_version += 1
    db.session.flush()
    audit.record("record_approve" if approve else "record_return", object_type=RECORD_OBJECT, object_id=record.id,
                 summary={"记录编号": record.record_no, "理由": reason}, user=actor)
    _close_review(actor, task, instance)
    return record


def _close_review(actor: User, task: Task, instance: ProcessInstance) -> None:
    """When no submitted record is left: 退回修改 if any was returned, else 审核通过 (→ 公示)."""
    records = records_of(task)
    if any(r.status == RecordStatus.SUBMITTED for r in records):
        return
    returned = [r for r in records if r.status == RecordStatus.RETURNED]
    if returned:
        text = "；".join(f"{r.record_no}：{r.return_reason}" for r in returned)
        engine.advance(actor, instance, REVIEW_STEP, "return", comment=text[:2000])
        return
    missing = missing_records(task)
    if missing:
        raise Unprocessable(f"尚有{len(missing)}份检查情况记录表未填写，不能通过审核")
    engine.advance(actor, instance, REVIEW_STEP, "approve", comment=f"{len(records)}份检查情况记录表审核通过")


def finish_inspection(actor: User, task: Task) -> ProcessInstance:
    """The leader's 检查完成 (开展双随机检查 → 录入检查结果): refused (422, nothing written) while
    a drawn object has no filled record — one that could not be inspected is marked 无法检查
    with its reason."""
    missing = unfilled(task)
    if missing and is_leader(actor, task) and teams.my_item(actor, task, INSPECT_STEP) is not None:
        raise Unprocessable("尚有检查情况记录表未填写完整，不能确认检查完成（无法检查的对象请将检查结果选为"
                            "“无法检查”并填写原因）：" + "；".join(missing[:20])
                            + (f"；等共{len(missing)}项" if len(missing) > 20 else ""))
    instance = teams.finish_inspection(actor, task)
    if task.status == TaskStatus.DISPATCHED:
        task.status = TaskStatus.INSPECTING
    return instance


def can_finish(user: User, task: Task) -> bool:
    instance = instance_of(task)
    return instance is not None and engine.open_item(user, instance, FINISH_STEP) is not None


def finish(actor: User, task: Task, version: int | None = None) -> ProcessInstance:
    """完成抽查: the leader closes the task once its results are published."""
    instance = instance_of(task)
    if instance is None or instance.status != InstanceStatus.ACTIVE or instance.current_step != FINISH_STEP:
        raise Conflict("该抽查任务当前不能完成抽查（检查结果尚未公示或已完成），请刷新页面")
    draws.stale_guard(instance, version)
    if not is_leader(actor, task):
        raise Forbidden("由检查组组长执行完成抽查")
    engine.advance(actor, instance, FINISH_STEP, "next", comment="完成抽查")
    task.status = TaskStatus.DONE
    db.session.flush()
    audit.record("task_finish", object_type="inspection_task", object_id=task.id,
                 summary={"抽查任务": task.name}, user=actor)
    return instance


@dataclass
class Row:
    obj: TaskObject
    info: prep.ObjectInfo
    records: dict[int, InspectionRecord | None]  # department id -> record


def overview(task: Task) -> list[Row]:
    by_key = {(r.task_object_id, r.department_id): r for r in records_of(task)}
    departments = record_departments(task)
    return [Row(o, prep.object_info(o), {d.id: by_key.get((o.id, d.id)) for d in departments})
            for o in task_objects(task)]


def counts(task: Task) -> dict[str, int]:
    records = records_of(task)
    out = {s.value: 0 for s in RecordStatus}
    for r in records:
        out[r.status.value] += 1
    out["missing"] = len(missing_records(task))
    return out


def result_choices() -> Sequence[ResultCategory]:
    return list(ResultCategory)
