"""Client tests for /processes, the instance pages and 我的待办."""

from __future__ import annotations

import re

import pytest

from models import ProcessInstance
from models.workflow import InstanceStatus, WorkItemStatus
from tests.conftest import csrf_token
from workflows import bindings, engine
from workflows.lanes import PARTICIPANT


@pytest.fixture(autouse=True)
def generic_20_22(monkeypatch):
    """These tests exercise the generic start and instance pages with 表20/表22, which the
    task pages (/tasks) bind to their business pages: unbind them for the test."""
    for table in (20, 22):
        monkeypatch.delitem(bindings.BINDINGS, table, raising=False)


def _open_item(inst, step):
    return next(i for i in inst.work_items if i.step_key == step and i.status == WorkItemStatus.OPEN)


def test_catalogue_lists_all_31_figures(client, org, login):
    login(org.clerk_a)
    html = client.get("/processes/").get_data(as_text=True)
    figures = re.findall(r"图(\d+) ", html)
    assert sorted(set(int(f) for f in figures)) == list(range(1, 32))
    assert "部门联合事项清单新增业务流程" in html


def test_process_page_shows_diagram_and_table(client, org, login):
    login(org.clerk_a)
    resp = client.get("/processes/12")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "<svg" in html and "确认是否参与" in html and "联席会议办公室" in html
    assert "表12 部门联合事项清单新增业务流程图描述表" in html
    svg = client.get("/processes/12.svg")
    assert svg.mimetype == "image/svg+xml" and svg.data.startswith(b"<svg")


def test_unknown_process_is_404_in_chinese(client, org, login):
    login(org.clerk_a)
    resp = client.get("/processes/26")
    assert resp.status_code == 404
    assert "不存在" in resp.get_data(as_text=True)


def test_start_and_act_through_pages(client, org, login, session):
    # 表22: a joint process no chapter has bound to its pages yet (表12 is done on /joint-items).
    login(org.clerk_a)
    token = csrf_token(client, "/processes/22/start")
    resp = client.post(
        "/processes/22/start",
        data={"csrf_token": token, "title": "药店联合检查", PARTICIPANT: [org.health_a.id]},
    )
    assert resp.status_code == 302
    inst = session.query(ProcessInstance).filter_by(title="药店联合检查").one()
    page = client.get(f"/processes/instances/{inst.id}").get_data(as_text=True)
    assert "根据计划制定部门联合双随机抽查方案" in page and "当前环节" in page
    item = _open_item(inst, "scheme")
    resp = client.post(
        f"/processes/instances/{inst.id}/items/{item.id}",
        data={"csrf_token": token, "outcome": "next", "version": item.version},
    )
    assert resp.status_code == 302
    session.refresh(inst)
    assert inst.current_step == "review_scheme"


def test_start_without_participants_gives_message_and_writes_nothing(client, org, login, session):
    login(org.clerk_a)
    token = csrf_token(client, "/processes/22/start")
    before = session.query(ProcessInstance).count()
    resp = client.post("/processes/22/start", data={"csrf_token": token, "title": "缺参与部门"})
    assert resp.status_code == 400
    assert "请至少选择一个参与部门" in resp.get_data(as_text=True)
    assert session.query(ProcessInstance).count() == before


def test_start_forbidden_for_wrong_role(client, org, login):
    login(org.inspector_a)
    assert client.get("/processes/7/start").status_code == 403


def test_participant_candidates_are_of_the_same_district(client, org, login):
    login(org.clerk_a)
    html = client.get("/processes/22/start").get_data(as_text=True)
    options = re.findall(r"<option value=\"\d+\"[^>]*>([^<]+)</option>", html)
    assert "甲区卫生健康局" in options
    assert "乙区市场监督管理局" not in options
    assert "甲区市场监督管理局" not in options  # not the initiator itself


def _at_review(org):
    from models import db

    inst = engine.start(20, org.clerk_a, title="方案审核")
    item = _open_item(inst, "scheme")
    inst = engine.complete(org.clerk_a, item.id, "next", version=item.version)
    db.session.commit()
    return inst


def test_stale_form_is_refused_with_409_and_nothing_changes(app, client, org, login, session):
    inst = _at_review(org)
    item = _open_item(inst, "review_scheme")
    login(org.leader_a)
    token = csrf_token(client, f"/processes/instances/{inst.id}")
    url = f"/processes/instances/{inst.id}/items/{item.id}"
    first = client.post(url, data={"csrf_token": token, "outcome": "approve", "version": item.version})
    assert first.status_code == 302
    history = len(inst.history)
    second = client.post(url, data={"csrf_token": token, "outcome": "approve", "version": item.version})
    assert second.status_code == 409
    assert "该事项已被他人处理" in second.get_data(as_text=True)
    session.refresh(inst)
    assert len(inst.history) == history


