"""/sanctions/lists and /sanctions/tasks (表29): the 发起部门 forms and publicizes its list on the
list's page, the implementing department works its tasks on the task list; another district 404."""

from __future__ import annotations

import pytest

from models import SanctionList, SanctionTask, db
from models.sanctions import ListStatus
from models.sanctions import SanctionTaskStatus as TS
from tests.conftest import csrf_token, sign_in
from tests.factories.sanctions import Setup


@pytest.fixture()
def sx(org, make_department, make_user, session):
    return Setup(org, make_department, make_user)


def _post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/sanctions/lists")})


def test_form_and_publicize_on_the_list_page(client, sx, org):
    entry = sx.published()
    uscc = sx.entity(1).uscc
    sign_in(client, org.clerk_a)
    assert _post(client, "/sanctions/lists", {"title": "第一批名单"}).status_code == 302
    lst = db.session.query(SanctionList).one()
    bad = _post(client, f"/sanctions/lists/{lst.id}/objects", sx.obj_row(entry, "91510108MA6CX99999"))
    assert bad.status_code == 400 and "不在本地区市场主体库" in bad.get_data(as_text=True)
    assert 'value="91510108MA6CX99999"' in bad.get_data(as_text=True)
    assert _post(client, f"/sanctions/lists/{lst.id}/objects", sx.obj_row(entry, uscc)).status_code == 302
    assert _post(client, f"/sanctions/lists/{lst.id}/form", {}).status_code == 302
    page = client.get(f"/sanctions/lists/{lst.id}").get_data(as_text=True)
    assert "推送至信用中国(四川成都)公示" in page
    assert _post(client, f"/sanctions/lists/{lst.id}/publicize", {}).status_code == 302
    db.session.refresh(lst)
    assert lst.status == ListStatus.PUBLISHED
    assert db.session.query(SanctionTask).count() == 2


def test_tasks_on_the_task_list(client, sx, org):
    sx.listed(people=False)
    sign_in(client, org.health_clerk)
    page = client.get("/sanctions/tasks").get_data(as_text=True)
    assert "限制参加政府采购" in page and "限制取得安全生产许可" not in page
    [task] = db.session.query(SanctionTask).filter_by(department_id=org.health_a.id).all()
    other = db.session.query(SanctionTask).filter_by(department_id=org.safety_a.id).one()
    assert _post(client, "/sanctions/tasks/receive", {"task_id": [str(other.id)]}).status_code == 403
    assert _post(client, "/sanctions/tasks/receive", {"task_id": [str(task.id)]}).status_code == 302
    assert _post(client, "/sanctions/tasks/execute", {"task_id": [str(task.id)]}).status_code == 302
    assert _post(client, f"/sanctions/tasks/{task.id}/result", {"result": "已限制其参加政府采购"}).status_code == 302
    db.session.refresh(task)
    assert task.status == TS.RECORDED and task.result == "已限制其参加政府采购"


def test_another_district_gets_404(client, sx, org):
    lst = sx.listed(people=False)
    task = db.session.query(SanctionTask).first()
    sign_in(client, org.clerk_b)
    assert client.get(f"/sanctions/lists/{lst.id}").status_code == 404
    assert _post(client, f"/sanctions/tasks/{task.id}/result", {"result": "x"}).status_code == 404
    assert "限制参加政府采购" not in client.get("/sanctions/tasks").get_data(as_text=True)


def test_published_list_feed_is_signed_and_masks_id_numbers(client, sx):
    lst = sx.listed()
    resp = client.get("/public/sanctions/lists.json")
    from services.sanctions import feed
    with client.application.app_context():
        assert resp.headers["X-Signature"] == feed.signature(resp.data)
    [record] = resp.get_json()["records"]
    assert record["subject_id"] == lst.id
    person = record["payload"]["对象"][1]
    assert person["名称"] == "张三" and lst.objects[1].code not in resp.get_data(as_text=True)


def test_results_gathered_under_the_entity_and_the_person(client, sx, org):
    from services.sanctions import tasks

    lst = sx.listed()
    for task in db.session.query(SanctionTask).filter_by(department_id=org.health_a.id):
        tasks.record_result(org.health_clerk, task, "已限制其参加政府采购")
    db.session.commit()
    sign_in(client, org.clerk_a)
    entity, person = lst.objects[0], lst.objects[1]
    dossier = client.get(f"/entities/{entity.entity_id}/dossier").get_data(as_text=True)
    assert "联合奖惩实施情况" in dossier and "已限制其参加政府采购" in dossier
    page = client.get(f"/persons/{person.person_id}").get_data(as_text=True)
    assert "联合奖惩实施情况" in page and "已限制其参加政府采购" in page
    assert "当前列入失信名单" in page and "当前未列入失信名单" not in page  # the fact recorded at 公示


def test_query_verify_and_release_pages(client, sx, org):
    lst = sx.listed(people=False)
    obj = lst.objects[0]
    sign_in(client, org.clerk_a)
    page = client.get(f"/sanctions/objects?q={obj.code}").get_data(as_text=True)
    assert "涉及联合惩戒（2项措施）" in page
    assert _post(client, f"/sanctions/objects/{obj.id}/release", {"reason": ""}).status_code == 400
    assert _post(client, f"/sanctions/objects/{obj.id}/release", {"reason": "信用修复"}).status_code == 302
    assert "未涉及联合惩戒" in client.get(f"/sanctions/objects?q={obj.code}").get_data(as_text=True)
    sign_in(client, org.clerk_b)
    assert _post(client, f"/sanctions/objects/{obj.id}/release", {"reason": "x"}).status_code == 404
