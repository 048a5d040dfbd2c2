"""What follows a published inspection result: 更正, 问题线索移送, 立案查处, 停止公示.

Seed 001 (公示抽查检查结果): 抽查检查结果公开后不应擅自更改; seed 003: 检查结果公开后不可擅自更改，
确需变更的，经本部门主要负责人审批后予以更正.  A correction is therefore a request (a team member
or a clerk proposes the changed fields with a reason) that the record's department's 部门领导
approves or refuses with a comment; approval writes the record's next immutable
``InspectionResultVersion`` (``corrected_from`` and the reason) and publishes it; the earlier
versions stay as they were.

Seed 001 (后续处理): 对发现的属于其他部门监管职责的违法违规行为，要及时交由相关部门依法依规处理
(a ``ClueTransfer`` to another department of the district, received with a 回执 and its outcome
recorded by that department); the case filed on a record's findings (立案查处, DB5101 表23) is
kept with its number and date; 公示满法定期限后，检查对象可依法按照有关程序申请停止公示 (the clerk
registers the application, the department leader decides; once approved the public page shows
the result as withdrawn, without its content).

Nothing here commits; every change writes its audit row; refusals are ``ServiceError``\\ s with
Chinese messages (422 bad input, 403 wrong person, 409 already decided or stale).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm.exc import StaleDataError

from models import (
    CaseFiling,
    ChangeStatus,
    ClueStatus,
    ClueTransfer,
    CorrectionRequest,
    Department,
    InspectionRecord,
    InspectionResultVersion,
    PublicationAction,
    RecordStatus,
    ResultCategory,
    StopPublicationRequest,
    User,
    db,
    utcnow,
)
from models.roles import Role
from services import audit, clock, inspections, publication
from services.config import default as config_default
from services.errors import Conflict, Forbidden, ServiceError
from services.excel import parse_date
from services.org import partner_departments
from services.scope import subtree_ids
from workflows.errors import StaleSubmission

MAX_TEXT = 2000
MAX_CASE_NO = 60
SUMMARY_CHARS = 60
DEFAULT_PUBLICITY_DAYS: int = config_default("RESULT_PUBLICITY_DAYS")
RESULT_SUBJECT = inspections.SUBJECT  # Publication.subject_type of a record's result

# The fields a correction may change: the record's attribute, its label on the forms, and the
# key of the public snapshot (services/inspections.public_snapshot) it appears under.
CORRECTABLE = (
    ("result", "检查结果", "检查结果"),
    ("result_note", "结果说明", "结果说明"),
)


class Refused(ServiceError):
    """A request that cannot be done as asked (422, Chinese message)."""

    status = 422


# ------------------------------------------------------------------ helpers


def _text(value: Any, label: str, *, required: bool = True, limit: int = MAX_TEXT, name: str = "") -> str:
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
    from services import teams

    return teams.member_of(user, record.task) is not None


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
    return inspections.latest_version(record)


def _require_published(record: InspectionRecord) -> InspectionResultVersion:
    current = current_version(record)
    if record.status != RecordStatus.PUBLISHED or current is None:
        raise Refused("该检查结果尚未公示")
    if stopped(record) is not None:
        raise Refused("该检查结果已停止公示")
    return current


# ------------------------------------------------------------------ corrections (更正)


def pending_correction(record: InspectionRecord) -> CorrectionRequest | None:
    return db.session.execute(
        select(CorrectionRequest).where(
            CorrectionRequest.record_id == record.id, CorrectionRequest.status == ChangeStatus.PENDING
        )
    ).scalars().first()


def corrections(record: InspectionRecord) -> list[CorrectionRequest]:
    return list(
        db.session.execute(
            select(CorrectionRequest).where(CorrectionRequest.record_id == record.id).order_by(CorrectionRequest.id)
        ).scalars()
    )


def can_request_correction(user: User, record: InspectionRecord) -> bool:
    return is_clerk_of(user, record.department) or (
        user.has_role(Role.INSPECTOR) and is_team_member(user, record)
    )


def _display(attr: str, value: Any) -> str:
    if attr == "result":
        try:
            return ResultCategory(value).label
        except ValueError:
            return str(value or "")
    return str(value or "")


def proposed_changes(request: CorrectionRequest) -> list[tuple[str, str, str]]:
    """(label, old value, new value) of each changed field, for the pages."""
    data = json.loads(request.proposed or "{}")
    out = []
    for attr, label, _key in CORRECTABLE:
        if attr in data:
            change = data[attr]
            out.append((label, _display(attr, change.get("old")), _display(attr, change.get("new"))))
    return out


def request_correction(
    actor: User, record: InspectionRecord, *, values: dict[str, Any], reason: str, base_version: int | None
) -> CorrectionRequest:
    """申请更正: the fields that change (检查结果, 检查结果说明) and the reason, for the leader."""
    if not can_request_correction(actor, record):
        raise Forbidden("只有检查组成员或该部门的监管部门经办人可以申请更正检查结果")
    current = _require_published(record)
    if base_version is not None and base_version != current.version:
        raise StaleSubmission("该检查结果已更正为新版本，请刷新页面后重新填写")
    reason = _text(reason, "更正理由", name="reason")
    if pending_correction(record) is not None:
        raise Conflict("该检查结果已有一项更正申请待部门领导审批，审批后方可再次申请")
    changes: dict[str, dict[str, str]] = {}
    for attr, label, _key in CORRECTABLE:
        if attr not in values:
            continue
        new = (values.get(attr) or "").strip()
        if attr == "result":
            if new not in {c.value for c in ResultCategory}:
                raise Refused("请选择检查结果", "result")
        elif len(new) > MAX_TEXT:
            raise Refused(f"{label}不能超过{MAX_TEXT}个字符", attr)
        old = getattr(record, attr)
        old = old.value if isinstance(old, ResultCategory) else (old or "")
        if new != old:
            changes[attr] = {"old": old, "new": new}
    if not changes:
        raise Refused("更正内容与当前公示内容相同，请修改需要更正的内容")
    request = CorrectionRequest(
        record_id=record.id,
        department_id=record.department_id,
        base_version=current.version,
        proposed=json.dumps(changes, ensure_ascii=False),
        reason=reason,
        pending_record_id=record.id,
        requested_by_id=actor.id,
    )
    db.session.add(request)
    db.session.flush()
    audit.record(
        "correction_request",
        object_type="correction_request",
        object_id=request.id,
        summary={"检查记录": record.record_no, "版本": current.version, "更正理由": reason,
                 "更正内容": [f"{label}：{old} → {new}" for label, old, new in proposed_changes(request)]},
        user=actor,
    )
    return request


STALE_CORRECTION = "该更正申请已审批，请刷新页面查看最新状态"
STALE_STOP = "该停止公示申请已审核，请刷新页面查看最新状态"


def _claim_decision(
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


def can_decide(user: User, request: CorrectionRequest | StopPublicationRequest) -> bool:
    return request.status == ChangeStatus.PENDING and is_leader_of(user, request.department)


def decide_correction(
    actor: User, record: InspectionRecord, request: CorrectionRequest, *, approve: bool, comment: str = ""
) -> CorrectionRequest:
    """部门领导审批: 批准 writes and publishes version n+1; 不批准 needs a comment."""
    if request.record_id != record.id:
        raise Conflict("该更正申请不存在")
    if request.status != ChangeStatus.PENDING:
        raise StaleSubmission(STALE_CORRECTION)
    if not is_leader_of(actor, request.department):
        raise Forbidden("只有该部门的部门领导可以审批检查结果更正")
    comment = _text(comment, "审批意见", required=not approve, name="comment")
    current = current_version(record)
    if current is None or current.version != request.base_version:
        raise StaleSubmission("该检查结果已更正为新版本，本申请已过期，请刷新页面")
    _claim_decision(request, actor, approve=approve, comment=comment, stale=STALE_CORRECTION)
    if not approve:
        db.session.flush()
        audit.record("correction_refuse", object_type="correction_request", object_id=request.id,
                     summary={"检查记录": record.record_no, "意见": comment}, user=actor)
        return request
    changes = json.loads(request.proposed or "{}")
    for attr, _label, _key in CORRECTABLE:
        if attr in changes:
            new = changes[attr]["new"]
            setattr(record, attr, ResultCategory(new) if attr == "result" else new)
    version = inspections.publish_version(record, user=actor, corrected_from=current.version, reason=request.reason)
    record.lock_version = (record.lock_version or 0) + 1
    request.version_id = version.id
    db.session.flush()
    audit.record(
        "correction_approve",
        object_type="correction_request",
        object_id=request.id,
        summary={"检查记录": record.record_no, "新版本": version.version, "更正自": current.version,
                 "意见": comment},
        user=actor,
    )
    return request


# ------------------------------------------------------------------ clue transfers (线索移送)


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
    content = _text(content, "线索内容", name="content")
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


def _claim(clue: ClueTransfer, lock_version: int | None) -> None:
    if lock_version is not None and lock_version != clue.lock_version:
        raise StaleSubmission("该线索已被他人处理，请刷新页面查看最新状态")


def _flush_clue() -> None:
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
    _claim(clue, lock_version)
    if clue.status != ClueStatus.SENT:
        raise StaleSubmission("该线索已签收，请刷新页面查看最新状态")
    clue.receipt = _text(receipt, "回执", required=False, name="receipt")
    clue.status = ClueStatus.RECEIVED
    clue.received_by_id = actor.id
    clue.received_at = utcnow()
    _flush_clue()
    audit.record("clue_receive", object_type="clue_transfer", object_id=clue.id,
                 summary={"接收部门": clue.to_department.name, "回执": clue.receipt}, user=actor)
    return clue


def record_outcome(actor: User, clue: ClueTransfer, *, outcome: str, lock_version: int | None) -> ClueTransfer:
    """处理结果: recorded by the receiving department once it has dealt with the clue."""
    if not is_receiver(actor, clue):
        raise Forbidden("只有接收部门的监管部门经办人可以录入处理结果")
    _claim(clue, lock_version)
    if clue.status == ClueStatus.SENT:
        raise Refused("请先签收线索，再录入处理结果")
    if clue.status == ClueStatus.CONCLUDED:
        raise StaleSubmission("该线索的处理结果已录入，请刷新页面查看最新状态")
    clue.outcome = _text(outcome, "处理结果", name="outcome")
    clue.status = ClueStatus.CONCLUDED
    clue.outcome_by_id = actor.id
    clue.outcome_at = utcnow()
    _flush_clue()
    audit.record("clue_outcome", object_type="clue_transfer", object_id=clue.id,
                 summary={"接收部门": clue.to_department.name, "处理结果": clue.outcome}, user=actor)
    return clue


def incoming_clues(user: User, *, open_only: bool = True) -> list[ClueTransfer]:
    """Clues sent to the clerk's department (or below it) that wait for it (签收 or 处理结果)."""
    if not user.has_role(Role.CLERK):
        return []
    query = select(ClueTransfer).where(
        or_(ClueTransfer.to_department_id.in_(subtree_ids(user.department)),
            ClueTransfer.to_department_id.in_(user.department.ancestors()))
    )
    if open_only:
        query = query.where(ClueTransfer.status != ClueStatus.CONCLUDED)
    return list(db.session.execute(query.order_by(ClueTransfer.sent_at.desc(), ClueTransfer.id.desc())).scalars())


