"""The /sandbox pages (blueprints/sandbox): the library (search, filter, list, removal with a
reason), the item editor (0 and negative refused in Chinese, 400), the clues with filters and a
clue's history, the failed pushes; another district's objects answer 404, other roles 403."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from models import SandboxClue, SandboxDelivery, SandboxEntity, SandboxItem, SandboxPartner, db
from services.sandbox import clues, monitor, queries
from tests.conftest import csrf_token
from tests.factories.clock import freeze
from tests.factories.risk import TODAY
from tests.factories.sandbox import Sandbox, fake_dns


@pytest.fixture()
def box(org, make_user, monkeypatch):
    freeze(monkeypatch)
    fake_dns(monkeypatch)
    return Sandbox(org, make_user)


def _post(client, url, data, page="/sandbox/", **kw):
    return client.post(url, data={"csrf_token": csrf_token(client, page), **data}, **kw)


def test_the_library_adds_by_search_filter_and_list_and_removes_with_a_reason(login, box, org):
    found, filtered, listed = box.entity(name="甲区沙盒检索餐饮"), box.entity(industry_code="F5211"), box.entity()
    db.session.commit()
    client = login(org.clerk_a)
    page = client.get("/sandbox/?q=沙盒检索").get_data(as_text=True)
    assert "甲区沙盒检索餐饮" in page
    resp = _post(client, "/sandbox/entities", {"entity_ids": [str(found.id)]})
    assert resp.status_code == 302
    resp = _post(client, "/sandbox/entities/filter", {"industry": "F52"}, follow_redirects=True)
    assert "加入1户" in resp.get_data(as_text=True)
    resp = _post(client, "/sandbox/entities/import", {"codes": "",
                                                      "file": (io.BytesIO(f"{listed.uscc}\nBADCODE\n".encode()), "l.csv")},
                 content_type="multipart/form-data", follow_redirects=True)
    text = resp.get_data(as_text=True)
    assert "加入1户" in text and "1个代码未找到（BADCODE）" in text
    members = {m.entity_id: m for m in db.session.execute(select(SandboxEntity)).scalars()}
    assert set(members) == {found.id, filtered.id, listed.id}
    assert {m.source for m in members.values()} == {"检索", "筛选", "导入"}
    refused = _post(client, f"/sandbox/entities/{members[found.id].id}/remove", {"reason": " "})
    assert refused.status_code == 400 and "请填写移出原因" in refused.get_data(as_text=True)
    resp = _post(client, f"/sandbox/entities/{members[found.id].id}/remove", {"reason": "信用修复完成"})
    assert resp.status_code == 302
    db.session.refresh(members[found.id])
    assert not members[found.id].active and members[found.id].removal_reason == "信用修复完成"
    assert "已移出（信用修复完成）" in client.get("/sandbox/").get_data(as_text=True)


def test_a_filter_needs_a_condition(login, org):
    client = login(org.clerk_a)
    resp = _post(client, "/sandbox/entities/filter", {})
    assert resp.status_code == 400 and "请至少填写一个筛选条件" in resp.get_data(as_text=True)


@pytest.mark.parametrize("count,days,message", [("0", "30", "投诉举报次数（次及以上）应大于0"),
                                                ("2", "-1", "期间（天）应大于0")])
def test_the_item_editor_refuses_zero_and_negative(login, org, count, days, message):
    client = login(org.clerk_a)
    resp = _post(client, "/sandbox/items/new", {"name": "投诉预警", "condition": "complaints", "level": "预警",
                                                "count": count, "days": days, "enabled": "1"}, page="/sandbox/items/new")
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert message in html and 'value="投诉预警"' in html
    assert db.session.execute(select(SandboxItem)).first() is None


def test_the_item_editor_creates_and_edits(login, org):
    client = login(org.clerk_a)
    resp = _post(client, "/sandbox/items/new", {"name": "许可到期提示", "condition": "permit_expiring", "level": "提示",
                                                "days": "15", "enabled": "1"}, page="/sandbox/items/new")
    assert resp.status_code == 302
    item = db.session.execute(select(SandboxItem)).scalar_one()
    assert (item.params, item.level, item.enabled) == ({"days": 15}, "提示", True)
    assert "行政许可将在15天内到期" in client.get("/sandbox/items").get_data(as_text=True)
    editor = client.get(f"/sandbox/items/{item.id}").get_data(as_text=True)
    assert 'id="days" name="days" inputmode="numeric" value="15"' in editor and 'value="提示" checked' in editor
    resp = _post(client, f"/sandbox/items/{item.id}", {"name": "许可到期提示", "condition": "permit_expiring",
                                                        "level": "预警", "days": "20", "version": "1"},
                 page=f"/sandbox/items/{item.id}")
    assert resp.status_code == 302
    db.session.refresh(item)
    assert (item.level, item.params, item.enabled, item.version) == ("预警", {"days": 20}, False, 2)
    stale = _post(client, f"/sandbox/items/{item.id}", {"name": "x", "condition": "abnormal", "level": "预警",
                                                         "version": "1"}, page=f"/sandbox/items/{item.id}")
    assert stale.status_code == 409


def _clue(box, org, url=""):
    box.triggered(2)
    box.item(name="投诉预警事项")
    if url:
        queries.set_webhook(org.clerk_a, box.partner.id, url)
    monitor.evaluate(db.session, today=TODAY)
    clues.dispatch()
    db.session.commit()
    return db.session.execute(select(SandboxClue).order_by(SandboxClue.id)).scalars().all()


def test_clues_list_filters_and_detail_with_history(login, box, org):
    first, second = _clue(box, org)
    client = login(org.leader_a)
    html = client.get("/sandbox/clues").get_data(as_text=True)
    assert first.entity.name in html and second.entity.name in html and "共 2 条" in html
    html = client.get(f"/sandbox/clues?q={first.entity.name}&level=预警&state=已推送").get_data(as_text=True)
    assert "共 1 条" in html
    assert "共 0 条" in client.get("/sandbox/clues?level=提示").get_data(as_text=True)
    assert "已忽略" in client.get("/sandbox/clues?since=bad").get_data(as_text=True)
    detail = client.get(f"/sandbox/clues/{first.id}").get_data(as_text=True)
    assert "处理历史" in detail and "形成预警线索：投诉预警事项" in detail and "已推送" in detail
    assert "短信已发送" in detail


def test_failed_pushes_are_listed_and_sent_again(login, box, org):
    (clue, _other) = _clue(box, org, "http://partner.invalid/hook")
    delivery = db.session.execute(select(SandboxDelivery).where(SandboxDelivery.clue_id == clue.id)).scalar_one()
    delivery.status, delivery.attempts, delivery.last_error = "failed", 6, "TimeoutError: timed out"
    db.session.commit()
    client = login(org.clerk_a)
    html = client.get("/sandbox/deliveries").get_data(as_text=True)
    assert "TimeoutError: timed out" in html and clue.entity.name in html
    resp = _post(client, f"/sandbox/deliveries/{delivery.id}/retry", {}, page="/sandbox/deliveries")
    assert resp.status_code == 302
    db.session.refresh(delivery)
    assert (delivery.status, delivery.attempts) == ("pending", 0)


def test_setting_a_webhook_shows_its_key_once(login, box, org):
    client = login(org.clerk_a)
    resp = _post(client, "/sandbox/partners", {"user_id": str(box.partner.id), "webhook_url": "https://p.example/h"},
                 page="/sandbox/deliveries")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "仅显示这一次" in html
    assert "仅显示这一次" not in client.get("/sandbox/deliveries").get_data(as_text=True)
    bad = _post(client, "/sandbox/partners", {"user_id": str(box.partner.id), "webhook_url": "ftp://x"},
                page="/sandbox/deliveries")
    assert bad.status_code == 400 and "接收地址应以" in bad.get_data(as_text=True)
    inside = _post(client, "/sandbox/partners", {"user_id": str(box.partner.id),
                                                 "webhook_url": "http://169.254.169.254/latest/meta-data"},
                   page="/sandbox/deliveries")
    assert inside.status_code == 400
    assert "接收地址不能指向链路本地地址（169.254.169.254 对应 169.254.169.254）" in inside.get_data(as_text=True)
    assert db.session.execute(select(SandboxPartner.webhook_url)).scalar_one() == "https://p.example/h"
    opt = _post(client, "/sandbox/opt-out", {"phone": "139-0000-1111"}, page="/sandbox/deliveries")
    assert opt.status_code == 302


def test_another_district_gets_404_and_other_roles_403(login, box, org):
    (clue, _other) = _clue(box, org)
    item = db.session.execute(select(SandboxItem)).scalar_one()
    member = db.session.execute(select(SandboxEntity)).scalars().first()
    client = login(org.clerk_b)
    for url in (f"/sandbox/clues/{clue.id}", f"/sandbox/items/{item.id}"):
        assert client.get(url).status_code == 404
    assert _post(client, f"/sandbox/entities/{member.id}/remove", {"reason": "x"}).status_code == 404
    listing = client.get("/sandbox/clues").get_data(as_text=True)
    assert clue.entity.name not in listing and "共 0 条" in listing
    assert clue.entity.name not in client.get("/sandbox/").get_data(as_text=True)
    client = login(org.inspector_a)
    assert client.get("/sandbox/clues").status_code == 403
    assert client.get(f"/sandbox/clues/{clue.id}").status_code == 403
