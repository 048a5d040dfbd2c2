"""Role × step matrix of 表30 and 表31 (联合奖惩事项清单 新增 and 维护, services/sanctions/catalogue):
every step is the 牵头部门's, of the entry's own department only.  Written out by hand from the
standard's 角色 column (牵头部门, also where the text says 发起部门 or 市发改委)."""

from __future__ import annotations

import pytest

from models.workflow import WorkItemStatus
from tests.factories.sanctions import Setup
from workflows import engine
from workflows.registry import PROCESSES

USERS = ("lead", "lead2", "lead_b", "ndrc_clerk", "clerk_a", "leader_a", "health_clerk", "clerk_b", "office_user",
         "sysadmin")
LEAD = {"lead", "lead2"}
EXPECTED: dict[tuple[int, str], set[str]] = {
    (30, "add"): LEAD, (30, "publish"): LEAD,
    (31, "select"): LEAD, (31, "suspend"): LEAD, (31, "choose"): LEAD, (31, "edit"): LEAD, (31, "delete"): LEAD,
    (31, "publish"): LEAD,
}
ROUTES = {
    30: [("add", "next")],
    31: [("select", "next"), ("suspend", "next"), ("choose", "edit"), ("edit", "next")],
}


@pytest.fixture()
def sx(org, make_department, make_user, session):
    setup = Setup(org, make_department, make_user)
    for name in USERS:
        if not hasattr(setup, name):
            setattr(setup, name, getattr(org, name))
    return setup


def _walk(sx, table, step):
    inst = engine.start(table, sx.lead, title="矩阵联合奖惩清单")
    route = ROUTES[table] if step != "delete" else [("select", "next"), ("suspend", "next"), ("choose", "delete")]
    for key, outcome in route:
        if inst.current_step == step:
            break
        item = next(i for i in inst.work_items if i.step_key == key and i.status == WorkItemStatus.OPEN)
        inst = engine.complete(sx.lead, item.id, outcome, version=item.version)
    assert inst.current_step == step
    return inst


@pytest.mark.parametrize(("table", "step"), sorted(EXPECTED))
def test_who_may_act_in_tables_30_31(sx, table, step):
    inst = _walk(sx, table, step)
    items = [i for i in inst.work_items if i.step_key == step and i.status == WorkItemStatus.OPEN]
    assert items
    actors = {name for name in USERS if any(engine.can_act(getattr(sx, name), i) for i in items)}
    assert actors == EXPECTED[(table, step)]
    for name in USERS:
        assert any(i in engine.inbox(getattr(sx, name)) for i in items) == (name in EXPECTED[(table, step)]), name


def test_only_the_leading_department_starts():
    from models.roles import Role
    for table in (30, 31):
        assert {r for lane in PROCESSES[table].start.lanes for r in lane.roles} == {Role.LEADING_DEPARTMENT}


def test_matrix_covers_every_step():
    for table in (30, 31):
        assert {s.key for s in PROCESSES[table].steps if not s.automatic} == {k for t, k in EXPECTED if t == table}
