"""表29 whichever way the implementing departments report (issue 19): the pages, /api/v1 and the
counter plug-in's POST /sanction-checks/{code}/result all move the department's per-party steps;
a department that got ahead while the instance waited at the join for a slower one is moved on
by the platform; the initiating department's own tasks get their party item."""

from __future__ import annotations

import pytest

from models import SanctionTask, db
from models.sanctions import SanctionTaskStatus as TS
from models.workflow import InstanceStatus, WorkItemStatus
from services.sanctions import lists, tasks
from tests.blueprints.api.conftest import Api
from tests.factories.api import issue_token
from tests.factories.sanctions import Setup
from workflows import engine

SCOPES = ["sanctions:read", "sanctions:write"]


@pytest.fixture()
def sx(org, make_department, make_user, session):
    return Setup(org, make_department, make_user)


@pytest.fixture()
def health_api(api: Api, org, court) -> Api:  # court: an API client of district A's 卫生健康局
    token, _ = issue_token(org.sysadmin, court, SCOPES)
    return Api(api.client, api.spec, token)


def _ids(org, department):
    return [t.id for t in db.session.query(SanctionTask).filter_by(department_id=department.id)]


def _items(inst, step, department):
    return [i for i in inst.work_items if i.step_key == step and i.department_id == department.id]


def _done(inst, step, department):
    return [i.status for i in _items(inst, step, department)] == [WorkItemStatus.DONE]


def test_api_only_department_moves_its_steps(health_api, sx, org):
    lst = sx.listed(people=False)
    inst = lists.instance_of(lst)
    assert health_api.get("/sanction-tasks").status_code == 200  # 接收 through the API
    db.session.refresh(inst)
    assert _done(inst, "receive", org.health_a) and inst.current_step == "receive"  # safety still to receive
    [task_id] = _ids(org, org.health_a)
    assert health_api.post(f"/sanction-tasks/{task_id}/result", json={"result": "已限制"}).status_code == 200
    tasks.receive(org.safety_clerk, _ids(org, org.safety_a))
    db.session.refresh(inst)
    # health recorded before the instance reached 执行/录入: the platform moves its items on
    assert inst.current_step == "execute" and _done(inst, "execute", org.health_a)
    history = [h for h in inst.history if h.step_key == "execute" and h.department_name == "智慧监管平台"]
    assert history, "the platform's completion is in the history"
    tasks.execute(org.safety_clerk, _ids(org, org.safety_a))
    assert inst.current_step == "record" and _done(inst, "record", org.health_a)
    for task_id in _ids(org, org.safety_a):
        tasks.record_result(org.safety_clerk, db.session.get(SanctionTask, task_id), "已限制")
    assert inst.status == InstanceStatus.COMPLETED


@pytest.mark.parametrize("channel", ["平台", "接口", "插件"])
def test_each_channel_completes_the_instance(health_api, sx, org, channel):
    lst = sx.listed(people=False)
    inst = lists.instance_of(lst)
    code = lst.objects[0].code
    for task_id in _ids(org, org.safety_a):
        tasks.record_result(org.safety_clerk, db.session.get(SanctionTask, task_id), "已限制")
    [task_id] = _ids(org, org.health_a)
    if channel == "平台":
        tasks.record_result(org.health_clerk, db.session.get(SanctionTask, task_id), "已限制")
    elif channel == "接口":
        assert health_api.post(f"/sanction-tasks/{task_id}/result", json={"result": "已限制"}).status_code == 200
    else:
        reply = health_api.post(f"/sanction-checks/{code.lower()}/result", json={"result": "柜台已限制"})
        assert reply.status_code == 200 and reply.get_json()["written"] == 1
        again = health_api.post(f"/sanction-checks/{code}/result", json={"result": "柜台已限制"})
        assert again.status_code == 200 and again.get_json()["written"] == 0
    db.session.refresh(inst)
    task = db.session.get(SanctionTask, task_id)
    db.session.refresh(task)
    assert task.status == TS.RECORDED and task.channel == channel
    assert inst.status == InstanceStatus.COMPLETED
    assert {i.status for i in inst.work_items} == {WorkItemStatus.DONE}


def test_plug_in_result_for_an_object_without_tasks_is_404(health_api, sx):
    sx.listed(people=False)
    assert health_api.post("/sanction-checks/91510108MA6CX99999/result", json={"result": "x"}).status_code == 404
    assert health_api.post("/sanction-checks/91510108MA6CX99999/result", json={"x": 1}).status_code == 400


def test_initiating_departments_own_tasks_get_a_party_item(sx, org):
    entry = sx.published(measures=((org.bureau_a, "限制评优评先"), (org.health_a, "限制参加政府采购")))
    lst = lists.create_list(org.clerk_a, "本部门也实施的名单")
    lists.add_objects(org.clerk_a, lst, [sx.obj_row(entry, sx.entity(1).uscc)])
    lists.form_list(org.clerk_a, lst)
    lists.publicize(org.clerk_a, lst)
    inst = lists.instance_of(lst)
    [own] = _items(inst, "receive", org.bureau_a)
    assert engine.can_act(org.clerk_a, own) and own in engine.inbox(org.clerk_a)
    tasks.receive(org.clerk_a, _ids(org, org.bureau_a))
    assert _done(inst, "receive", org.bureau_a)
