"""/tasks pages: every step of 表20/表22 up to the draw, wrong role 403, another district 404,
stale forms 409, the htmx preview, changes, the grade-ratio page and the public verification."""

from __future__ import annotations

import json
import re

import pytest

from models import Draw, Scheme, TaskObject, TeamMember, TeamRole
from models.schemes import SchemeStatus
from services import object_draws as draws
from services import task_access
from tests.conftest import csrf_token
from tests.factories.tasks import approved, fill_directory, make_task, scheme_form
from tests.factories.teams import make_inspector

FORM = {k: v for k, v in scheme_form().items(multi=True) if k != "methods"} | {"methods": ["实地核查", "书面检查"]}


def _post(client, url, data, page):
    return client.post(url, data={"csrf_token": csrf_token(client, page), **data})


def _lock(html: str) -> str:
    return re.search(r'name="lock_version" value="(\d+)"', html).group(1)


def test_single_task_through_the_pages(client, login, org, session):
    task = make_task(org.bureau_a, name="餐饮服务单部门抽查任务")
    fill_directory(task, {"A": 20, "E": 2, "-": 4})
    page = f"/tasks/{task.id}"
    login(org.clerk_a)
    assert "餐饮服务单部门抽查任务" in client.get("/tasks/").get_data(as_text=True)
    html = client.get(page).get_data(as_text=True)
    assert "根据计划制定双随机抽查方案" in html and 'name="ratio_E" value="100"' in html  # built-in defaults
    # preview of the ratios as typed (htmx), then an impossible ratio: 422 with the message
    frag = client.get(f"{page}/preview", query_string={**FORM, "ratio_A": "10"}, headers={"HX-Request": "true"})
    text = frag.get_data(as_text=True)
    assert frag.status_code == 200 and "20 × 10% 向上取整 = 2" in text and 'class="quota-total">6<' in text
    bad = client.get(f"{page}/preview", query_string={**FORM, "ratio_A": "120"}, headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "A类抽查比例应为0到100之间的数字" in bad.get_data(as_text=True)
    # a bad form: 422, the page again with the message, nothing written
    resp = _post(client, f"{page}/scheme", {**FORM, "title": "", "lock_version": _lock(html), "action": "submit"},
                 page)
    assert resp.status_code == 422 and "请填写方案名称" in resp.get_data(as_text=True)
    assert session.query(Scheme).filter_by(task_id=task.id).count() == 0
    resp = _post(client, f"{page}/scheme", {**FORM, "lock_version": _lock(html), "action": "submit"}, page)
    assert resp.status_code == 302
    # the leader returns it once with a reason, which the clerk sees
    login(org.leader_a)
    html = client.get(page).get_data(as_text=True)
    assert "审核方案可行性" in html and "审核通过" in html
    resp = _post(client, f"{page}/scheme/review", {"outcome": "return", "comment": "", "lock_version": _lock(html)},
                 page)
    assert resp.status_code == 422 and "退回修改须填写理由" in resp.get_data(as_text=True)
    resp = _post(client, f"{page}/scheme/review",
                 {"outcome": "return", "comment": "请提高C类比例", "lock_version": _lock(html)}, page)
    assert resp.status_code == 302
    login(org.clerk_a)
    html = client.get(page).get_data(as_text=True)
    assert "部门领导退回修改，理由：请提高C类比例" in html
    scheme = session.query(Scheme).filter_by(task_id=task.id).one()
    resp = _post(client, f"{page}/scheme", {**FORM, "scheme_id": scheme.id, "lock_version": _lock(html),
                                            "action": "submit"}, page)
    assert resp.status_code == 302
    login(org.leader_a)
    html = client.get(page).get_data(as_text=True)
    assert _post(client, f"{page}/scheme/review", {"outcome": "approve", "lock_version": _lock(html)},
                 page).status_code == 302
    # the clerk sees the arithmetic and draws
    login(org.clerk_a)
    html = client.get(page).get_data(as_text=True)
    assert "20 × 10% 向上取整 = 2" in html and "2 × 100% 向上取整 = 2" in html and "4 × 30% 向上取整 = 2" in html
    lock = re.search(r'action="/tasks/\d+/draw".*?name="lock_version" value="(\d+)"', html, re.S).group(1)
    resp = _post(client, f"{page}/draw", {"lock_version": lock}, page)
    assert resp.status_code == 302
    again = _post(client, f"{page}/draw", {"lock_version": lock}, page)
    assert again.status_code == 409
    html = client.get(page).get_data(as_text=True)
    assert "确认抽取结果" in html and html.count('name="remove"') == 6
    verified = client.get(f"{page}/verify", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "一致" in verified and "不一致" not in verified
    resp = _post(client, f"{page}/draw/confirm", {"lock_version": _lock(html)}, page)
    assert resp.status_code == 302
    assert task_access.instance_of(task).current_step == "draw_inspectors"


def test_joint_task_scheme_is_published_and_the_draw_is_public(client, login, org, session):
    task = make_task(org.bureau_a, joint=True, participants=(org.health_a,))
    fill_directory(task, {"B": 12, "D": 3})
    approved(task, org.clerk_a, org.leader_a)
    login(org.health_clerk)  # a participant sees the task, without the clerk's forms
    html = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "随机抽取检查对象" in html and 'action="/tasks/' + str(task.id) + '/draw"' not in html
    login(org.clerk_a)
    html = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    lock = re.search(r'action="/tasks/\d+/draw".*?name="lock_version" value="(\d+)"', html, re.S).group(1)
    assert _post(client, f"/tasks/{task.id}/draw", {"lock_version": lock}, f"/tasks/{task.id}").status_code == 302
    row = session.query(Draw).filter_by(task_id=task.id).one()
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    with client.session_transaction() as sess:
        sess.clear()
    public = client.get(f"/public/draws/{row.id}")
    text = public.get_data(as_text=True)
    assert public.status_code == 200 and row.seed not in text and "与存档结果一致" in text
    for marker in ("B类", "D类", "未分级", "信用风险分类</th>", "S1"):
        assert marker not in text
    assert json.loads(row.commitments)["seed"] in text  # the seed's commitment instead
    names = [session.get(TaskObject, o.id) for o in session.query(TaskObject).filter_by(task_id=task.id)]
    assert len(names) == row.result_size
    record = client.get(f"/public/draws/{row.id}.json")
    data = json.loads(record.data)
    assert "quotas" not in data and "seed" not in data and data["drawn"] == row.result_size
    script = client.get("/public/draws/draw_algorithm.py")
    assert script.status_code == 200 and b"zhjg-draw-1" in script.data and b"def draw(" in script.data


def test_sensitive_or_unpublished_draws_are_not_public(client, org, session):
    from models.plans import PlanStatus

    task = make_task(org.bureau_a, plan_status=PlanStatus.DRAFT)
    fill_directory(task, {"A": 3})
    approved(task, org.clerk_a, org.leader_a)
    row = draws.run_draw(org.clerk_a, task, lock_version=task.lock_version)
    session.commit()
    assert client.get(f"/public/draws/{row.id}").status_code == 404
    assert client.get(f"/public/draws/{row.id}.json").status_code == 404
    assert client.get("/public/draws/999999").status_code == 404


def test_wrong_role_is_403_and_another_district_404(client, login, org, session):
    task = make_task(org.bureau_a)
    fill_directory(task, {"A": 3})
    page = f"/tasks/{task.id}"
    login(org.clerk_b)
    assert client.get(page).status_code == 404
    assert _post(client, f"{page}/scheme", {**FORM, "lock_version": 1, "action": "submit"}, "/tasks/").status_code \
        == 404
    login(org.inspector_a)
    assert _post(client, f"{page}/scheme", {**FORM, "lock_version": 1}, "/tasks/").status_code == 403
    login(org.clerk_a)
    assert _post(client, f"{page}/scheme/review", {"outcome": "approve", "lock_version": 1}, page).status_code == 403
    assert _post(client, f"{page}/changes/decide", {"outcome": "approve", "lock_version": 1}, page).status_code == 403
    login(org.sysadmin)
    assert client.get("/tasks/").status_code == 403
    # a section clerk of the same bureau does not see the bureau's task
    login(org.section_clerk_a)
    assert client.get(page).status_code == 404


def test_stale_scheme_form_is_409_and_nothing_changes(client, login, org, session):
    task = make_task(org.bureau_a)
    page = f"/tasks/{task.id}"
    login(org.clerk_a)
    html = client.get(page).get_data(as_text=True)
    lock = _lock(html)
    assert _post(client, f"{page}/scheme", {**FORM, "lock_version": lock, "action": "save"}, page).status_code == 302
    resp = _post(client, f"{page}/scheme", {**FORM, "title": "另一个方案", "lock_version": lock, "action": "save"}, page)
    assert resp.status_code == 409 and "已被他人处理" in resp.get_data(as_text=True)
    assert session.query(Scheme).filter_by(task_id=task.id).one().title == FORM["title"]


def test_change_request_and_leader_decision_on_the_page(client, login, org, session):
    task = make_task(org.bureau_a)
    fill_directory(task, {"A": 10, "E": 2})
    approved(task, org.clerk_a, org.leader_a)
    draws.run_draw(org.clerk_a, task, lock_version=task.lock_version)
    session.commit()
    page = f"/tasks/{task.id}"
    login(org.clerk_a)
    html = client.get(page).get_data(as_text=True)
    key = re.search(r'name="remove" value="([^"]+)"', html).group(1)
    resp = _post(client, f"{page}/changes", {"remove": key, "reason": "", "lock_version": _lock(html)}, page)
    assert resp.status_code == 422 and "更改检查对象名单须填写理由" in resp.get_data(as_text=True)
    resp = _post(client, f"{page}/changes", {"remove": key, "reason": "企业已迁出", "lock_version": _lock(html)},
                 page)
    assert resp.status_code == 302
    login(org.leader_a)
    html = client.get(page).get_data(as_text=True)
    assert "待审批的更改申请" in html and "企业已迁出" in html
    resp = _post(client, f"{page}/changes/decide", {"outcome": "approve", "comment": "同意",
                                                    "lock_version": _lock(html)}, page)
    assert resp.status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "已移出" in html and "更改记录" in html and "已批准" in html
    assert session.query(TaskObject).filter_by(task_id=task.id, key=key).one().removed


def test_grade_ratio_page(client, login, org, session):
    login(org.leader_a)
    html = client.get("/tasks/ratios").get_data(as_text=True)
    assert 'name="ratio_E" value="100"' in html
    data = {"ratio_A": "3", "ratio_B": "2", "ratio_C": "3", "ratio_D": "5", "ratio_E": "100", "ratio_-": "3"}
    assert _post(client, "/tasks/ratios", data, "/tasks/ratios").status_code == 302
    html = client.get("/tasks/ratios").get_data(as_text=True)
    assert "A类抽查比例（3%）高于B类（2%）" in html and 'name="ratio_A" value="3"' in html
    resp = _post(client, "/tasks/ratios", {**data, "ratio_D": "abc"}, "/tasks/ratios")
    assert resp.status_code == 422 and "D类抽查比例应为0到100之间的数字" in resp.get_data(as_text=True)
    login(org.inspector_a)
    assert client.get("/tasks/ratios").status_code == 403


@pytest.mark.parametrize("status", ["", "new", "drawing", "nonsense"])
def test_list_filters(client, login, org, session, status):
    make_task(org.bureau_a, name="甲区筛选任务")
    login(org.clerk_a)
    resp = client.get("/tasks/", query_string={"status": status})
    assert resp.status_code == 200
    assert ("甲区筛选任务" in resp.get_data(as_text=True)) == (status in ("", "new", "nonsense"))


def test_scheme_status_badge_after_approval(client, login, org, session):
    task = make_task(org.bureau_a)
    approved(task, org.clerk_a, org.leader_a)
    assert task.scheme.status == SchemeStatus.APPROVED
    login(org.leader_a)
    html = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "审核通过" in html and "尚未建立" in html  # no directory yet: the draw panel says so


def test_public_scheme_pages_show_published_schemes_selectively(client, org, session):
    """公示方案 on the public pages, no sign-in: the content of an ordinary joint scheme, only
    title, department and period of a sensitive one."""
    open_task = make_task(org.bureau_a, joint=True, participants=(org.health_a,), name="公开方案任务")
    approved(open_task, org.clerk_a, org.leader_a, title="甲区食品联合抽查方案")
    secret_task = make_task(org.bureau_a, joint=True, participants=(org.health_a,), name="机密方案任务")
    approved(secret_task, org.clerk_a, org.leader_a, title="甲区涉爆联合抽查方案", sensitive="1")
    listing = client.get("/public/schemes").get_data(as_text=True)
    assert "甲区食品联合抽查方案" in listing and "甲区涉爆联合抽查方案" in listing and "选择性公示" in listing
    page = client.get(f"/public/schemes/{open_task.scheme.id}").get_data(as_text=True)
    assert "检查内容" in page and "抽查比例" in page
    secret = client.get(f"/public/schemes/{secret_task.scheme.id}").get_data(as_text=True)
    assert "选择性公示" in secret and "检查内容" not in secret and "抽查比例" not in secret
    assert client.get("/public/schemes/999999").status_code == 404
    assert "甲区食品" in client.get("/public/schemes?q=食品").get_data(as_text=True)
    assert "甲区食品" not in client.get("/public/schemes?q=涉爆").get_data(as_text=True)


def _drawn_task(org, session, name: str):
    task = make_task(org.bureau_a, name=name)
    fill_directory(task, {"A": 5, "C": 5})
    approved(task, org.clerk_a, org.leader_a)
    draws.run_draw(org.clerk_a, task, lock_version=task.lock_version)
    session.commit()
    return task


def test_a_team_member_of_a_station_sees_the_task_page_and_list(client, login, org, session):
    task = _drawn_task(org, session, "站所组员可见的抽查任务")
    # an inspector of a 市场监管所 (outside the bureau's subtree) and a former member
    member = make_inspector(org.station_a, "站所执法人员")
    former = make_inspector(org.station_a, "已更换的执法人员")
    session.add(TeamMember(task_id=task.id, department_id=org.bureau_a.id, inspector_id=former.id,
                           role=TeamRole.MEMBER, active=False))
    session.commit()
    for user in (member.user, former.user):
        login(user)
        assert "站所组员可见的抽查任务" not in client.get("/tasks/").get_data(as_text=True)
        assert client.get(f"/tasks/{task.id}").status_code == 404
    session.add(TeamMember(task_id=task.id, department_id=org.bureau_a.id, inspector_id=member.id,
                           role=TeamRole.LEADER))
    session.commit()
    login(member.user)
    assert "站所组员可见的抽查任务" in client.get("/tasks/").get_data(as_text=True)
    resp = client.get(f"/tasks/{task.id}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    # the team panel tells the story and links to the team page
    assert 'id="team-panel"' in html and "您是本检查组的组长" in html and "组长：<strong>站所执法人员</strong>" in html
    assert f'href="/tasks/{task.id}/team"' in html
    # the object list without the internal credit-risk grades
    objects = html.split('id="object-list"', 1)[1].split("</table>", 1)[0]
    assert "信用风险分类" not in objects and "A类" not in objects and "C类" not in objects
    assert objects.count("<tr data-key=") == draws.current_draw(task).result_size
    # the one who was replaced out still cannot find it
    login(former.user)
    assert client.get(f"/tasks/{task.id}").status_code == 404


def test_the_clerk_and_leader_see_the_grades_and_the_team_panel(client, login, org, session):
    task = _drawn_task(org, session, "带信用分类的抽查任务")
    for user in (org.clerk_a, org.leader_a):
        login(user)
        html = client.get(f"/tasks/{task.id}").get_data(as_text=True)
        objects = html.split('id="object-list"', 1)[1].split("</table>", 1)[0]
        assert "<th>信用风险分类</th>" in objects and ("A类" in objects or "C类" in objects)
        assert 'id="team-panel"' in html and "尚未抽取" in html and "您是本检查组" not in html


def test_risk_weight_on_the_scheme_and_draw_panels(client, login, org, session):
    """风险库命中加权: a bad value 422 on the form, the setting on the scheme page for every role
    that sees it, and on the draw panel after the draw (issue 16 §5)."""
    from tests.factories import risk_pages

    task = make_task(org.bureau_a)
    fill_directory(task, {"A": 4})
    page = f"/tasks/{task.id}"
    login(org.clerk_a)
    html = client.get(page).get_data(as_text=True)
    assert 'name="risk_weight" value="0"' in html and "风险库命中加权" in html
    resp = _post(client, f"{page}/scheme", {**FORM, "risk_weight": "101", "lock_version": _lock(html),
                                            "action": "submit"}, page)
    assert resp.status_code == 422 and "风险库命中加权应为0到100之间的整数" in resp.get_data(as_text=True)
    assert 'name="risk_weight" value="101"' in resp.get_data(as_text=True)  # the form shown again as typed
    assert session.query(Scheme).filter_by(task_id=task.id).count() == 0
    assert _post(client, f"{page}/scheme", {**FORM, "risk_weight": "4", "lock_version": _lock(html),
                                            "action": "submit"}, page).status_code == 302
    scheme = session.query(Scheme).filter_by(task_id=task.id).one()
    assert scheme.risk_weight == 4
    from models import DirectoryMember

    first = session.query(DirectoryMember).order_by(DirectoryMember.entity_id).first()
    risk_pages.warning(first.entity, "lawsuits", department=org.bureau_a)
    session.commit()
    login(org.leader_a)
    html = client.get(page).get_data(as_text=True)
    assert "每条未关闭的风险预警计作4次" in html
    assert _post(client, f"{page}/scheme/review", {"outcome": "approve", "lock_version": _lock(html)},
                 page).status_code == 302
    login(org.clerk_a)
    html = client.get(page).get_data(as_text=True)
    lock = re.search(r'action="/tasks/\d+/draw".*?name="lock_version" value="(\d+)"', html, re.S).group(1)
    assert _post(client, f"{page}/draw", {"lock_version": lock}, page).status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert 'class="draw-risk-weight"' in html and "每条未关闭的风险预警计作4次" in html
    draw = draws.current_draw(task)
    weights = {k: w for k, _s, w in draws.stored_population(draw)}
    assert weights[f"entity:{first.entity_id}"] == 5.0 and json.loads(draw.params)["risk_weight"] == 4