def outgoing_clues(user: User) -> list[ClueTransfer]:
    return list(db.session.execute(
        select(ClueTransfer).where(ClueTransfer.from_department_id.in_(subtree_ids(user.department)))
        .order_by(ClueTransfer.sent_at.desc(), ClueTransfer.id.desc())
    ).scalars())


# ------------------------------------------------------------------ case filing (立案查处)


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
    case_no = _text(case_no, "立案编号", limit=MAX_CASE_NO, name="case_no")
    day = _date(filed_on, "立案日期", "filed_on")
    if day > today():
        raise Refused("立案日期不能晚于今天", "filed_on")
    filing = CaseFiling(record_id=record.id, case_no=case_no, filed_on=day,
                        note=_text(note, "备注", required=False, name="note"), recorded_by_id=actor.id)
    db.session.add(filing)
    db.session.flush()
    audit.record("case_file", object_type="case_filing", object_id=filing.id,
                 summary={"检查记录": record.record_no, "立案编号": case_no, "立案日期": day.isoformat()}, user=actor)
    return filing


def _date(value: Any, label: str, name: str) -> date:
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


# ------------------------------------------------------------------ stop of publication (停止公示)


def publicity_days() -> int:
    """The legal publicity period in days (``RESULT_PUBLICITY_DAYS``).  Seed 001 says only
    公示满法定期限, without a figure; the default (three years) is an assumption to be set to the
    period the applicable rules give."""
    return int(current_app.config.get("RESULT_PUBLICITY_DAYS", DEFAULT_PUBLICITY_DAYS))


