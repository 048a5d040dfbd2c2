"""开展双随机检查 → 录入检查结果 → 审核检查结果一致性、规范性 → 公示检查结果 → 完成抽查
(DB5101 表20/表22), with the 检查情况记录表 (A.3/A.3.1, seed 003 F.1).

How the steps are driven from the records (models/inspections.py):

- 开展双随机检查 (personal items of the team, services/inspector_draws.py): team members open a
  record per drawn object and 填报部门 (``open_record``; the F.1 header is snapshotted from the
  registry), fill it (``save_record``, the A.3.1 rows), attach evidence (``add_evidence``),
  record the entity's signature or its refusal (``sign`` / ``refuse``) and every member
  confirms (``confirm``: seed 003 由检查组全体成员签字确认; any later change of the content
  deletes the confirmations).  The leader's 检查完成 (services/teams.finish_inspection) opens
  录入检查结果.
- 录入检查结果 (personal items of the team, ``record_assignees``, any member may finish it):
  ``submit`` hands a complete record to the leader; the submit that leaves no record missing or
  unsubmitted completes the step (提交审核).
- 审核检查结果一致性、规范性 (the leader's item): ``review`` approves a record (its form and the
  consistency checks: result, rows, signature or refusal, every member's confirmation) or
  returns it with a reason.  When no submitted record is left, the step is completed: 退回修改
  when one was returned (录入检查结果 opens again for the team), else 审核通过.
- 公示检查结果 (platform, ``publish_results``): every approved record is published —
  ``publish_version`` writes an immutable ``InspectionResultVersion`` (the public snapshot as
  JSON and its SHA-256) and the ``Publication`` row of the feed; the task becomes 已公示.
- 完成抽查 (the leader's item): ``finish``; the task becomes 已完成.

Every form carries the record's ``lock_version`` (409 when stale, nothing written).  After
publication a record cannot change: 409 ``AFTER_PUBLICATION``; a correction (更正) is a new
version through ``publish_version(corrected_from=…, reason=…)``.  Nothing here commits.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from infrastructure import clock
from infrastructure.errors import Conflict, Forbidden, Invalid, ServiceError
from models import (
    InspectionRecord,
    InspectionRecordLine,
    ProcessInstance,
    RecordEvidence,
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
from models.roles import Role
from models.workflow import InstanceStatus
from persistence import audit
from services import inspection_prep as prep
from services import inspector_draws as draws
from services import task_access
from services.credit.supervision import check_record_method
from services.inspection_publication import publish_version
from services.plan_elements import sniff
from services.templates_catalogue import INSPECTION_METHODS
from workflows.assignees import Assignment

RECORD_OBJECT = "inspection_record"  # audit object type
TABLES = task_access.TABLES
INSPECT_STEP, RECORD_STEP, REVIEW_STEP, PUBLISH_STEP, FINISH_STEP = (
    "inspect", "record", "review_results", "publish", "finish",
)
EDIT_STEPS = (INSPECT_STEP, RECORD_STEP)
VIEW_ROLES = (Role.CLERK, Role.DEPT_LEADER, Role.INSPECTOR)

STALE = "该检查情况记录表已被他人修改，您提交的内容未保存，请刷新页面查看最新内容后重新填写"
AFTER_PUBLICATION = "检查结果已公示，不能修改；如需更正请申请更正"
NOT_EDITABLE = "该检查情况记录表已提交审核，不能修改"
MAX_LINES = 50
MAX_TEXT = 2000
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024  # the app's MAX_CONTENT_LENGTH: one file per request
MAX_EVIDENCE_FILES = 30
EVIDENCE_TYPES = {
    "jpg": ("image/jpeg", "jpeg"),
    "jpeg": ("image/jpeg", "jpeg"),
    "png": ("image/png", "png"),
    "pdf": ("application/pdf", "pdf"),
    "doc": ("application/msword", "ole"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "xls": ("application/vnd.ms-excel", "ole"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "ofd": ("application/ofd", "ofd"),
}


class Unprocessable(ServiceError):
    status = 422


# ------------------------------------------------------------------ the task, its team, its instance


def instance_of(task: Task) -> ProcessInstance | None:
    return task_access.instance_of(task)


def current_step(task: Task) -> str:
    inst = instance_of(task)
    return inst.current_step if inst is not None and inst.status == InstanceStatus.ACTIVE else ""


def can_view(user: User, task: Task) -> bool:
    return user.has_role(*VIEW_ROLES) and task_access.in_scope(user, task)


def record_in_scope(user: User, record: InspectionRecord) -> bool:
    """A record is seen by whoever sees its task (task_access.in_scope); else a 404."""
    return task_access.in_scope(user, record.task)


def sniff_evidence(data: bytes) -> str:
    """services.plan_elements.sniff plus the photo formats."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    return sniff(data)


