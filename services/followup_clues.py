"""问题线索 (clues) a result gives rise to: sent to the department that can act, received, their
outcome recorded, and 立案 (a case filed)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm.exc import StaleDataError

from infrastructure.errors import Conflict, Forbidden
from models import (
    CaseFiling,
    ClueStatus,
    ClueTransfer,
    Department,
    InspectionRecord,
    User,
    db,
    utcnow,
)
from models.roles import Role
from persistence import audit
from persistence.org import partner_departments
from persistence.scope import subtree_ids
from services.followup_rules import (
    MAX_CASE_NO,
    Refused,
    clean_date,
    clean_text,
    is_clerk_of,
    today,
)
from workflows.errors import StaleSubmission


def clue_targets(record: InspectionRecord) -> list[Department]:
    """Departments of the record's district a clue may go to (not the record's own unit)."""
    return partner_departments(record.department)


def can_send_clue(user: User, record: InspectionRecord) -> bool:
    return is_clerk_of(user, record.department)


def clues_of(record: InspectionRecord) -> list[ClueTransfer]:
    return list(
        db.session.execute(
            select(ClueTransfer).where(ClueTransfer.record_id == record.id).order_by(ClueTransfer.id)
        ).scalars()
    )


def send_clue(actor: User, record: InspectionRecord, *, to_department_id: Any, content: str) -> ClueTransfer:
    """移送问题线索 to the department whose remit the problem is in."""
    if not can_send_clue(actor, record):
        raise Forbidden("只有该部门的监管部门经办人可以移送问题线索")
    if record.result is None or not record.result.is_problem:
        raise Refused("该检查结果未发现问题，无需移送问题线索")
    try:
        target_id = int(to_department_id)
    except (TypeError, ValueError):
        raise Refused("请选择接收线索的部门", "to_department_id") from None
    target = next((d for d in clue_targets(record) if d.id == target_id), None)
    if target is None:
        raise Refused("接收线索的部门须为本区（市）县的其他监管部门", "to_department_id")
    content = clean_text(content, "线索内容", name="content")
    duplicate = db.session.execute(
        select(ClueTransfer.id).where(
            ClueTransfer.record_id == record.id, ClueTransfer.to_department_id == target.id,
            ClueTransfer.status != ClueStatus.CONCLUDED,
        )
    ).first()
    if duplicate is not None:
        raise Conflict(f"该检查结果的问题线索已移送{target.name}，尚未办结")
    clue = ClueTransfer(
        record_id=record.id,
        from_department_id=record.department_id,
        to_department_id=target.id,
        content=content,
        sent_by_id=actor.id,
    )
    db.session.add(clue)
    db.session.flush()
    audit.record("clue_send", object_type="clue_transfer", object_id=clue.id,
                 summary={"检查记录": record.record_no, "接收部门": target.name, "线索内容": content}, user=actor)
    return clue


def can_view_clue(user: User, clue: ClueTransfer) -> bool:
    """Both departments' subtrees, and the clerks of their sections and stations."""
    return any(
        d.is_within(user.department) or is_clerk_of(user, d) for d in (clue.from_department, clue.to_department)
    )


def is_receiver(user: User, clue: ClueTransfer) -> bool:
    return is_clerk_of(user, clue.to_department)


def claim_clue(clue: ClueTransfer, lock_version: int | None) -> None:
    if lock_version is not None and lock_version != clue.lock_version:
        raise StaleSubmission("该线索已被他人处理，请刷新页面查看最新状态")


def flush_clue() -> None:
    """The clue's ``lock_version`` is its version column: a concurrent change makes the UPDATE
    match no row."""
    try:
        db.session.flush()
    except StaleDataError:
        raise StaleSubmission("该线索已被他人处理，请刷新页面查看最新状态") from None


