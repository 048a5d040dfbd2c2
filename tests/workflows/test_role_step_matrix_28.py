"""Role × step matrix of 表28 触发式双随机监管 (services/trigger/flow.py): one instance per trigger
rule of 甲区市场监督管理局.  监管部门 (the rule's department, its clerks and leaders) does every step
but the platform's 监测并生成触发式对象库, which runs by itself.  Written out by hand from the
standard's 角色 column."""

from __future__ import annotations

import pytest

from models.workflow import WorkItemStatus
from workflows import engine
from workflows.registry import PROCESSES

USERS = ("clerk_a", "leader_a", "section_clerk_a", "inspector_a", "health_clerk", "office_user", "clerk_b",
         "leader_b", "sysadmin", "auditor")
EXPECTED: dict[str, set[str]] = {
    "rules": {"clerk_a", "leader_a"},
    "extract": {"clerk_a", "leader_a"},
    "inspect": {"clerk_a", "leader_a"},
}
PATH = [("rules", "next"), ("extract", "next"), ("inspect", "next")]


def _walk(org, step):
    inst = engine.start(28, org.clerk_a, title="矩阵触发式规则")
    for key, outcome in PATH:
        if inst.current_step == step:
            break
        item = next(i for i in inst.work_items if i.step_key == key and i.status == WorkItemStatus.OPEN)
        inst = engine.complete(org.clerk_a, item.id, outcome, version=item.version)
    assert inst.current_step == step
    return inst


@pytest.mark.parametrize("step", sorted(EXPECTED))
def test_who_may_act_in_table_28(org, step):
    inst = _walk(org, step)
    items = [i for i in inst.work_items if i.step_key == step and i.status == WorkItemStatus.OPEN]
    assert items
    actors = {name for name in USERS if any(engine.can_act(getattr(org, name), i) for i in items)}
    assert actors == EXPECTED[step]
    for name in USERS:
        in_inbox = any(i in engine.inbox(getattr(org, name)) for i in items)
        assert in_inbox == (name in EXPECTED[step]), name


def test_the_monitoring_is_the_platforms_and_runs_by_itself(org):
    inst = _walk(org, "extract")
    assert any(h.step_key == "monitor" for h in inst.history)
    assert {s.key for s in PROCESSES[28].steps if s.automatic} == {"monitor"}


def test_table_28_matrix_covers_every_step():
    assert {s.key for s in PROCESSES[28].steps if not s.automatic} == set(EXPECTED)