def test_missing_version_and_unknown_outcome(client, org, login):
    inst = _at_review(org)
    item = _open_item(inst, "review_scheme")
    login(org.leader_a)
    token = csrf_token(client, f"/processes/instances/{inst.id}")
    url = f"/processes/instances/{inst.id}/items/{item.id}"
    resp = client.post(url, data={"csrf_token": token, "outcome": "approve"})
    assert resp.status_code == 400 and "版本号" in resp.get_data(as_text=True)
    resp = client.post(url, data={"csrf_token": token, "outcome": "nope", "version": item.version})
    assert resp.status_code == 400 and "无效的办理操作" in resp.get_data(as_text=True)


def test_act_without_csrf_is_400(client, org, login):
    inst = _at_review(org)
    item = _open_item(inst, "review_scheme")
    login(org.leader_a)
    resp = client.post(
        f"/processes/instances/{inst.id}/items/{item.id}", data={"outcome": "approve", "version": item.version}
    )
    assert resp.status_code == 400
    assert "安全令牌" in resp.get_data(as_text=True)
    assert item.status == WorkItemStatus.OPEN


def test_clerk_cannot_approve_through_the_page(client, org, login):
    inst = _at_review(org)
    item = _open_item(inst, "review_scheme")
    login(org.clerk_a)
    token = csrf_token(client, f"/processes/instances/{inst.id}")
    resp = client.post(
        f"/processes/instances/{inst.id}/items/{item.id}",
        data={"csrf_token": token, "outcome": "approve", "version": item.version},
    )
    assert resp.status_code == 403


def test_other_district_gets_404_for_instance(client, org, login):
    inst = _at_review(org)
    login(org.clerk_b)
    assert client.get(f"/processes/instances/{inst.id}").status_code == 404
    html = client.get("/processes/instances").get_data(as_text=True)
    assert "方案审核" not in html


def test_participant_sees_joint_instance(client, org, login, session):
    inst = engine.start(12, org.clerk_a, title="联合可见", parties={PARTICIPANT: [org.health_a.id]})
    session.commit()
    login(org.health_clerk)
    assert client.get(f"/processes/instances/{inst.id}").status_code == 200
    assert "联合可见" in client.get("/processes/instances").get_data(as_text=True)


def test_withdraw_through_page(client, org, login, session):
    inst = _at_review(org)
    login(org.clerk_a)
    page = client.get(f"/processes/instances/{inst.id}").get_data(as_text=True)
    assert "撤回" in page
    token = csrf_token(client, f"/processes/instances/{inst.id}")
    resp = client.post(f"/processes/instances/{inst.id}/withdraw", data={"csrf_token": token, "version": inst.version})
    assert resp.status_code == 302
    session.refresh(inst)
    assert inst.current_step == "scheme"


def test_inbox_page_and_count(client, org, login):
    _at_review(org)
    login(org.leader_a)
    html = client.get("/inbox").get_data(as_text=True)
    assert "方案审核" in html and "审核方案可行性" in html
    assert client.get("/inbox/count", headers={"HX-Request": "true"}).get_data(as_text=True) == "1"
    login(org.clerk_b)
    assert client.get("/inbox/count").get_data(as_text=True) == ""


def test_instance_page_draws_path_and_current_step(client, org, login):
    inst = _at_review(org)
    login(org.leader_a)
    html = client.get(f"/processes/instances/{inst.id}").get_data(as_text=True)
    assert 'data-step="review_scheme"' in html
    assert "当前环节" in html
    assert inst.status == InstanceStatus.ACTIVE


def test_menu_shows_only_allowed_entries(client, org, login):
    login(org.clerk_a)
    html = client.get("/inbox").get_data(as_text=True)
    assert "我的待办" in html and "审计日志" not in html and "部门管理" not in html
    login(org.auditor)
    html = client.get("/audit/").get_data(as_text=True)
    assert "审计日志" in html and "我的待办" not in html


def test_instance_with_unknown_step_does_not_crash_the_list(client, org, login, session):
    inst = engine.start(7, org.clerk_a, title="旧版本数据")
    inst.current_step = "no_such_step"
    for item in inst.work_items:
        item.step_key = "no_such_step"
    session.commit()
    login(org.clerk_a)
    resp = client.get("/processes/instances")
    assert resp.status_code == 200
    assert "未知的业务环节（no_such_step）" in resp.get_data(as_text=True)
    resp = client.get(f"/processes/instances/{inst.id}")
    assert resp.status_code == 404
    assert "未知的业务环节" in resp.get_data(as_text=True)


def test_process_waiting_for_data_says_so_and_refuses_start(client, org, login, monkeypatch):
    from workflows.guards import GUARDS

    login(org.clerk_a)
    # 表21 is started from /plans since services/plans.py registered its guards.
    assert client.get("/processes/21/start").headers.get("Location", "").endswith("/plans/new")
    monkeypatch.delitem(GUARDS, "ad_hoc_plan")
    monkeypatch.delitem(GUARDS, "not_ad_hoc_plan")
    html = client.get("/processes/21").get_data(as_text=True)
    assert "尚未接入" in html and "/processes/21/start" not in html
    resp = client.get("/processes/21/start")
    assert resp.status_code == 400 and "暂不能发起" in resp.get_data(as_text=True)
