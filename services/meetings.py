"""Meetings of a joint conference (议事会商, seed 001: 定期召开会商会议…可召开临时会议).

The office schedules a meeting (title, 定期/临时, time, place, agenda, the member units that
attend), records the minutes (会议纪要) after it, and publishes them as an official document in
one click: a 表33 document (services/documents) is created from the minutes — title
“<meeting>会议纪要”, the 文号 given, body the minutes — to be published to the attending units.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from infrastructure import clock
from infrastructure.errors import Conflict, Forbidden
from models import User, db
from models.conference import (
    Conference,
    ConferenceMeeting,
    MeetingAttendee,
    MeetingStatus,
    OfficialDocument,
)
from persistence import audit
from services import documents
from services.conferences import Unprocessable, can_manage, clean_text, is_office_staff

STALE = "该会议已被他人修改，请刷新页面后重试"
KINDS = {"regular": "定期会议", "ad_hoc": "临时会议"}


def can_view(user: User, meeting: ConferenceMeeting) -> bool:
    return can_manage(user, meeting.conference) or any(
        user.department.is_within(a.department) for a in meeting.attendees
    )


def meetings_of(conference: Conference) -> list[ConferenceMeeting]:
    return list(db.session.execute(
        select(ConferenceMeeting).where(ConferenceMeeting.conference_id == conference.id)
        .order_by(ConferenceMeeting.held_at.desc(), ConferenceMeeting.id.desc())
    ).scalars())


def minutes_documents(meeting: ConferenceMeeting) -> list[OfficialDocument]:
    return list(db.session.execute(
        select(OfficialDocument).where(OfficialDocument.meeting_id == meeting.id).order_by(OfficialDocument.id)
    ).scalars())


def _held_at(data: Mapping[str, Any]) -> datetime:
    """The form's local time (China Standard Time) stored as naive UTC, like every timestamp."""
    raw = str(data.get("held_at") or "").strip()
    if not raw:
        raise Unprocessable("请填写会议时间", field="held_at")
    try:
        local = datetime.fromisoformat(raw.replace(" ", "T"))
    except ValueError:
        raise Unprocessable("会议时间格式应为 YYYY-MM-DD HH:MM", field="held_at") from None
    return clock.from_china(local.replace(tzinfo=None))  # type: ignore[return-value]


def _units(conference: Conference, unit_ids: Iterable[Any]) -> list[int]:
    try:
        chosen = list(dict.fromkeys(int(i) for i in unit_ids))
    except (TypeError, ValueError):
        raise Unprocessable("参会单位选择无效", field="units") from None
    if not chosen:
        raise Unprocessable("请至少选择一个参会单位", field="units")
    members = {m.department_id for m in conference.active_members}
    if set(chosen) - members:
        raise Unprocessable("参会单位须为该联席会议的成员单位", field="units")
    return chosen


def _fields(data: Mapping[str, Any]) -> dict[str, Any]:
    kind = str(data.get("kind") or "regular")
    if kind not in KINDS:
        raise Unprocessable("会议类型无效", field="kind")
    return {
        "title": clean_text(data, "title", "会议名称", 200, required=True),
        "kind": kind,
        "held_at": _held_at(data),
        "place": clean_text(data, "place", "会议地点", 200),
        "agenda": clean_text(data, "agenda", "会议议程", 10000, required=True),
    }


def create_meeting(user: User, conference: Conference, data: Mapping[str, Any], unit_ids: Iterable[Any]) -> ConferenceMeeting:
    if not is_office_staff(user, conference):
        raise Forbidden("只有该联席会议办公室的工作人员可以安排会议")
    fields = _fields(data)
    units = _units(conference, unit_ids)
    meeting = ConferenceMeeting(conference=conference, created_by=user, **fields)
    meeting.attendees = [MeetingAttendee(department_id=d) for d in units]
    db.session.add(meeting)
    db.session.flush()
    audit.record("create", object_type="conference_meeting", object_id=meeting.id,
                 summary={"联席会议": conference.name, "会议": meeting.title, "参会单位": len(units)}, user=user)
    return meeting


def _lock(meeting: ConferenceMeeting, lock_version: int | None) -> None:
    db.session.execute(
        select(ConferenceMeeting).where(ConferenceMeeting.id == meeting.id).with_for_update()
        .execution_options(populate_existing=True)
    )
    if lock_version is None or meeting.lock_version != lock_version:
        raise Conflict(STALE)
    meeting.lock_version += 1


def record_minutes(
    user: User, meeting: ConferenceMeeting, lock_version: int | None, minutes: str,
    attendee_names: Mapping[int, str] | None = None,
) -> None:
    """会议纪要, and who attended for each unit; the meeting is then 已召开."""
    if not is_office_staff(user, meeting.conference):
        raise Forbidden("只有该联席会议办公室的工作人员可以记录会议纪要")
    minutes = clean_text({"minutes": minutes}, "minutes", "会议纪要", 20000, required=True)
    names = {int(k): str(v or "").strip()[:200] for k, v in (attendee_names or {}).items()}
    _lock(meeting, lock_version)
    meeting.minutes = minutes
    meeting.status = MeetingStatus.HELD
    for attendee in meeting.attendees:
        if attendee.department_id in names:
            attendee.attendee_names = names[attendee.department_id]
    audit.record("update", object_type="conference_meeting", object_id=meeting.id,
                 summary={"会议": meeting.title, "会议纪要": f"{len(minutes)}字"}, user=user)


def publish_minutes(user: User, meeting: ConferenceMeeting, lock_version: int | None, doc_no: str) -> OfficialDocument:
    """One click: the minutes become a 表33 official document (a draft to publish)."""
    if not is_office_staff(user, meeting.conference):
        raise Forbidden("只有该联席会议办公室的工作人员可以发布会议纪要")
    if not meeting.minutes.strip():
        raise Unprocessable("请先记录会议纪要", field="minutes")
    _lock(meeting, lock_version)
    document = documents.create_document(
        user, meeting.conference,
        {"doc_no": doc_no, "title": f"{meeting.title}会议纪要"[:200], "body": meeting.minutes},
        meeting_id=meeting.id,
    )
    return document