def first_published(record: InspectionRecord) -> datetime | None:
    first = db.session.execute(
        select(InspectionResultVersion.published_at)
        .where(InspectionResultVersion.record_id == record.id)
        .order_by(InspectionResultVersion.version)
        .limit(1)
    ).scalar()
    return first


def period_ends(record: InspectionRecord) -> date | None:
    """The first day the inspected party may apply: the first publication plus the legal period."""
    first = first_published(record)
    if first is None:
        return None
    return clock.china_date(first) + timedelta(days=publicity_days())


def stopped(record: InspectionRecord) -> StopPublicationRequest | None:
    return db.session.execute(
        select(StopPublicationRequest).where(
            StopPublicationRequest.record_id == record.id, StopPublicationRequest.status == ChangeStatus.APPROVED
        )
    ).scalars().first()


def pending_stop(record: InspectionRecord) -> StopPublicationRequest | None:
    return db.session.execute(
        select(StopPublicationRequest).where(
            StopPublicationRequest.record_id == record.id, StopPublicationRequest.status == ChangeStatus.PENDING
        )
    ).scalars().first()


def stop_requests(record: InspectionRecord) -> list[StopPublicationRequest]:
    return list(db.session.execute(
        select(StopPublicationRequest).where(StopPublicationRequest.record_id == record.id)
        .order_by(StopPublicationRequest.id)
    ).scalars())


