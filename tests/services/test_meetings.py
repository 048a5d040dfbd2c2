"""services/meetings: 议事会商 — agenda, attending units, minutes published as a 表33 document."""

from __future__ import annotations

import pytest

from infrastructure.errors import Conflict, Forbidden
from models.conference import DocumentStatus, MeetingStatus
from services import documents, meetings
from tests.factories.conference import make_conference


@pytest.fixture()
def setup(org, make_user, session):
    return make_conference(org, make_user, session)


def _meeting(org, setup, **over):
    data = {"title": "一季度联席会议", "kind": "regular", "held_at": "2026-03-20T09:30", "place": "三楼会议室",
            "agenda": "一、通报情况；二、部署任务。", **over}
    return meetings.create_meeting(org.office_user, setup.conference, data, [org.health_a.id, org.safety_a.id])


def test_meeting_with_agenda_units_and_minutes_to_document(org, setup, session):
    meeting = _meeting(org, setup)
    assert meeting.held_at.hour == 1 and meeting.held_at.minute == 30  # 09:30 CST stored as UTC
    assert [a.department_id for a in meeting.attendees] == [org.health_a.id, org.safety_a.id]
    assert meetings.can_view(org.health_clerk, meeting) and not meetings.can_view(org.clerk_a, meeting)
    with pytest.raises(meetings.Unprocessable, match="请先记录会议纪要"):
        meetings.publish_minutes(org.office_user, meeting, meeting.lock_version, "甲联办纪〔2026〕1号")
    meetings.record_minutes(org.office_user, meeting, meeting.lock_version, "会议同意年度计划。",
                            {org.health_a.id: "张三"})
    assert meeting.status == MeetingStatus.HELD and meeting.attendees[0].attendee_names == "张三"
    document = meetings.publish_minutes(org.office_user, meeting, meeting.lock_version, "甲联办纪〔2026〕1号")
    assert document.title == "一季度联席会议会议纪要" and document.body == "会议同意年度计划。"
    assert document.meeting_id == meeting.id and document.status == DocumentStatus.DRAFT
    assert documents.instance_of(document).current_step == "draft"
    assert meetings.minutes_documents(meeting) == [document]


@pytest.mark.parametrize(("over", "message"), [
    ({"title": ""}, "请填写会议名称"), ({"agenda": ""}, "请填写会议议程"), ({"held_at": "明天"}, "会议时间格式"),
    ({"kind": "x"}, "会议类型无效"),
])
def test_meeting_input_checks(org, setup, over, message):
    with pytest.raises(meetings.Unprocessable, match=message):
        _meeting(org, setup, **over)


def test_units_must_be_members_and_staff_only(org, setup):
    with pytest.raises(meetings.Unprocessable, match="成员单位"):
        meetings.create_meeting(org.office_user, setup.conference,
                                {"title": "x", "held_at": "2026-03-01T09:00", "agenda": "y"}, [org.station_a.id])
    with pytest.raises(Forbidden):
        meetings.create_meeting(setup.health_liaison, setup.conference,
                                {"title": "x", "held_at": "2026-03-01T09:00", "agenda": "y"}, [org.health_a.id])


def test_stale_minutes_are_409(org, setup):
    meeting = _meeting(org, setup)
    with pytest.raises(Conflict):
        meetings.record_minutes(org.office_user, meeting, meeting.lock_version + 1, "纪要")
