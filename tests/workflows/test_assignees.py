"""Personal work items for a step's assignees (workflows/assignees.py) and step pages."""

from __future__ import annotations

import pytest

from models.workflow import WorkItemStatus
from workflows import assignees, bindings, engine
from workflows.assignees import Assignment


@pytest.fixture()
def assigned(org, make_user):
    """表20 开展双随机检查 assigned to two users of the org (the first leads) while the test runs."""
    from models.roles import Role

    lead = make_user(org.station_a, Role.INSPECTOR, name="组长")
    member = make_user(org.health_a, Role.INSPECTOR, name="组员")
    key = (20, "inspect")
    saved = assignees.ASSIGNEES.get(key)
    who = {"users": (lead.id, member.id), "lead": lead.id}
    assignees.ASSIGNEES[key] = lambda inst: Assignment(who["users"], who["lead"])
    yield lead, member, who
    if saved is None:
        assignees.ASSIGNEES.pop(key)
    else:
        assignees.ASSIGNEES[key] = saved


def _to_inspect(org):
    inst = engine.start(20, org.clerk_a, title="派发")
    engine.advance(org.clerk_a, inst, "scheme", "next")
    engine.advance(org.leader_a, inst, "review_scheme", "approve")
    engine.advance(org.clerk_a, inst, "draw_objects", "next")
    engine.advance(org.clerk_a, inst, "draw_inspectors", "next")
    return inst


def _open(inst, step="inspect"):
    return [i for i in inst.work_items if i.step_key == step and i.status == WorkItemStatus.OPEN]


def test_personal_items_and_the_lead_completes(org, session, assigned):
    lead, member, _ = assigned
    inst = _to_inspect(org)
    items = _open(inst)
    assert {i.user_id for i in items} == {lead.id, member.id}
    assert all(i.department_id == inst.department_id for i in items)
    # the department's own inspector has no item now; each assignee sees their own
    assert not engine.can_act(org.inspector_a, items[0])
    assert [i.user_id for i in engine.inbox(member)] == [member.id]
    engine.advance(member, inst, "inspect", "next")
    assert inst.current_step == "inspect" and [i.user_id for i in _open(inst)] == [lead.id]
    engine.advance(lead, inst, "inspect", "next")
    assert inst.current_step == "record" and not _open(inst, "inspect")


def test_lead_first_closes_the_others(org, session, assigned):
    lead, member, _ = assigned
    inst = _to_inspect(org)
    engine.advance(lead, inst, "inspect", "next")
    assert inst.current_step == "record"
    assert [i.status for i in inst.work_items if i.step_key == "inspect" and i.user_id == member.id] == [
        WorkItemStatus.CANCELLED
    ]


def test_refresh_follows_a_changed_team(org, session, assigned, make_user):
    from models.roles import Role

    lead, member, who = assigned
    inst = _to_inspect(org)
    newcomer = make_user(org.station_a, Role.INSPECTOR, name="新组员")
    who["users"] = (lead.id, newcomer.id)
    engine.refresh_assignees(inst)
    assert {i.user_id for i in _open(inst)} == {lead.id, newcomer.id}
    engine.refresh_assignees(inst)  # idempotent
    assert len(_open(inst)) == 2


def test_no_assignees_leaves_the_department_item(org, session, assigned):
    _, _, who = assigned
    who["users"] = ()
    inst = _to_inspect(org)
    items = _open(inst)
    assert len(items) == 1 and items[0].user_id is None and engine.can_act(org.inspector_a, items[0])


def test_step_pages(app):
    with pytest.raises(ValueError):
        bindings.bind_step_page(20, "no_such_step", "teams.page")
    with app.test_request_context():
        assert bindings.step_link(22, "team", 7) == "/tasks/7/team"
        # 开展双随机检查 … 完成抽查 open the task's records (blueprints/inspections)
        assert bindings.step_link(20, "inspect", 7) == "/tasks/7/records"
        assert bindings.step_link(20, "inspect", None) is None
        assert bindings.step_link(22, "record", 7) == "/tasks/7/records"
        assert bindings.step_link(20, "publish", 7) is None
