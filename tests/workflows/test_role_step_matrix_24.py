"""Role × step matrix of 表24 无证无照经营综合治理 (services/unlicensed): one instance per member
unit, here 卫生健康局's.  联席会议办公室 does the office's steps, the unit's liaison (成员单位)
its own, and the unit's inspectors (执法人员, in the unit or below it) the enforcement; 上报查处结果
is both the inspectors' and the unit's.  Written out by hand from the standard's 角色 column."""

from __future__ import annotations

import pytest

from models.roles import Role
from models.workflow import WorkItemStatus
from workflows import engine
from workflows.lanes import MEMBER
from workflows.registry import PROCESSES

USERS = (
    "clerk_a", "leader_a", "inspector_a", "health_clerk", "safety_clerk", "office_user", "clerk_b", "office_b_user",
    "sysadmin", "health_liaison", "safety_liaison", "liaison_b", "health_inspector", "safety_inspector",
)
EXPECTED: dict[str, set[str]] = {
    "notice": {"office_user"},
    "annual_plan": {"health_liaison"},
    "collect": {"office_user"},
    "scheme": {"office_user"},
    "campaign": {"health_liaison"},
    "assign": {"health_liaison"},
    "enforce": {"health_inspector"},
    "eligible": {"health_inspector"},
    "case": {"health_inspector"},
    "willing": {"health_inspector"},
    "guide": {"health_inspector"},
    "report": {"health_liaison", "health_inspector"},
    "summary": {"office_user"},
    "notify": {"office_user"},
    "receive": {"health_liaison"},
}
GUIDED = [
    ("notice", "office_user", "next"), ("annual_plan", "health_liaison", "next"), ("collect", "office_user", "next"),
    ("scheme", "office_user", "next"), ("campaign", "health_liaison", "next"), ("assign", "health_liaison", "next"),
    ("enforce", "health_inspector", "next"), ("eligible", "health_inspector", "yes"),
    ("willing", "health_inspector", "yes"), ("guide", "health_inspector", "next"),
    ("report", "health_inspector", "next"), ("report", "health_liaison", "next"), ("summary", "office_user", "next"),
    ("notify", "office_user", "next"),
]
# 立案查处 is on the other branch of 判断是否符合办理证照条件.
CASE = [*GUIDED[:7], ("eligible", "health_inspector", "no")]


@pytest.fixture()
def people(org, make_user, session):
    org.health_liaison = make_user(org.health_a, Role.MEMBER_LIAISON, name="卫健联络员")
    org.safety_liaison = make_user(org.safety_a, Role.MEMBER_LIAISON, name="应急联络员")
    org.liaison_b = make_user(org.bureau_b, Role.MEMBER_LIAISON, name="乙区联络员")
    org.health_inspector = make_user(org.health_a, Role.INSPECTOR, name="卫健执法员")
    org.safety_inspector = make_user(org.safety_a, Role.INSPECTOR, name="应急执法员")
    return org


def _walk(org, step):
    inst = engine.start(24, org.office_user, title="矩阵无证无照", parties={MEMBER: [org.health_a.id]})
    for key, actor, outcome in (CASE if step == "case" else GUIDED):
        if inst.current_step == step:
            break
        user = getattr(org, actor)
        item = next(i for i in inst.work_items
                    if i.step_key == key and i.status == WorkItemStatus.OPEN and engine.can_act(user, i))
        inst = engine.complete(user, item.id, outcome, version=item.version)
    assert inst.current_step == step
    return inst


@pytest.mark.parametrize("step", sorted(EXPECTED))
def test_who_may_act_in_table_24(people, step):
    org = people
    inst = _walk(org, step)
    items = [i for i in inst.work_items if i.step_key == step and i.status == WorkItemStatus.OPEN]
    assert items
    actors = {name for name in USERS if any(engine.can_act(getattr(org, name), i) for i in items)}
    assert actors == EXPECTED[step]
    for name in USERS:
        in_inbox = any(i in engine.inbox(getattr(org, name)) for i in items)
        assert in_inbox == (name in EXPECTED[step]), name


def test_table_24_matrix_covers_every_step():
    assert {s.key for s in PROCESSES[24].steps if not s.automatic} == set(EXPECTED)