def request_stop(
    actor: User, record: InspectionRecord, *, applicant: str, applied_on: Any, reason: str
) -> StopPublicationRequest:
    """停止公示申请, registered by a clerk once the legal period is over."""
    if not is_clerk_of(actor, record.department):
        raise Forbidden("只有该部门的监管部门经办人可以登记停止公示申请")
    _require_published(record)
    applicant = _text(applicant, "申请人", limit=200, name="applicant")
    day = _date(applied_on, "申请日期", "applied_on")
    if day > today():
        raise Refused("申请日期不能晚于今天", "applied_on")
    reason = _text(reason, "申请理由", name="reason")
    ends = period_ends(record)
    if ends is None or day < ends:
        raise Refused(f"公示未满法定期限（{publicity_days()}日），{ends.isoformat() if ends else ''}起方可申请停止公示",
                      "applied_on")
    if pending_stop(record) is not None:
        raise Conflict("该检查结果已有一项停止公示申请待部门领导审批")
    request = StopPublicationRequest(
        record_id=record.id, department_id=record.department_id, applicant=applicant, applied_on=day, reason=reason,
        pending_record_id=record.id, requested_by_id=actor.id,
    )
    db.session.add(request)
    db.session.flush()
    audit.record("stop_publication_request", object_type="stop_publication_request", object_id=request.id,
                 summary={"检查记录": record.record_no, "申请人": applicant, "申请日期": day.isoformat(),
                          "申请理由": reason}, user=actor)
    return request


