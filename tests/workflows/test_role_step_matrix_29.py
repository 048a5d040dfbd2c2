"""Role × step matrix of 表29 联合奖惩业务流程 (services/sanctions/lists, tasks): the 发起部门
(district A's bureau: its clerks and leaders) forms and publicizes the list; each 实施部门
(卫生健康局, 应急管理局) receives, executes and records its own part.  Written out by hand."""

from __future__ import annotations

import pytest

from models.workflow import WorkItemStatus
from tests.factories.sanctions import Setup
from workflows import engine
from workflows.lanes import IMPLEMENTER
from workflows.registry import PROCESSES

USERS = ("clerk_a", "leader_a", "leader_a2", "section_clerk_a", "inspector_a", "health_clerk", "safety_clerk",
         "office_user", "clerk_b", "leader_b", "sysadmin", "lead")
INITIATOR = {"clerk_a", "leader_a", "leader_a2"}
EXPECTED = {
    "list": INITIATOR,
    "publicize": INITIATOR,
    "receive": {"health_clerk", "safety_clerk"},
    "execute": {"health_clerk", "safety_clerk"},
    "record": {"health_clerk", "safety_clerk"},
}
ORDER = ["list", "publicize", "receive", "execute", "record"]


@pytest.fixture()
def sx(org, make_department, make_user, session):
    setup = Setup(org, make_department, make_user)
    for name in USERS:
        if not hasattr(setup, name):
            setattr(setup, name, getattr(org, name))
    return setup


def _walk(sx, step):
    inst = engine.start(29, sx.clerk_a, title="矩阵联合奖惩", parties={IMPLEMENTER: [sx.org.health_a.id,
                                                                               sx.org.safety_a.id]})
    for key in ORDER[:ORDER.index(step)]:
        for item in [i for i in inst.work_items if i.step_key == key and i.status == WorkItemStatus.OPEN]:
            actor = next(getattr(sx, n) for n in EXPECTED[key] if engine.can_act(getattr(sx, n), item))
            inst = engine.complete(actor, item.id, "next", version=item.version)
    assert inst.current_step == step
    return inst


@pytest.mark.parametrize("step", ORDER)
def test_who_may_act_in_table_29(sx, step):
    inst = _walk(sx, step)
    items = [i for i in inst.work_items if i.step_key == step and i.status == WorkItemStatus.OPEN]
    actors = {n for n in USERS if any(engine.can_act(getattr(sx, n), i) for i in items)}
    assert actors == EXPECTED[step]
    if step in ("receive", "execute", "record"):  # each department only its own item
        health = next(i for i in items if i.department_id == sx.org.health_a.id)
        assert engine.can_act(sx.health_clerk, health) and not engine.can_act(sx.safety_clerk, health)
    for name in USERS:
        assert any(i in engine.inbox(getattr(sx, name)) for i in items) == (name in EXPECTED[step]), name


def test_matrix_covers_every_step():
    assert {s.key for s in PROCESSES[29].steps if not s.automatic} == set(EXPECTED)


# ---------------------------------------------------------------- the business paths (issue 19)
# Who moves 卫生健康局's per-party step by working its tasks: its clerk on the pages (平台), its
# interface client (接口/插件); nobody else — another 实施部门, the 发起部门, another district.

WORKERS = {"health_clerk": True, "health_api": True, "safety_clerk": False, "clerk_a": False, "clerk_b": False,
           "inspector_a": False}


@pytest.mark.parametrize("step", ["receive", "execute", "record"])
@pytest.mark.parametrize("who", list(WORKERS))
def test_who_moves_a_departments_step_by_its_tasks(sx, org, make_user, step, who):
    from infrastructure.errors import Forbidden
    from models import SanctionTask, db
    from models.roles import Role
    from services.sanctions import lists, tasks

    sx.health_api = make_user(org.health_a, Role.API_CLIENT, name="卫健接口")
    lst = sx.listed(people=False)
    inst = lists.instance_of(lst)
    ids = [t.id for t in db.session.query(SanctionTask).filter_by(department_id=org.health_a.id)]
    safety = [t.id for t in db.session.query(SanctionTask).filter_by(department_id=org.safety_a.id)]
    health, actor = sx.health_clerk, getattr(sx, who)
    before = {"receive": [], "execute": [tasks.receive], "record": [tasks.receive, tasks.execute]}[step]
    for verb in before:  # both departments as far as the step before, so the instance is at the step
        verb(health, ids)
        verb(sx.safety_clerk, safety)
    assert inst.current_step == step

    def act():
        if step == "record":
            for task_id in ids:
                tasks.record_result(actor, db.session.get(SanctionTask, task_id), "已限制", "接口" if who == "health_api" else "平台")
        else:
            {"receive": tasks.receive, "execute": tasks.execute}[step](actor, ids)

    if not WORKERS[who]:
        with pytest.raises(Forbidden):
            act()
        return
    act()
    item = next(i for i in inst.work_items if i.step_key == step and i.department_id == org.health_a.id)
    assert item.status == WorkItemStatus.DONE
    assert item.done_by_id == actor.id
