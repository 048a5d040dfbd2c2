"""/daily pages per role (clerk, leader, officer, 效能监察) and their scope checks."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from models.daily import DailyTask, SupervisedObject, TaskStatus
from models.roles import Role
from services.daily import claim, escalation, generate, officers
from tests.conftest import csrf_token
from tests.factories import daily as f


def _post(client, url, data, page="/daily/objects"):
    return client.post(url, data={"csrf_token": csrf_token(client, page), **data})


def test_clerk_claims_one_and_another_district_gets_404(client, login, org, session):
    e = f.entity(org, name="甲区认领测试餐饮店")
    foreign = f.entity(org, "b")
    login(org.clerk_a)
    assert _post(client, "/daily/objects/claim-one", {"query": e.uscc}).status_code == 302
    page = client.get("/daily/objects").get_data(as_text=True)
    assert "甲区认领测试餐饮店" in page and "认领" in page
    refused = _post(client, "/daily/objects/claim-one", {"query": foreign.uscc})
    assert refused.status_code == 400 and "不在本部门辖区内" in refused.get_data(as_text=True)
    obj = session.execute(select(SupervisedObject)).scalar_one()
    login(org.clerk_b)
    assert client.get("/daily/objects").status_code == 200
    assert "甲区认领测试餐饮店" not in client.get("/daily/objects").get_data(as_text=True)
    assert _post(client, f"/daily/objects/{obj.id}/remove", {"reason": "x"}).status_code == 404
    login(org.inspector_a)
    assert client.get("/daily/objects").status_code == 403


def test_batch_claim_and_dossier_shows_the_departments(client, login, org, session):
    a = f.entity(org, name="甲区批量一号餐饮店", business_scope="餐饮服务")
    b = f.entity(org, name="甲区批量二号餐饮店", business_scope="餐饮服务")
    login(org.clerk_a)
    listed = client.get("/daily/claim?scope=餐饮").get_data(as_text=True)
    assert "甲区批量一号餐饮店" in listed
    assert _post(client, "/daily/claim", {"ids": [a.id, b.id]}, "/daily/claim").status_code == 302
    assert _post(client, "/daily/claim", {}, "/daily/claim").status_code == 400
    dossier = client.get(f"/entities/{a.id}/dossier").get_data(as_text=True)
    assert "甲区市场监督管理局（认领" in dossier


def test_category_form_refuses_a_zero_cycle(client, login, org):
    login(org.clerk_a)
    bad = _post(client, "/daily/categories/new", {"name": "重点区域", "kind": "area", "cycle_days": "0"},
                "/daily/categories/new")
    assert bad.status_code == 400 and "监管周期（天）不能小于1" in bad.get_data(as_text=True)
    ok = _post(client, "/daily/categories/new", {"name": "重点区域", "kind": "area", "cycle_days": "30",
                                                  "keywords": "东大街", "form": "结论|选择项|合格,不合格"},
               "/daily/categories/new")
    assert ok.status_code == 302
    assert "重点区域" in client.get("/daily/categories").get_data(as_text=True)


def test_manual_task_from_clerk_to_leader_to_officer(client, login, org, session):
    e = f.entity(org)
    login(org.clerk_a)
    made = _post(client, "/daily/tasks/new", {
        "title": "节前检查", "level": "紧急", "period_start": "2026-11-02", "period_end": "2026-11-30",
        "items": "食品安全", "entity": e.uscc, "officer_id": org.inspector_a.id}, "/daily/tasks/new")
    assert made.status_code == 302
    task = session.execute(select(DailyTask)).scalar_one()
    login(org.leader_a)
    assert "审批监管任务" in client.get("/inbox").get_data(as_text=True)
    assert _post(client, f"/daily/tasks/{task.id}/approve", {"decision": "reject"}).status_code == 400
    assert _post(client, f"/daily/tasks/{task.id}/approve", {"decision": "approve"}).status_code == 302
    login(org.inspector_a)
    assert "认领监管任务" in client.get("/inbox").get_data(as_text=True)
    assert _post(client, f"/daily/tasks/{task.id}/return", {"reason": ""}).status_code == 400
    assert _post(client, f"/daily/tasks/{task.id}/claim", {}).status_code == 302
    done = _post(client, f"/daily/tasks/{task.id}/result", {"f0": "未发现问题", "f1": "无"})
    assert done.status_code == 302
    session.refresh(task)
    assert task.status is TaskStatus.DONE
    login(org.leader_b)
    assert client.get(f"/daily/tasks/{task.id}").status_code == 404


def test_warnings_for_the_leader_and_efficiency(client, login, org, session, make_user):
    monitor = make_user(org.district_a, Role.EFFICIENCY, name="效能监察员")
    monitor_b = make_user(org.district_b, Role.EFFICIENCY, name="乙区效能监察")
    e = f.entity(org, name="甲区警示餐饮店")
    claim(session, org.bureau_a.id, [e.id], "claim", org.clerk_a)
    obj = session.execute(select(SupervisedObject)).scalar_one()
    officers.assign(org.clerk_a, [obj], org.inspector_a.id)
    cat = f.category(org.bureau_a, starts_on=date(2026, 9, 30), ladder=(1, 2, 3))
    from services.daily import categories

    categories.classify(session, cat)
    generate.generate(session, date(2026, 9, 28))
    escalation.escalate(session, date(2026, 10, 12))
    session.commit()
    task = session.execute(select(DailyTask)).scalar_one()
    for user in (org.leader_a, monitor):
        login(user)
        assert "甲区警示餐饮店" in client.get("/daily/warnings").get_data(as_text=True)
        assert client.get(f"/daily/tasks/{task.id}").status_code == 200
    login(monitor_b)
    assert "甲区警示餐饮店" not in client.get("/daily/warnings").get_data(as_text=True)
    assert client.get(f"/daily/tasks/{task.id}").status_code == 404
    login(org.inspector_a)
    inbox = client.get("/inbox").get_data(as_text=True)
    assert "已超截止时间" in inbox
    assert client.get("/daily/warnings").status_code == 403
