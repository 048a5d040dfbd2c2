"""一公开 without signing in: the public list, an item's versions, the JSON and CSV feed."""

from __future__ import annotations

import csv
import io
import json

from models import CheckItem, ItemKind, ItemStatus
from services import entities
from services import items as svc
from services import publication as pub
from tests.factories.items import FOOD, general

INTERNAL = ("信用风险", "内部备注", "抽查比例上限", "风险等级", "E级")


def _joint(org, session):
    """What the joint-items chapter publishes: the same subject type, 清单类型 部门联合."""
    item = CheckItem(kind=ItemKind.JOINT, status=ItemStatus.PUBLISHED, department_id=org.bureau_a.id,
                     name="餐饮单位联合检查", domain="")
    session.add(item)
    session.flush()
    pub.publish("check_item", item.id, title=item.name, department_id=org.bureau_a.id,
                payload={"清单类型": "部门联合", "联合抽查事项": item.name, "参与部门": "甲区卫生健康局"})
    return item


def _no_internal(text):
    for marker in INTERNAL:
        assert marker not in text, marker


def test_public_list_without_sign_in(client, org, session):
    entities.create_entity(
        org.clerk_a,
        {"name": "甲区公开测试餐饮有限公司", "uscc": "91510108MA6CX0001W", "entity_type": "enterprise",
         "division_code": "510108001000", "status": "active", "credit_grade": "E"},
    )
    svc.create_item(org.clerk_a, FOOD)
    ad = svc.create_item(org.clerk_b, general())
    gone = svc.create_item(org.clerk_a, general(name="已删除事项"))
    svc.delete_item(org.clerk_a, gone, version=1)
    joint = _joint(org, session)
    session.commit()
    resp = client.get("/public/items")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert FOOD["name"] in html and "广告发布者检查" in html and "餐饮单位联合检查" in html
    assert "已删除事项" not in html and "甲区公开测试餐饮" not in html
    assert "单部门" in html and "部门联合" in html and "第1版" in html
    _no_internal(html)
    html = client.get("/public/items?list_type=部门联合").get_data(as_text=True)
    assert "餐饮单位联合检查" in html and FOOD["name"] not in html
    html = client.get(f"/public/items?department_id={org.bureau_b.id}").get_data(as_text=True)
    assert "广告发布者检查" in html and FOOD["name"] not in html
    html = client.get("/public/items?domain=食品安全&list_type=单部门").get_data(as_text=True)
    assert FOOD["name"] in html and "广告发布者检查" not in html
    assert client.get(f"/public/items/{joint.id}").status_code == 200
    assert ad.version == 1


def test_public_item_page_shows_versions_and_withdrawal(client, org, session):
    item = svc.create_item(org.clerk_a, FOOD)
    svc.edit_item(org.clerk_a, item, FOOD | {"objects": "食品经营者"}, version=1)
    session.commit()
    html = client.get(f"/public/items/{item.id}").get_data(as_text=True)
    assert "第2版" in html and "第1版" in html and "食品经营者" in html and "食品生产经营者" in html
    assert "甲区市场监督管理局" in html
    _no_internal(html)
    svc.delete_item(org.clerk_a, item, version=2)
    session.commit()
    html = client.get(f"/public/items/{item.id}").get_data(as_text=True)
    assert "撤下" in html and "第3版" in html
    assert FOOD["name"] not in client.get("/public/items").get_data(as_text=True)
    assert client.get("/public/items/999999").status_code == 404


def test_draft_items_are_never_public(client, org, session):
    draft = CheckItem(kind=ItemKind.SINGLE, status=ItemStatus.DRAFT, department_id=org.bureau_a.id, name="草稿事项")
    session.add(draft)
    session.commit()
    assert client.get(f"/public/items/{draft.id}").status_code == 404
    assert "草稿事项" not in client.get("/public/items").get_data(as_text=True)


def test_json_feed_with_cursor(client, org, session):
    a = svc.create_item(org.clerk_a, FOOD)
    b = svc.create_item(org.clerk_a, general())
    svc.delete_item(org.clerk_a, a, version=1)
    session.commit()
    resp = client.get("/public/items.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    body = resp.get_json()
    records = body["records"]
    assert [(r["subject_id"], r["version"], r["action"]) for r in records] == [
        (a.id, 1, "公布"), (b.id, 1, "公布"), (a.id, 2, "撤下")
    ]
    first = records[0]
    assert set(first) >= {"id", "subject_id", "version", "action", "department", "published_at", "payload"}
    assert first["department"] == "甲区市场监督管理局" and first["published_at"].endswith("+08:00")
    assert list(first["payload"])[0] == "清单类型" and first["payload"]["清单类型"] == "单部门"
    assert body["has_more"] is False
    page = client.get("/public/items.json?limit=2").get_json()
    assert page["count"] == 2 and page["has_more"] and page["next_after_id"] == records[1]["id"]
    rest = client.get(f"/public/items.json?after_id={page['next_after_id']}").get_json()
    assert [r["action"] for r in rest["records"]] == ["撤下"] and rest["has_more"] is False
    empty = client.get(f"/public/items.json?after_id={records[-1]['id']}").get_json()
    assert empty["records"] == [] and empty["next_after_id"] == records[-1]["id"]
    assert client.get("/public/items.json?after_id=abc&limit=-3").status_code == 200
    _no_internal(resp.get_data(as_text=True))
    for record in records:
        assert not {"信用风险分类", "信用风险等级", "credit_grade"} & set(record["payload"])


def test_csv_feed_has_a_bom(client, org, session):
    item = svc.create_item(org.clerk_a, FOOD | {"name": "=HYPERLINK(1)"})
    session.commit()
    resp = client.get("/public/items.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["记录编号", "事项编号", "版本", "操作"]
    assert rows[1][1] == str(item.id) and rows[1][3] == "公布" and rows[1][6] == "'=HYPERLINK(1)"
    assert json.loads(rows[1][8])["清单类型"] == "单部门"
    _no_internal(resp.data.decode("utf-8-sig"))


def test_login_page_links_to_the_public_list(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'href="/public/items"' in html


def test_a_section_is_named_with_its_bureau(client, org, session):
    svc.create_item(org.section_clerk_a, FOOD)
    session.commit()
    assert "甲区市场监督管理局甲区信用监督管理科" in client.get("/public/items").get_data(as_text=True)
    record = client.get("/public/items.json").get_json()["records"][0]
    assert record["department"] == "甲区市场监督管理局甲区信用监督管理科"