def confirmers(task: Task) -> list[TeamMember]:
    """The members whose confirmation a record needs: every active inspector with an account."""
    return [m for m in draws.active_members(task)
            if m.inspector is not None and m.inspector.user_id is not None and m.role != TeamRole.EXPERT]


def record_departments(task: Task) -> list[Any]:
    """The 填报部门 of a task: the departments with inspectors on the team (A.3.1)."""
    with_members = {m.department_id for m in draws.active_members(task) if m.inspector_id is not None}
    return [td.department for td in task.departments if td.department_id in with_members]


def task_objects(task: Task) -> list[TaskObject]:
    return list(db.session.execute(
        select(TaskObject).where(TaskObject.task_id == task.id, TaskObject.removed.is_(False)).order_by(TaskObject.id)
    ).scalars())


def records_of(task: Task) -> list[InspectionRecord]:
    return list(db.session.execute(
        select(InspectionRecord).where(InspectionRecord.task_id == task.id)
        .order_by(InspectionRecord.task_object_id, InspectionRecord.department_id)
    ).scalars())


def missing_records(task: Task) -> list[tuple[TaskObject, Any]]:
    """(object, department) pairs without a record."""
    have = {(r.task_object_id, r.department_id) for r in records_of(task)}
    return [(o, d) for o in task_objects(task) for d in record_departments(task) if (o.id, d.id) not in have]


def is_leader(user: User, task: Task) -> bool:
    member = task_access.member_of(user, task)
    return member is not None and member.role == TeamRole.LEADER


def can_edit(user: User, record: InspectionRecord) -> bool:
    """Members of the 填报部门's part of the team, and the leader."""
    member = task_access.member_of(user, record.task)
    return member is not None and (member.department_id == record.department_id or member.role == TeamRole.LEADER)


# ------------------------------------------------------------------ the work items of the team


def task_of(instance: ProcessInstance) -> Task | None:
    if instance.subject_type != task_access.TASK_SUBJECT or instance.subject_id is None:
        return None
    return db.session.get(Task, instance.subject_id)


def record_assignees(instance: ProcessInstance) -> Assignment:
    """录入检查结果: every member; the submit that completes the records finishes it."""
    task = task_of(instance)
    if task is None:
        return Assignment()
    users = [m.inspector.user_id for m in confirmers(task)]  # type: ignore[union-attr]
    return Assignment(tuple(u for u in users if u is not None), None)


def leader_assignee(instance: ProcessInstance) -> Assignment:
    """审核检查结果一致性、规范性 and 完成抽查: the team leader (执法小组组长)."""
    task = task_of(instance)
    leader = draws.leader_of(task) if task is not None else None
    if leader is None or leader.inspector is None or leader.inspector.user_id is None:
        return Assignment()
    return Assignment((leader.inspector.user_id,), leader.inspector.user_id)


# ------------------------------------------------------------------ record numbers and locks


