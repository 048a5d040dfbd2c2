"""engine.terminate (a subject recalled or replaced) and the conference office of an office."""

from __future__ import annotations

import pytest

from models.workflow import InstanceStatus, WorkItemStatus
from workflows import engine
from workflows.errors import StaleSubmission
from workflows.lanes import MEMBER, PARTICIPANT


def test_terminate_cancels_open_items_and_records_why(org, session):
    inst = engine.start(12, org.clerk_a, title="终止测试", parties={PARTICIPANT: [org.health_a.id]})
    engine.terminate(org.clerk_a, inst, "主体已撤回", label="撤回公文")
    assert inst.status == InstanceStatus.TERMINATED and inst.ended_at is not None
    assert all(i.status != WorkItemStatus.OPEN for i in inst.work_items)
    last = inst.history[-1]
    assert (last.action, last.comment, last.actor_id) == ("terminate", "主体已撤回", org.clerk_a.id)
    assert all(i.instance_id != inst.id for i in engine.inbox(org.health_clerk))
    with pytest.raises(StaleSubmission):
        engine.terminate(org.clerk_a, inst, "再次")


def test_an_office_is_its_own_conference_office(org, make_department, make_user, session):
    from models.org import DepartmentKind
    from models.roles import Role

    second = make_department("甲区第二联席会议办公室", org.district_a, kind=DepartmentKind.CONFERENCE_OFFICE)
    assert engine.conference_office_for(second) == second
    assert engine.conference_office_for(org.office_a) == org.office_a
    assert engine.conference_office_for(org.bureau_a) in (org.office_a, second)  # an office of the district
    staff = make_user(second, Role.CONFERENCE_OFFICE, name="二办")
    inst = engine.start(33, staff, title="第二办公室公文", parties={MEMBER: [org.health_a.id]})
    draft = next(i for i in inst.work_items if i.step_key == "draft")
    assert draft.department_id == second.id  # its own office, not the district's first one
    assert engine.can_act(staff, draft) and not engine.can_act(org.office_user, draft)