def decide_stop(
    actor: User, record: InspectionRecord, request: StopPublicationRequest, *, approve: bool, comment: str = ""
) -> StopPublicationRequest:
    """部门领导审核: 批准 withdraws the result from the public pages; 不批准 needs a comment."""
    if request.record_id != record.id:
        raise Conflict("该停止公示申请不存在")
    if request.status != ChangeStatus.PENDING:
        raise StaleSubmission(STALE_STOP)
    if not is_leader_of(actor, request.department):
        raise Forbidden("只有该部门的部门领导可以审核停止公示申请")
    comment = _text(comment, "审核意见", required=not approve, name="comment")
    _claim_decision(request, actor, approve=approve, comment=comment, stale=STALE_STOP)
    db.session.flush()
    if approve:
        publication.publish(
            RESULT_SUBJECT,
            record.id,
            title=record.subject_name or record.record_no,
            payload={"状态": "已停止公示", "停止公示日期": clock.china_date(request.decided_at).isoformat()},
            department_id=record.department_id,
            action=PublicationAction.WITHDRAW,
            user=actor,
        )
    audit.record("stop_publication_approve" if approve else "stop_publication_refuse",
                 object_type="stop_publication_request", object_id=request.id,
                 summary={"检查记录": record.record_no, "意见": comment}, user=actor)
    return request


# ------------------------------------------------------------------ the public page


@dataclass
class PublicState:
    """What the public result page shows besides the current snapshot."""

    current: InspectionResultVersion | None
    earlier: list[InspectionResultVersion] = field(default_factory=list)
    corrected: bool = False
    corrected_at: datetime | None = None
    reason_summary: str = ""
    stopped_on: date | None = None


def public_state(record: InspectionRecord) -> PublicState:
    found = versions(record)
    stop = stopped(record)
    if stop is not None:
        return PublicState(current=None, stopped_on=clock.china_date(stop.decided_at))
    if not found:
        return PublicState(current=None)
    current = found[-1]
    return PublicState(
        current=current,
        earlier=list(reversed(found[:-1])),
        corrected=current.corrected_from is not None,
        corrected_at=current.published_at if current.corrected_from is not None else None,
        reason_summary=summary(current.reason) if current.corrected_from is not None else "",
    )


def public_fields(version: InspectionResultVersion) -> dict[str, Any]:
    """The version's public snapshot, minus anything internal (defence in depth)."""
    data = json.loads(version.snapshot or "{}")
    return {k: v for k, v in data.items() if k not in publication.FORBIDDEN_KEYS}


# ------------------------------------------------------------------ 我的待办


@dataclass
class Waiting:
    clues: list[ClueTransfer]
    corrections: list[CorrectionRequest]
    stops: list[StopPublicationRequest]

    @property
    def count(self) -> int:
        return len(self.clues) + len(self.corrections) + len(self.stops)


def waiting_for(user: User) -> Waiting:
    """The follow-up work waiting for the user: clues to sign for or to conclude (clerks of the
    receiving department), corrections and stop requests to decide (部门领导)."""
    clues = incoming_clues(user)
    corrections_: list[CorrectionRequest] = []
    stops: list[StopPublicationRequest] = []
    if user.has_role(Role.DEPT_LEADER):
        mine = subtree_ids(user.department)
        corrections_ = list(db.session.execute(
            select(CorrectionRequest).where(CorrectionRequest.status == ChangeStatus.PENDING,
                                            CorrectionRequest.department_id.in_(mine))
            .order_by(CorrectionRequest.id)
        ).scalars())
        stops = list(db.session.execute(
            select(StopPublicationRequest).where(StopPublicationRequest.status == ChangeStatus.PENDING,
                                                 StopPublicationRequest.department_id.in_(mine))
            .order_by(StopPublicationRequest.id)
        ).scalars())
    return Waiting(clues, corrections_, stops)


def record_of(obj: CorrectionRequest | StopPublicationRequest | ClueTransfer) -> InspectionRecord:
    record = db.session.get(InspectionRecord, obj.record_id)
    assert record is not None
    return record