def _record_no(record: InspectionRecord) -> str:
    year = record.task.start_date.year if record.task else clock.china_today().year
    return f"{year}-JC-{record.id:06d}"


def lock_record(record: InspectionRecord, lock_version: int | None) -> None:
    """Lock the row, then refuse a form built from an older content (409)."""
    # Fetched, not only executed: the ORM refreshes the object (populate_existing) as it reads
    # the row, after the lock was granted.
    db.session.execute(
        select(InspectionRecord).where(InspectionRecord.id == record.id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    if record.status == RecordStatus.PUBLISHED or record.version > 0:
        raise Conflict(AFTER_PUBLICATION)
    if lock_version is None or record.lock_version != lock_version:
        raise Conflict(STALE)


def _editable(actor: User, record: InspectionRecord, lock_version: int | None) -> None:
    if not can_edit(actor, record):
        raise Forbidden("只有检查组中该填报部门的执法人员或组长可以填写检查情况记录表")
    lock_record(record, lock_version)
    if not record.status.editable:
        raise Conflict(NOT_EDITABLE)
    if current_step(record.task) not in EDIT_STEPS:
        raise Conflict("当前环节不能修改检查情况记录表，请刷新页面")


def _changed(actor: User, record: InspectionRecord) -> int:
    """The content changed: a new lock version, and the confirmations no longer hold."""
    record.lock_version += 1
    record.updated_by_id = actor.id
    record.updated_at = utcnow()
    dropped = len(record.confirmations)
    record.confirmations.clear()
    return dropped


# ------------------------------------------------------------------ open a record


def open_record(actor: User, task: Task, task_object_id: Any, department_id: Any) -> InspectionRecord:
    """The record of one drawn object for one 填报部门 (the existing one, or a new one with the
    F.1 header from the registry)."""
    member = task_access.member_of(actor, task)
    if member is None:
        raise Forbidden("只有检查组成员可以填写检查情况记录表")
    try:
        obj = db.session.get(TaskObject, int(task_object_id))
        dept_id = int(department_id)
    except (TypeError, ValueError):
        raise Invalid("请选择检查对象和填报部门") from None
    if obj is None or obj.task_id != task.id or obj.removed:
        raise Conflict("该检查对象不在本次抽查名单中")
    if dept_id not in {d.id for d in record_departments(task)}:
        raise Invalid("填报部门须为参与本次抽查的部门")
    if member.department_id != dept_id and member.role != TeamRole.LEADER:
        raise Forbidden("只能填写本部门的检查情况记录表")
    existing = db.session.execute(
        select(InspectionRecord).where(InspectionRecord.task_object_id == obj.id,
                                       InspectionRecord.department_id == dept_id)
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    if current_step(task) not in EDIT_STEPS:
        raise Conflict("该抽查任务当前不在开展双随机检查或录入检查结果环节")
    info = prep.object_info(obj)
    methods = draws.methods_of(task)
    team_names = "、".join(m.inspector.name for m in draws.active_members(task)
                          if m.department_id == dept_id and m.inspector is not None)
    record = InspectionRecord(
        record_no=f"tmp-{uuid.uuid4().hex}",
        task_id=task.id, task_object_id=obj.id, department_id=dept_id, entity_id=obj.entity_id,
        method=methods[0] if len(methods) == 1 else "",
        subject_name=info.name[:200], uscc=info.uscc[:18], district=info.district[:100],
        license_no=info.license_no[:60], legal_rep=info.legal_rep[:100], address=info.address[:255],
        phone=info.phone[:60], items_text=task.item.name, inspector_names=team_names[:400],
        filled_on=None, created_by_id=actor.id, updated_by_id=actor.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(record)
            db.session.flush()
    except IntegrityError:
        # Two members opened it at once: the other one's record is the record.
        found = db.session.execute(
            select(InspectionRecord).where(InspectionRecord.task_object_id == obj.id,
                                           InspectionRecord.department_id == dept_id)
        ).scalar_one()
        return found
    record.record_no = _record_no(record)
    record.lines.append(InspectionRecordLine(position=1, check_item=task.item.name))
    if task.status == TaskStatus.DISPATCHED:
        task.status = TaskStatus.INSPECTING
    db.session.flush()
    audit.record("record_open", object_type=RECORD_OBJECT, object_id=record.id,
                 summary={"记录编号": record.record_no, "抽查任务": task.name, "检查对象": record.subject_name,
                          "填报部门": record.department.name}, user=actor)
    return record


# ------------------------------------------------------------------ edit


def _text(data: Mapping[str, Any], key: str, title: str, limit: int) -> str:
    value = (data.get(key) or "").strip()
    if len(value) > limit:
        raise Invalid(f"{title}不能超过{limit}个字符", key)
    return value


def _lines(data: Any) -> list[tuple[str, str, str]]:
    getlist = getattr(data, "getlist", None)
    if getlist is None:
        raw = data.get("lines") or []
        rows = [(r.get("check_item", ""), r.get("content", ""), r.get("outcome", "")) for r in raw]
    else:
        items, contents, outcomes = getlist("line_item"), getlist("line_content"), getlist("line_outcome")
        n = max(len(items), len(contents), len(outcomes))
        pad = lambda xs: list(xs) + [""] * (n - len(xs))  # noqa: E731
        rows = list(zip(pad(items), pad(contents), pad(outcomes), strict=True))
    out = []
    for i, (a, b, c) in enumerate(rows, start=1):
        a, b, c = (a or "").strip(), (b or "").strip(), (c or "").strip()
        if not (a or b or c):
            continue
        if not a:
            raise Invalid(f"第{i}行：请填写检查项目", "lines")
        if len(a) > 200 or len(b) > MAX_TEXT or len(c) > MAX_TEXT:
            raise Invalid(f"第{i}行：检查项目不能超过200个字符，检查内容和检查结果不能超过{MAX_TEXT}个字符", "lines")
        out.append((a, b, c))
    if len(out) > MAX_LINES:
        raise Invalid(f"检查项目不能超过{MAX_LINES}行", "lines")
    return out


@dataclass
class RecordForm:
    method: str
    subject_name: str
    uscc: str
    district: str
    license_no: str
    legal_rep: str
    address: str
    phone: str
    items_text: str
    findings: str
    filled_on: date | None
    inspector_names: str
    inspected_at: Any
    result: ResultCategory | None
    result_note: str
    lines: list[tuple[str, str, str]]


def clean_form(data: Mapping[str, Any]) -> RecordForm:
    method = (data.get("method") or "").strip()
    if method and method not in INSPECTION_METHODS:
        raise Invalid("检查方式须为书面检查、实地核查、网络监测或专业检测", "method")
    raw_result = (data.get("result") or "").strip()
    result = None
    if raw_result:
        try:
            result = ResultCategory(raw_result)
        except ValueError:
            raise Invalid("请从列表中选择检查结果", "result") from None
    uscc = _text(data, "uscc", "统一社会信用代码", 18).upper()
    filled = (data.get("filled_on") or "").strip()
    filled_on = None
    if filled:
        try:
            filled_on = date.fromisoformat(filled)
        except ValueError:
            raise Invalid("填报时间格式不正确，请按“2026-05-10”填写", "filled_on") from None
    form = RecordForm(
        method=method,
        subject_name=_text(data, "subject_name", "主体名称", 200),
        uscc=uscc,
        district=_text(data, "district", "所属区县", 100),
        license_no=_text(data, "license_no", "证件（照）号码", 60),
        legal_rep=_text(data, "legal_rep", "法定代表人", 100),
        address=_text(data, "address", "检查地址", 255),
        phone=_text(data, "phone", "联系电话", 60),
        items_text=_text(data, "items_text", "检查事项", MAX_TEXT),
        findings=_text(data, "findings", "记录情况", MAX_TEXT),
        filled_on=filled_on,
        inspector_names=_text(data, "inspector_names", "检查人员", 400),
        inspected_at=prep.parse_datetime(data.get("inspected_at"), "inspected_at", "检查时间"),
        result=result,
        result_note=_text(data, "result_note", "结果说明", MAX_TEXT),
        lines=_lines(data),
    )
    if not form.subject_name:
        raise Invalid("请填写主体名称", "subject_name")
    if form.result == ResultCategory.OTHER and not form.result_note:
        raise Invalid("检查结果为“其他情况”时须填写说明", "result_note")
    if form.result == ResultCategory.NOT_INSPECTED and not form.result_note:
        raise Invalid("检查结果为“无法检查”时须在结果说明中填写原因", "result_note")
    return form


def save_record(actor: User, record: InspectionRecord, data: Mapping[str, Any], lock_version: int | None) -> InspectionRecord:
    """录入 / 修改 the record (F.1 fields, A.3.1 rows, result)."""
    _editable(actor, record, lock_version)
    form = clean_form(data)
    check_record_method(record.task_object.grade, form.method)  # seed 002: D and E checked 实地
    for name in ("method", "subject_name", "uscc", "district", "license_no", "legal_rep", "address", "phone",
                 "items_text", "findings", "filled_on", "inspector_names", "inspected_at", "result", "result_note"):
        setattr(record, name, getattr(form, name))
    record.lines.clear()
    db.session.flush()
    for i, (a, b, c) in enumerate(form.lines, start=1):
        record.lines.append(InspectionRecordLine(position=i, check_item=a, content=b, outcome=c))
    dropped = _changed(actor, record)
    db.session.flush()
    audit.record("record_save", object_type=RECORD_OBJECT, object_id=record.id,
                 summary={"记录编号": record.record_no, "检查结果": record.result_label,
                          "检查项目": len(form.lines), "撤销确认": dropped}, user=actor)
    return record


# ------------------------------------------------------------------ evidence


def clean_evidence(filename: str, data: bytes) -> tuple[str, str]:
    """(file name, MIME type) of an acceptable 证据材料; else 422 (413 beyond the size)."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:200]
    if not name:
        raise Unprocessable("请选择要上传的证据材料", "file")
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in EVIDENCE_TYPES:
        raise Unprocessable("证据材料只能是照片（jpg/png）或 PDF、Word、Excel、OFD 文件", "file")
    if not data:
        raise Unprocessable("上传的证据材料是空文件", "file")
    if len(data) > MAX_EVIDENCE_BYTES:
        error = Unprocessable(f"证据材料不能超过{MAX_EVIDENCE_BYTES // 1024 // 1024}MB", "file")
        error.status = 413
        raise error
    mime, expected = EVIDENCE_TYPES[ext]
    if sniff_evidence(data) != expected:
        raise Unprocessable(f"文件内容与扩展名 .{ext} 不符，请上传真实的{ext.upper()}文件", "file")
    return name, mime


def add_evidence(actor: User, record: InspectionRecord, lock_version: int | None, *, filename: str, data: bytes,
                 note: str = "") -> RecordEvidence:
    _editable(actor, record, lock_version)
    name, mime = clean_evidence(filename, data)
    note = (note or "").strip()
    if len(note) > 200:
        raise Invalid("说明不能超过200个字符", "note")
    if len(record.evidence) >= MAX_EVIDENCE_FILES:
        raise Conflict(f"每份检查情况记录表最多上传{MAX_EVIDENCE_FILES}个证据材料")
    item = RecordEvidence(filename=name, content_type=mime, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                          data=data, note=note, uploaded_by_id=actor.id)
    record.evidence.append(item)
    dropped = _changed(actor, record)
    db.session.flush()
    audit.record("evidence_add", object_type=RECORD_OBJECT, object_id=record.id,
                 summary={"记录编号": record.record_no, "文件": name, "大小": len(data), "SHA-256": item.sha256,
                          "撤销确认": dropped}, user=actor)
    return item


def remove_evidence(actor: User, record: InspectionRecord, evidence: RecordEvidence, lock_version: int | None) -> None:
    if evidence.record_id != record.id:
        raise Conflict("该证据材料不存在")
    _editable(actor, record, lock_version)
    name = evidence.filename
    record.evidence.remove(evidence)
    dropped = _changed(actor, record)
    db.session.flush()
    audit.record("evidence_remove", object_type=RECORD_OBJECT, object_id=record.id,
                 summary={"记录编号": record.record_no, "文件": name, "撤销确认": dropped}, user=actor)


# ------------------------------------------------------------------ signature or refusal


def sign(actor: User, record: InspectionRecord, lock_version: int | None, *, signer_name: str,
         signed_at: Any = None) -> InspectionRecord:
    """被检查对象在检查情况记录上签字或盖章."""
    _editable(actor, record, lock_version)
    name = (signer_name or "").strip()
    if not name:
        raise Invalid("请填写签字（盖章）人姓名或单位", "signer_name")
    if len(name) > 100:
        raise Invalid("签字人不能超过100个字符", "signer_name")
    record.signer_name = name
    record.signed_at = prep.parse_datetime(signed_at, "signed_at", "签字时间") or utcnow()
    record.refused = False
    record.refusal_witness = record.refusal_recording = record.refusal_note = ""
    dropped = _changed(actor, record)
    db.session.flush()
    audit.record("record_sign", object_type=RECORD_OBJECT, object_id=record.id,
                 summary={"记录编号": record.record_no, "签字人": name, "撤销确认": dropped}, user=actor)
    return record


def refuse(actor: User, record: InspectionRecord, lock_version: int | None, *, note: str, witness: str = "",
           recording: str = "") -> InspectionRecord:
    """被检查对象拒绝签字或盖章: 检查人员现场记录说明, with a witness or a recording (seed 001)."""
    _editable(actor, record, lock_version)
    note = (note or "").strip()
    witness = (witness or "").strip()
    recording = (recording or "").strip()
    if not note:
        raise Invalid("请填写拒绝签字的现场记录说明", "refusal_note")
    if not witness and not recording:
        raise Invalid("请填写见证人或录音、录像记录编号", "refusal_witness")
    if len(note) > MAX_TEXT or len(witness) > 100 or len(recording) > 200:
        raise Invalid("说明不能超过2000个字符，见证人不能超过100个字符，录音录像编号不能超过200个字符", "refusal_note")
    record.refused = True
    record.signer_name = ""
    record.signed_at = None
    record.refusal_note, record.refusal_witness, record.refusal_recording = note, witness, recording
    dropped = _changed(actor, record)
    db.session.flush()
    audit.record("record_refusal", object_type=RECORD_OBJECT, object_id=record.id,
                 summary={"记录编号": record.record_no, "见证人": witness, "录音录像": recording,
                          "撤销确认": dropped}, user=actor)
    return record


# ------------------------------------------------------------------ confirmations


# ------------------------------------------------------------------ checks


# ------------------------------------------------------------------ submit (录入检查结果)


# ------------------------------------------------------------------ review (审核检查结果一致性、规范性)


# ------------------------------------------------------------------ 公示检查结果 (platform)


def publish_results(instance: ProcessInstance) -> str:
    task = task_of(instance)
    if task is None:
        return ""
    approved = [r for r in records_of(task) if r.status == RecordStatus.APPROVED]
    for record in approved:
        publish_version(record, instance_id=instance.id)
    task.status = TaskStatus.PUBLISHED
    db.session.flush()
    return f"已公示{len(approved)}条检查结果"


# ------------------------------------------------------------------ 检查完成 and 完成抽查


# ------------------------------------------------------------------ the overview of a task


