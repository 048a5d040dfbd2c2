"""Role × step matrix of 表23 专项整治 (services/campaigns): 甲区市场监督管理局 initiates a joint
campaign with 甲区卫生健康局.  发起部门 is the initiator's clerks and leaders, 参与部门 the party's,
执法人员 the inspectors of either (the initiator's station below it, the party's own);
指派执法人员 and 上报检查结果 are each party's.  Written out by hand from the standard's 角色 column."""

from __future__ import annotations

import pytest

from models.roles import Role
from models.workflow import WorkItemStatus
from workflows import engine
from workflows.lanes import PARTICIPANT
from workflows.registry import PROCESSES

USERS = ("clerk_a", "leader_a", "section_clerk_a", "inspector_a", "health_clerk", "safety_clerk", "clerk_b",
         "office_user", "health_inspector", "safety_inspector")
INITIATOR = {"clerk_a", "leader_a"}
INSPECTORS = {"inspector_a", "health_inspector"}
EXPECTED: dict[str, set[str]] = {
    "risk": INITIATOR, "objects": INITIATOR, "plan": INITIATOR, "joint": INITIATOR, "send_plan": INITIATOR,
    "enforce": INITIATOR, "joint_enforce": {"health_clerk"}, "assign": INITIATOR | {"health_clerk"},
    "inspect": INSPECTORS, "lawful": INSPECTORS, "order_needed": INSPECTORS, "order": INSPECTORS,
    "corrected": INSPECTORS, "case": INSPECTORS, "report": INSPECTORS | {"health_clerk"},
    "summary": INITIATOR, "notify": INITIATOR, "receive": {"health_clerk"},
}
JOINT = [
    ("risk", "clerk_a", "next"), ("objects", "clerk_a", "next"), ("plan", "clerk_a", "next"),
    ("joint", "clerk_a", "yes"), ("send_plan", "clerk_a", "next"), ("joint_enforce", "health_clerk", "next"),
    ("assign", "clerk_a", "next"), ("assign", "health_clerk", "next"), ("inspect", "inspector_a", "next"),
    ("lawful", "inspector_a", "no"), ("order_needed", "inspector_a", "yes"), ("order", "inspector_a", "next"),
    ("corrected", "inspector_a", "no"), ("case", "inspector_a", "next"), ("report", "inspector_a", "next"),
    ("report", "health_clerk", "next"), ("summary", "clerk_a", "next"), ("notify", "clerk_a", "next"),
]
ALONE = [*JOINT[:3], ("joint", "clerk_a", "no")]


@pytest.fixture()
def people(org, make_user, session):
    org.health_inspector = make_user(org.health_a, Role.INSPECTOR, name="卫健执法员")
    org.safety_inspector = make_user(org.safety_a, Role.INSPECTOR, name="应急执法员")
    return org


def _walk(org, step):
    joint = step != "enforce"
    parties = {PARTICIPANT: [org.health_a.id]} if joint else {}
    inst = engine.start(23, org.clerk_a, title="矩阵专项整治", parties=parties)
    for key, actor, outcome in (JOINT if joint else ALONE):
        if inst.current_step == step:
            break
        user = getattr(org, actor)
        item = next(i for i in inst.work_items
                    if i.step_key == key and i.status == WorkItemStatus.OPEN and engine.can_act(user, i))
        inst = engine.complete(user, item.id, outcome, version=item.version)
    assert inst.current_step == step
    return inst


@pytest.mark.parametrize("step", sorted(EXPECTED))
def test_who_may_act_in_table_23(people, step):
    org = people
    inst = _walk(org, step)
    items = [i for i in inst.work_items if i.step_key == step and i.status == WorkItemStatus.OPEN]
    assert items
    actors = {name for name in USERS if any(engine.can_act(getattr(org, name), i) for i in items)}
    assert actors == EXPECTED[step]
    for name in USERS:
        in_inbox = any(i in engine.inbox(getattr(org, name)) for i in items)
        assert in_inbox == (name in EXPECTED[step]), name


def test_table_23_matrix_covers_every_step():
    assert {s.key for s in PROCESSES[23].steps if not s.automatic} == set(EXPECTED)