def receive_clue(actor: User, clue: ClueTransfer, *, receipt: str, lock_version: int | None) -> ClueTransfer:
    """签收: the receiving department signs for the clue, with its 回执."""
    if not is_receiver(actor, clue):
        raise Forbidden("只有接收部门的监管部门经办人可以签收线索")
    claim_clue(clue, lock_version)
    if clue.status != ClueStatus.SENT:
        raise StaleSubmission("该线索已签收，请刷新页面查看最新状态")
    clue.receipt = clean_text(receipt, "回执", required=False, name="receipt")
    clue.status = ClueStatus.RECEIVED
    clue.received_by_id = actor.id
    clue.received_at = utcnow()
    flush_clue()
    audit.record("clue_receive", object_type="clue_transfer", object_id=clue.id,
                 summary={"接收部门": clue.to_department.name, "回执": clue.receipt}, user=actor)
    return clue


def record_outcome(actor: User, clue: ClueTransfer, *, outcome: str, lock_version: int | None) -> ClueTransfer:
    """处理结果: recorded by the receiving department once it has dealt with the clue."""
    if not is_receiver(actor, clue):
        raise Forbidden("只有接收部门的监管部门经办人可以录入处理结果")
    claim_clue(clue, lock_version)
    if clue.status == ClueStatus.SENT:
        raise Refused("请先签收线索，再录入处理结果")
    if clue.status == ClueStatus.CONCLUDED:
        raise StaleSubmission("该线索的处理结果已录入，请刷新页面查看最新状态")
    clue.outcome = clean_text(outcome, "处理结果", name="outcome")
    clue.status = ClueStatus.CONCLUDED
    clue.outcome_by_id = actor.id
    clue.outcome_at = utcnow()
    flush_clue()
    audit.record("clue_outcome", object_type="clue_transfer", object_id=clue.id,
                 summary={"接收部门": clue.to_department.name, "处理结果": clue.outcome}, user=actor)
    return clue


def incoming_clues_query(user: User, *, open_only: bool = True) -> Select[tuple[ClueTransfer]] | None:
    """Clues sent to the clerk's department (or below it) that wait for it (签收 or 处理结果);
    None for a user who is not a clerk."""
    if not user.has_role(Role.CLERK):
        return None
    query = select(ClueTransfer).where(
        or_(ClueTransfer.to_department_id.in_(subtree_ids(user.department)),
            ClueTransfer.to_department_id.in_(user.department.ancestors()))
    )
    if open_only:
        query = query.where(ClueTransfer.status != ClueStatus.CONCLUDED)
    return query


def incoming_clues(user: User, *, open_only: bool = True) -> list[ClueTransfer]:
    query = incoming_clues_query(user, open_only=open_only)
    if query is None:
        return []
    return list(db.session.execute(query.order_by(ClueTransfer.sent_at.desc(), ClueTransfer.id.desc())).scalars())


def outgoing_clues(user: User) -> list[ClueTransfer]:
    return list(db.session.execute(
        select(ClueTransfer).where(ClueTransfer.from_department_id.in_(subtree_ids(user.department)))
        .order_by(ClueTransfer.sent_at.desc(), ClueTransfer.id.desc())
    ).scalars())


def case_filing(record: InspectionRecord) -> CaseFiling | None:
    return db.session.execute(select(CaseFiling).where(CaseFiling.record_id == record.id)).scalars().first()


def file_case(actor: User, record: InspectionRecord, *, case_no: str, filed_on: Any, note: str = "") -> CaseFiling:
    """立案查处: the case number and date of the case opened on the record's findings."""
    if not is_clerk_of(actor, record.department):
        raise Forbidden("只有该部门的监管部门经办人可以登记立案查处")
    if record.result is None or not record.result.is_problem:
        raise Refused("该检查结果未发现问题，不能登记立案查处")
    if case_filing(record) is not None:
        raise Conflict("该检查结果已登记立案查处")
    case_no = clean_text(case_no, "立案编号", limit=MAX_CASE_NO, name="case_no")
    day = clean_date(filed_on, "立案日期", "filed_on")
    if day > today():
        raise Refused("立案日期不能晚于今天", "filed_on")
    filing = CaseFiling(record_id=record.id, case_no=case_no, filed_on=day,
                        note=clean_text(note, "备注", required=False, name="note"), recorded_by_id=actor.id)
    db.session.add(filing)
    db.session.flush()
    audit.record("case_file", object_type="case_filing", object_id=filing.id,
                 summary={"检查记录": record.record_no, "立案编号": case_no, "立案日期": day.isoformat()}, user=actor)
    return filing
