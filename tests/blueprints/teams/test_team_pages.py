"""/tasks/<id>/team, /inspectors/<id>/conflicts and /fairness: roles, scope, stale forms, the
draw → dispatch → 我的待办 path through the pages."""

from __future__ import annotations

import re

from models import Draw, DrawChange, InspectorConflict, TeamRole, db
from models.inspectors import AuxiliaryInspector, AuxiliaryKind
from services import inspector_draws as draws
from tests.conftest import csrf_token, sign_in
from tests.factories.teams import entity, make_inspector, make_task, start_task


def _setup(org, **kw):
    task = make_task(org, **kw)
    for n in range(4):
        make_inspector(org.station_a, f"页面人员{n}", id_number=None)
    inst = start_task(org, task)
    db.session.commit()
    return task, inst


def _post(client, url, data, token_url):
    data = {"csrf_token": csrf_token(client, token_url), **data}
    return client.post(url, data=data)


def test_clerk_draws_and_dispatches_then_the_inspector_sees_it(client, org, session):
    task, inst = _setup(org, inspectors=2)
    page = f"/tasks/{task.id}/team"
    sign_in(client, org.clerk_a)
    html = client.get(page).get_data(as_text=True)
    assert "随机抽取执法人员（2人）" in html and "符合条件的执法人员" in html
    resp = _post(client, f"{page}/draw", {"department_id": org.bureau_a.id, "version": inst.version}, page)
    assert resp.status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "抽取结果已锁定" in html and "组长" in html and "派发抽查任务" in html
    assert "身份证" not in html
    # drawing twice: 409
    resp = _post(client, f"{page}/draw", {"department_id": org.bureau_a.id, "version": inst.version}, page)
    assert resp.status_code == 409
    resp = _post(client, f"{page}/dispatch", {"department_id": org.bureau_a.id, "version": inst.version}, page)
    assert resp.status_code == 302
    db.session.refresh(inst)
    assert inst.current_step == "inspect"
    leader = next(m for m in draws.active_members(task) if m.role == TeamRole.LEADER)
    sign_in(client, leader.inspector.user)
    inbox = client.get("/inbox").get_data(as_text=True)
    assert task.name in inbox and f'href="/tasks/{task.id}/records"' in inbox  # 开展双随机检查
    html = client.get(page).get_data(as_text=True)
    assert "检查完成" in html
    resp = _post(client, f"{page}/finish", {"version": inst.version}, page)
    assert resp.status_code == 302
    db.session.refresh(inst)
    assert inst.current_step == "record"


def test_stale_form_is_409(client, org, session):
    task, inst = _setup(org)
    page = f"/tasks/{task.id}/team"
    sign_in(client, org.clerk_a)
    resp = _post(client, f"{page}/draw", {"department_id": org.bureau_a.id, "version": inst.version - 1}, page)
    assert resp.status_code == 409
    assert db.session.query(Draw).filter_by(task_id=task.id).count() == 0


def test_refusals_are_422_with_the_reason(client, org, session):
    task = make_task(org, inspectors=9)
    make_inspector(org.station_a, "仅一人")
    inst = start_task(org, task)
    db.session.commit()
    page = f"/tasks/{task.id}/team"
    sign_in(client, org.clerk_a)
    resp = _post(client, f"{page}/draw", {"department_id": org.bureau_a.id, "version": inst.version}, page)
    assert resp.status_code == 422
    assert "少于拟抽取的9人" in resp.get_data(as_text=True)


def test_wrong_role_403_and_other_district_404(client, org, session):
    task, inst = _setup(org)
    page = f"/tasks/{task.id}/team"
    sign_in(client, org.clerk_b)
    assert client.get(page).status_code == 404
    sign_in(client, org.office_user)  # same district, outside the task's departments
    assert client.get(page).status_code == 404
    sign_in(client, org.auditor)  # the city auditor: in scope (above), wrong role
    assert client.get(page).status_code == 403
    sign_in(client, org.leader_a)
    assert client.get(page).status_code == 200
    resp = _post(client, f"{page}/draw", {"department_id": org.bureau_a.id, "version": inst.version}, page)
    assert resp.status_code == 403
    sign_in(client, org.inspector_a)  # a station inspector not on the team
    assert client.get(page).status_code == 404
    sign_in(client, org.clerk_a)
    assert client.get("/tasks/999999/team").status_code == 404


