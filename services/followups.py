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
from sqlalchemy import Select, select

from infrastructure import clock
from infrastructure.config import default as config_default
from infrastructure.errors import Conflict, Forbidden
from models import (
    ChangeStatus,
    ClueTransfer,
    CorrectionRequest,
    InspectionRecord,
    InspectionResultVersion,
    PublicationAction,
    RecordStatus,
    ResultCategory,
    StopPublicationRequest,
    User,
    db,
)
from models.roles import Role
from persistence import audit
from persistence.scope import subtree_ids
from services import inspection_publication, publication
from services.followup_clues import incoming_clues, incoming_clues_query
from services.followup_rules import (
    MAX_TEXT,
    Refused,
    claim_decision,
    clean_date,
    clean_text,
    current_version,
    is_clerk_of,
    is_leader_of,
    is_team_member,
    summary,
    today,
    versions,
)
from workflows.errors import StaleSubmission

DEFAULT_PUBLICITY_DAYS: int = config_default("RESULT_PUBLICITY_DAYS")
RESULT_SUBJECT = inspection_publication.SUBJECT  # Publication.subject_type of a record's result

# The fields a correction may change: the record's attribute, its label on the forms, and the
# key of the public snapshot (services/inspection_publication.public_snapshot) it appears under.
CORRECTABLE = (
    ("result", "检查结果", "检查结果"),
    ("result_note", "结果说明", "结果说明"),
)


# ------------------------------------------------------------------ helpers


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
    reason = clean_text(reason, "更正理由", name="reason")
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
    comment = clean_text(comment, "审批意见", required=not approve, name="comment")
    current = current_version(record)
    if current is None or current.version != request.base_version:
        raise StaleSubmission("该检查结果已更正为新版本，本申请已过期，请刷新页面")
    claim_decision(request, actor, approve=approve, comment=comment, stale=STALE_CORRECTION)
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
    version = inspection_publication.publish_version(record, user=actor, corrected_from=current.version, reason=request.reason)
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


# ------------------------------------------------------------------ case filing (立案查处)


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
    applicant = clean_text(applicant, "申请人", limit=200, name="applicant")
    day = clean_date(applied_on, "申请日期", "applied_on")
    if day > today():
        raise Refused("申请日期不能晚于今天", "applied_on")
    reason = clean_text(reason, "申请理由", name="reason")
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
    comment = clean_text(comment, "审核意见", required=not approve, name="comment")
    claim_decision(request, actor, approve=approve, comment=comment, stale=STALE_STOP)
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


def _decisions(user: User) -> list[Select[Any]]:
    """The corrections and stop requests waiting for a 部门领导's decision."""
    if not user.has_role(Role.DEPT_LEADER):
        return []
    mine = subtree_ids(user.department)
    return [
        select(model).where(model.status == ChangeStatus.PENDING, model.department_id.in_(mine)).order_by(model.id)
        for model in (CorrectionRequest, StopPublicationRequest)
    ]


def waiting_for(user: User) -> Waiting:
    """The follow-up work waiting for the user: clues to sign for or to conclude (clerks of the
    receiving department), corrections and stop requests to decide (部门领导)."""
    clues = incoming_clues(user)
    decisions = [list(db.session.execute(query).scalars()) for query in _decisions(user)]
    corrections_, stops = decisions or ([], [])
    return Waiting(clues, corrections_, stops)


def waiting_queries(user: User) -> list[Select[Any]]:
    """What ``waiting_for`` reads, as queries (the header count counts them in one statement)."""
    clues = incoming_clues_query(user)
    return ([clues] if clues is not None else []) + _decisions(user)
