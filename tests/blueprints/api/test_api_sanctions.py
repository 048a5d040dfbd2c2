"""/api/v1 sanctions (表29 through the 数据接口): the implementing department reads its tasks
(接收), writes results (idempotent; another department's task 403) and checks a code; every
answer validated against the OpenAPI document."""

from __future__ import annotations

import pytest

from models import SanctionTask, db
from models.sanctions import SanctionTaskStatus as TS
from tests.blueprints.api.conftest import Api
from tests.factories.api import issue_token
from tests.factories.sanctions import Setup

SCOPES = ["sanctions:read", "sanctions:write"]


@pytest.fixture()
def sx(org, make_department, make_user, session):
    return Setup(org, make_department, make_user)


@pytest.fixture()
def dept_api(api: Api, org, court) -> Api:
    token, _ = issue_token(org.sysadmin, court, SCOPES)
    return Api(api.client, api.spec, token)


def test_read_tasks_receives_them(dept_api, sx, org):
    sx.listed(people=False)
    body = dept_api.get("/sanction-tasks").get_json()
    assert [t["measure"] for t in body["items"]] == ["限制参加政府采购"]
    task = db.session.query(SanctionTask).filter_by(department_id=org.health_a.id).one()
    db.session.refresh(task)
    assert task.status == TS.RECEIVED and task.channel == "接口"


def test_write_result_is_idempotent_and_own_department_only(dept_api, sx, org):
    sx.listed(people=False)
    mine = db.session.query(SanctionTask).filter_by(department_id=org.health_a.id).one()
    other = db.session.query(SanctionTask).filter_by(department_id=org.safety_a.id).one()
    headers = {"Idempotency-Key": "sanction-result-0001"}
    first = dept_api.post(f"/sanction-tasks/{mine.id}/result", json={"result": "已限制"}, headers=headers)
    assert first.status_code == 200 and first.get_json()["status"] == "recorded"
    again = dept_api.post(f"/sanction-tasks/{mine.id}/result", json={"result": "已限制"}, headers=headers)
    assert again.status_code == 200 and again.get_data() == first.get_data()
    plain = dept_api.post(f"/sanction-tasks/{mine.id}/result", json={"result": "已限制"})
    assert plain.status_code == 200
    assert dept_api.post(f"/sanction-tasks/{other.id}/result", json={"result": "x"}).status_code == 403
    assert dept_api.post("/sanction-tasks/999999/result", json={"result": "x"}).status_code == 404
    assert dept_api.post(f"/sanction-tasks/{mine.id}/result", json={"result": "不同"}).status_code == 409


def test_check_a_code(dept_api, sx):
    lst = sx.listed(people=False)
    code = lst.objects[0].code
    body = dept_api.get(f"/sanction-checks/{code}").get_json()
    assert body["restricted"] and [m["measure"] for m in body["measures"]] == ["限制参加政府采购"]
    every = dept_api.get(f"/sanction-checks/{code}?all=1").get_json()
    assert len(every["measures"]) == 2
    assert dept_api.get("/sanction-checks/91510108MA6CX99999").get_json()["restricted"] is False


def test_scope_required(api, sx):
    assert api.get("/sanction-tasks").status_code == 403
