"""/efficiency pages per role (leader, 效能监察, office; others 403), scope (another district's
instance, item, rule or 督办 → 404), the 督办 round trip through 我的待办 and the Excel exports."""

from __future__ import annotations

import io
from datetime import datetime

from openpyxl import load_workbook
from sqlalchemy import select

from models import Urge
from models.roles import Role
from tests.conftest import csrf_token
from tests.factories.clock import freeze
from tests.factories.efficiency import NOW, rule, work


def _post(client, url, data, page="/efficiency/"):
    return client.post(url, data={"csrf_token": csrf_token(client, page), **data})


def test_overview_roles_and_links(client, login, org, make_user, monkeypatch):
    freeze(monkeypatch, NOW)
    work(org.clerk_a, "甲区今日办结事项", datetime(2026, 12, 7, 1), done=datetime(2026, 12, 8, 1))
    monitor = make_user(org.district_a, Role.EFFICIENCY, name="效能监察员")
    for user in (org.leader_a, org.office_user, monitor):
        login(user)
        page = client.get("/efficiency/")
        assert page.status_code == 200, user.name
        html = page.get_data(as_text=True)
        assert "业务办理机关总览" in html and "甲区市场监督管理局" in html
        assert f"/efficiency/items?department={org.bureau_a.id}&amp;state=done" in html
    assert "业务功能分类总览" in client.get("/efficiency/?group=process").get_data(as_text=True)
    listed = client.get(f"/efficiency/items?department={org.bureau_a.id}&state=done&from=2026-12-08&to=2026-12-08")
    assert "甲区今日办结事项" in listed.get_data(as_text=True)
    for user in (org.clerk_a, org.inspector_a):
        login(user)
        assert client.get("/efficiency/").status_code == 403
        assert client.get("/efficiency/workload").status_code == 403
    login(org.leader_b)
    assert "甲区" not in client.get("/efficiency/").get_data(as_text=True)
    bad = client.get("/efficiency/?from=2026-12-08&to=2026-12-01")
    assert bad.status_code == 400 and "结束日期不能早于开始日期" in bad.get_data(as_text=True)


def test_urge_round_trip_and_scope(client, login, org, session, monkeypatch):
    freeze(monkeypatch, NOW)
    item = work(org.clerk_a, "甲区停滞事项", datetime(2026, 11, 2, 2))
    closed = work(org.clerk_a, "甲区已办结事项", datetime(2026, 11, 2, 2), done=datetime(2026, 11, 3, 2))
    own_rule = rule(org, 5)
    login(org.leader_b)  # another district: every URL of district A's work answers 404
    assert client.get(f"/efficiency/instances/{item.instance_id}").status_code == 404
    assert _post(client, f"/efficiency/items/{item.id}/urge", {"message": "x"}).status_code == 404
    assert client.get(f"/efficiency/rules/{own_rule.id}").status_code == 404
    login(org.office_user)
    detail = client.get(f"/efficiency/instances/{item.instance_id}").get_data(as_text=True)
    assert "全流程时序" in detail and "甲区停滞事项" in detail
    refused = _post(client, f"/efficiency/items/{closed.id}/urge", {"message": "请办理"})
    assert refused.status_code == 409 and "该业务已办结或已撤销，不能督办" in refused.get_data(as_text=True)
    assert _post(client, f"/efficiency/items/{item.id}/urge", {"message": ""}).status_code == 400
    assert _post(client, f"/efficiency/items/{item.id}/urge", {"message": "请本周办结"}).status_code == 302
    urge = session.execute(select(Urge)).scalar_one()
    assert "督办中" in client.get(f"/efficiency/instances/{item.instance_id}").get_data(as_text=True)
    login(org.leader_b)
    assert client.get(f"/efficiency/urges/{urge.id}").status_code == 404
    login(org.health_clerk)
    assert client.get(f"/efficiency/urges/{urge.id}").status_code == 404
    login(org.clerk_a)
    inbox = client.get("/inbox").get_data(as_text=True)
    assert "督办" in inbox and "甲区停滞事项" in inbox and "请本周办结" in inbox
    answered = _post(client, f"/efficiency/urges/{urge.id}", {"response": "明日办结", "version": urge.lock_version},
                     f"/efficiency/urges/{urge.id}")
    assert answered.status_code == 302
    again = _post(client, f"/efficiency/urges/{urge.id}", {"response": "再答"}, f"/efficiency/urges/{urge.id}")
    assert again.status_code == 409 and "该督办已回复" in again.get_data(as_text=True)
    assert 'id="urges-waiting"' not in client.get("/inbox").get_data(as_text=True)
    login(org.office_user)
    tracked = client.get("/efficiency/urges").get_data(as_text=True)
    assert "已回复" in tracked


def test_rules_pages_and_exports(client, login, org, monkeypatch):
    freeze(monkeypatch, NOW)
    work(org.clerk_a, "甲区超期事项", datetime(2026, 11, 2, 2))
    login(org.leader_a)
    assert "业务规则定义" not in client.get("/efficiency/rules").get_data(as_text=True)
    assert _post(client, "/efficiency/rules", {"name": "x", "working_days": "5"}).status_code == 403
    login(org.office_user)
    bad = _post(client, "/efficiency/rules", {"name": "五日", "working_days": "abc"})
    assert bad.status_code == 400 and "办理时限应为1至365个工作日" in bad.get_data(as_text=True)
    assert _post(client, "/efficiency/rules", {"name": "环节五日办结", "working_days": "5"}).status_code == 302
    page = client.get("/efficiency/rules").get_data(as_text=True)
    assert "环节五日办结" in page and "1 项超期" in page
    overdue = client.get("/efficiency/overdue").get_data(as_text=True)
    assert "甲区市场监督管理局" in overdue
    for view, sheet_text in (("overview", "业务办理总览"), ("overdue", "甲区市场监督管理局"), ("workload", "工作量")):
        resp = client.get(f"/efficiency/export.xlsx?view={view}")
        assert resp.status_code == 200 and "spreadsheetml" in resp.mimetype
        wb = load_workbook(io.BytesIO(resp.data), read_only=True)
        text = " ".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c)
        assert sheet_text in text or sheet_text in wb.sheetnames[0], view
    assert "业务效能评估" in client.get("/efficiency/workload?by=officer").get_data(as_text=True)
