"""Bulk actions on a task's 检查情况记录表 (/tasks/<id>/records): a member confirms every record
waiting for them, the team submits and the leader approves several records at once.

Each record goes through the single-record action of services/inspections.py (``confirm``,
``submit``, ``review``), so each gets its own history row (confirmation, status, reviewer) and
its own audit event, and each claims its record's row lock and checks the ``lock_version`` the
page showed.  Records are taken in id order (a fixed lock order between two bulk actions), each
in a savepoint: a record that changed since the page was shown, or is refused for any other
reason, is skipped — nothing of it is written — and listed with the reason.  When no record at
all went through, the whole action is refused (409 ``Conflict`` listing why: a form sent again
after the action, or a member's edit that won).  Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from infrastructure.errors import Conflict, Forbidden, Invalid, ServiceError
from models import InspectionRecord, RecordStatus, Task, User, db
from models.roles import Role
from services import inspection_review, task_access
from services import inspections as svc

MAX_RECORDS = 500
ACTIONS = ("confirm", "submit", "approve")
ACTION_LABELS = {"confirm": "确认", "submit": "提交审核", "approve": "审核通过"}


@dataclass
class Skipped:
    record_no: str
    subject_name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.record_no} {self.subject_name}：{self.reason}"


@dataclass
class BulkResult:
    action: str
    done: list[InspectionRecord] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def label(self) -> str:
        return ACTION_LABELS[self.action]

    def done_text(self) -> str:
        return "、".join(f"{r.record_no} {r.subject_name}" for r in self.done)

    def skipped_text(self) -> str:
        return "；".join(str(s) for s in self.skipped)


def parse_selection(form: Any) -> dict[int, int | None]:
    """{record id: lock_version as shown} from the checked ``record`` boxes and their
    ``lock_<id>`` fields (422 on a malformed or empty selection)."""
    getlist = getattr(form, "getlist", None)
    raw = getlist("record") if getlist is not None else list(form.get("record") or [])
    out: dict[int, int | None] = {}
    for value in raw:
        try:
            ident = int(value)
        except (TypeError, ValueError):
            raise Invalid("所选检查情况记录表无效，请刷新页面后重新选择", "record") from None
        lock = form.get(f"lock_{ident}")
        try:
            out[ident] = int(lock) if lock not in (None, "") else None
        except (TypeError, ValueError):
            raise Invalid("所选检查情况记录表无效，请刷新页面后重新选择", "record") from None
    if not out:
        raise Invalid("请勾选要办理的检查情况记录表", "record")
    if len(out) > MAX_RECORDS:
        raise Invalid(f"一次最多办理{MAX_RECORDS}份检查情况记录表", "record")
    return out


def _records(task: Task, ids: Iterable[int]) -> list[InspectionRecord]:
    wanted = set(ids)
    found = list(db.session.execute(
        select(InspectionRecord).where(InspectionRecord.id.in_(wanted)).order_by(InspectionRecord.id)
    ).scalars())
    if len(found) != len(wanted) or any(r.task_id != task.id for r in found):
        raise Conflict("所选检查情况记录表不属于该抽查任务或已不存在，请刷新页面")
    return found


def _run(action: str, task: Task, shown: Mapping[int, int | None],
         one: Callable[[InspectionRecord, int | None], Any]) -> BulkResult:
    result = BulkResult(action)
    for record in _records(task, shown):
        try:
            with db.session.begin_nested():
                one(record, shown[record.id])
        except ServiceError as exc:
            db.session.refresh(record)
            result.skipped.append(Skipped(record.record_no, record.subject_name, exc.message))
            continue
        result.done.append(record)
    if not result.done:
        raise Conflict(f"没有检查情况记录表被{result.label}：{result.skipped_text()}")
    return result


def _member(actor: User, task: Task) -> None:
    if not actor.has_role(Role.INSPECTOR) or task_access.member_of(actor, task) is None:
        raise Forbidden("只有检查组成员可以办理检查情况记录表")


# ------------------------------------------------------------------ confirm everything waiting for me


def waiting_for(actor: User, task: Task) -> list[InspectionRecord]:
    """The records of ``task`` that wait for ``actor``'s confirmation: filled in, still
    editable, not yet confirmed by them (empty when they are not a confirming member or the
    task is past 录入检查结果)."""
    member = task_access.member_of(actor, task)
    if member is None or member.id not in {m.id for m in svc.confirmers(task)}:
        return []
    if svc.current_step(task) not in svc.EDIT_STEPS:
        return []
    return [r for r in svc.records_of(task)
            if r.status.editable and r.version == 0 and member.id not in inspection_review.confirmed_ids(r)
            and not inspection_review.fill_problems(r)]


def confirm_all(actor: User, task: Task, shown: Mapping[int, int | None]) -> BulkResult:
    """检查组成员签字确认 of the records the page listed (``shown``: id → lock_version)."""
    _member(actor, task)
    member = task_access.member_of(actor, task)
    if member is None or member.id not in {m.id for m in svc.confirmers(task)}:
        raise Forbidden("只有检查组的执法人员可以确认检查情况记录表")
    if svc.current_step(task) not in svc.EDIT_STEPS:
        raise Conflict("该抽查任务当前不在开展双随机检查或录入检查结果环节，不能确认，请刷新页面")
    return _run("confirm", task, shown, lambda r, lock: inspection_review.confirm(actor, r, lock))


# ------------------------------------------------------------------ submit and approve several


def submittable(actor: User, task: Task) -> list[InspectionRecord]:
    """The records ``actor`` may tick for 提交审核 (录入检查结果, editable, theirs to edit)."""
    if svc.current_step(task) != svc.RECORD_STEP:
        return []
    return [r for r in svc.records_of(task) if r.status.editable and r.version == 0 and svc.can_edit(actor, r)]


def submit_many(actor: User, task: Task, shown: Mapping[int, int | None]) -> BulkResult:
    _member(actor, task)
    return _run("submit", task, shown, lambda r, lock: inspection_review.submit(actor, r, lock))


def approvable(actor: User, task: Task) -> list[InspectionRecord]:
    """The submitted records the reviewing leader may tick for 审核通过."""
    if not (svc.is_leader(actor, task) and inspection_review.can_review(actor, task)):
        return []
    return [r for r in svc.records_of(task) if r.status == RecordStatus.SUBMITTED]


def approve_many(actor: User, task: Task, shown: Mapping[int, int | None]) -> BulkResult:
    if not svc.is_leader(actor, task):
        raise Forbidden("由检查组组长审核检查结果")
    return _run("approve", task, shown, lambda r, lock: inspection_review.review(actor, r, lock, approve=True))