def test_replacement_and_approval_pages(client, org, session):
    task, inst = _setup(org, inspectors=2)
    draws.draw_inspectors(org.clerk_a, task, org.bureau_a.id)
    db.session.commit()
    page = f"/tasks/{task.id}/team"
    member = draws.active_members(task)[1]
    team = {m.inspector_id for m in draws.active_members(task)}
    sign_in(client, org.clerk_a)
    html = client.get(page).get_data(as_text=True)
    assert "调整更换" in html and "执法回避" in html
    spare = next(int(v) for v in re.findall(r'<option value="(\d+)">页面人员', html) if int(v) not in team)
    url = f"{page}/members/{member.id}/replace"
    resp = _post(client, url, {"inspector_id": spare, "reason_code": "心情不好", "reason": "x"}, page)
    assert resp.status_code == 422
    resp = _post(client, url, {"inspector_id": spare, "reason_code": "健康状况", "reason": "住院"}, page)
    assert resp.status_code == 302
    change_id = db.session.query(DrawChange).filter_by(task_id=task.id).one().id
    # the clerk cannot approve, the head can
    resp = _post(client, f"{page}/changes/{change_id}", {"decision": "approve"}, page)
    assert resp.status_code == 403
    sign_in(client, org.leader_a)
    html = client.get(page).get_data(as_text=True)
    assert "同意更换" in html
    resp = _post(client, f"{page}/changes/{change_id}", {"decision": "approve", "comment": "同意"}, page)
    assert resp.status_code == 302
    assert spare in {m.inspector_id for m in draws.active_members(task)}
    resp = _post(client, f"{page}/changes/{change_id}", {"decision": "approve"}, page)
    assert resp.status_code == 409


def test_experts_page(client, org, session):
    task, inst = _setup(org)
    aux = AuxiliaryInspector(department_id=org.bureau_a.id, kind=AuxiliaryKind.TESTING, name="甲区检测中心")
    db.session.add(aux)
    db.session.commit()
    page = f"/tasks/{task.id}/team"
    sign_in(client, org.clerk_a)
    assert "甲区检测中心" in client.get(page).get_data(as_text=True)
    assert _post(client, f"{page}/experts", {"aux_id": aux.id}, page).status_code == 302
    assert _post(client, f"{page}/experts", {"aux_id": aux.id}, page).status_code == 409


def test_conflict_pages(client, org, session):
    person = make_inspector(org.station_a, "回避页面")
    e1 = entity(org, 51)
    db.session.commit()
    url = f"/inspectors/{person.id}/conflicts"
    sign_in(client, org.clerk_a)
    assert "执法回避" in client.get(f"/inspectors/{person.id}").get_data(as_text=True)
    resp = _post(client, url, {"entity": e1.uscc, "reason": ""}, url)
    assert resp.status_code == 422
    resp = _post(client, url, {"entity": e1.uscc, "reason": "配偶任职"}, url)
    assert resp.status_code == 302
    html = client.get(url).get_data(as_text=True)
    assert e1.name in html and "配偶任职" in html
    conflict = db.session.query(InspectorConflict).filter_by(inspector_id=person.id).one()
    resp = _post(client, f"{url}/{conflict.id}/revoke", {}, url)
    assert resp.status_code == 302 and not conflict.active
    sign_in(client, org.leader_a)
    assert client.get(url).status_code == 200
    assert _post(client, url, {"entity": e1.uscc, "reason": "x"}, url).status_code == 403
    sign_in(client, org.clerk_b)
    assert client.get(url).status_code == 404


def test_fairness_page_and_menu(client, org, session):
    sign_in(client, org.clerk_a)
    html = client.get("/fairness?years=2").get_data(as_text=True)
    assert "公平性监测" in html and "近2年从未被抽中的检查对象" in html and "判定规则" in html
    sign_in(client, org.inspector_a)
    assert client.get("/fairness").status_code == 403
    sign_in(client, org.leader_a)
    assert 'href="/fairness"' in client.get("/inbox").get_data(as_text=True)


def test_panel_counts_accounts_without_the_team_role_and_the_drawn_leader_can_act(client, org, session):
    """Issue 13 item 4: a clerk's account in the directory is left out with its reason; whoever
    is drawn passes every role check of the member's pages (the shared services/team_work)."""
    from models.roles import Role

    task = make_task(org, inspectors=1, methods="书面检查")
    make_inspector(org.bureau_a, "经办兼执法", roles=(Role.CLERK,))
    make_inspector(org.station_a, "所执法员")
    inst = start_task(org, task)
    db.session.commit()
    page = f"/tasks/{task.id}/team"
    sign_in(client, org.clerk_a)
    assert "账号无执法人员角色1人" in client.get(page).get_data(as_text=True)
    assert _post(client, f"{page}/draw", {"department_id": org.bureau_a.id, "version": inst.version}, page).status_code == 302
    assert _post(client, f"{page}/dispatch", {"department_id": org.bureau_a.id, "version": inst.version},
                 page).status_code == 302
    leader = draws.leader_of(task)
    assert leader.inspector.name == "所执法员"
    sign_in(client, leader.inspector.user)
    assert f'href="/tasks/{task.id}/records"' in client.get("/inbox").get_data(as_text=True)
    assert client.get(f"/tasks/{task.id}/records").status_code == 200
    db.session.refresh(inst)
    assert _post(client, f"{page}/finish", {"version": inst.version}, page).status_code == 302
