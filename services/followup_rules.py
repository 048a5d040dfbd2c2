"""What the follow-ups of a published result share: limits, the refusal, cleaning text and dates,
who is the clerk, leader or team member of a record, and the record's published versions."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select, update

from infrastructure import clock
from infrastructure.errors import ServiceError
from infrastructure.excel import parse_date
from models import (
    ChangeStatus,
    ClueTransfer,
    CorrectionRequest,
    Department,
    InspectionRecord,
    InspectionResultVersion,
    StopPublicationRequest,
    User,
    db,
    utcnow,
)
from models.roles import Role
from persistence.scope import subtree_ids
from services import inspection_publication
from workflows.errors import StaleSubmission

MAX_TEXT = 2000


MAX_CASE_NO = 60


SUMMARY_CHARS = 60


class Refused(ServiceError):
    """A request that cannot be done as asked (422, Chinese message)."""

    status = 422


def clean_text(value: Any, label: str, *, required: bool = True, limit: int = MAX_TEXT, name: str = "") -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and not text:
        raise Refused(f"请填写{label}", name or None)
    if len(text) > limit:
        raise Refused(f"{label}不能超过{limit}个字符", name or None)
    return text


def summary(text: str, limit: int = SUMMARY_CHARS) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit] + "…"


def is_clerk_of(user: User, department: Department) -> bool:
    """A clerk of the department, of a unit above it, or of a unit below it (a section or
    station of the bureau)."""
    return user.has_role(Role.CLERK) and (
        department.is_within(user.department) or user.department.is_within(department)
    )


def is_leader_of(user: User, department: Department) -> bool:
    """本部门负责人: a 部门领导 of the department or of a unit above it."""
    return user.has_role(Role.DEPT_LEADER) and department.is_within(user.department)


def is_team_member(user: User, record: InspectionRecord) -> bool:
    from services import task_access

    return task_access.member_of(user, record.task) is not None


def can_view_record(user: User, record: InspectionRecord) -> bool:
    """The record's department's subtree, its task's team, or a department a clue of the record
    was sent to."""
    if record.department.is_within(user.department):
        return True
    if is_team_member(user, record):
        return True
    return db.session.execute(
        select(ClueTransfer.id).where(
            ClueTransfer.record_id == record.id, ClueTransfer.to_department_id.in_(subtree_ids(user.department))
        ).limit(1)
    ).first() is not None


def versions(record: InspectionRecord) -> list[InspectionResultVersion]:
    return list(
        db.session.execute(
            select(InspectionResultVersion)
            .where(InspectionResultVersion.record_id == record.id)
            .order_by(InspectionResultVersion.version)
        ).scalars()
    )


def current_version(record: InspectionRecord) -> InspectionResultVersion | None:
    return inspection_publication.latest_version(record)


def claim_decision(
    request: CorrectionRequest | StopPublicationRequest, actor: User, *, approve: bool, comment: str, stale: str
) -> None:
    """Decide with one conditional UPDATE (… WHERE status = 'pending'): of two leaders deciding
    at once, one changes the row and the other is told it was decided (409), nothing written."""
    model = type(request)
    now = utcnow()
    status = ChangeStatus.APPROVED if approve else ChangeStatus.REJECTED
    done = db.session.execute(
        update(model)
        .where(model.id == request.id, model.status == ChangeStatus.PENDING)
        .values(status=status, pending_record_id=None, decided_by_id=actor.id, decided_at=now,
                decision_comment=comment)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleSubmission(stale)
    db.session.refresh(request)


def clean_date(value: Any, label: str, name: str) -> date:
    if isinstance(value, date):
        return value
    text = (value or "").strip() if isinstance(value, str) else ""
    if not text:
        raise Refused(f"请填写{label}", name)
    try:
        parsed = parse_date(text)
    except (ValueError, TypeError):
        parsed = None
    if parsed is None:
        raise Refused(f"{label}格式不正确，请按 2026-05-01 填写", name)
    return parsed


def today() -> date:
    return clock.china_today()


def record_of(obj: CorrectionRequest | StopPublicationRequest | ClueTransfer) -> InspectionRecord:
    record = db.session.get(InspectionRecord, obj.record_id)
    assert record is not None
    return record
