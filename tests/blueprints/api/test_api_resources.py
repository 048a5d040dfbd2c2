"""/api/v1 resources: entities (fields per scope), facts intake (per-record results through the
collection service's ingest), the published feeds (cursor, ETag); every answer validated
against the OpenAPI document."""

from __future__ import annotations

from decimal import Decimal
from typing import Any as Api

from sqlalchemy import select

from models import FactSource, Penalty, Permit, db
from services import publication as pub
from tests.factories.api import issue_token
from tests.factories.directories import make_entity, uscc


def test_the_openapi_document_is_served_and_valid(client, session):
    from openapi_spec_validator import validate

    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert {"/entities/{code}", "/entities", "/facts/{kind}", "/published/items"} <= set(document["paths"])
    assert client.get("/api/v1/openapi.json", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_an_entity_with_only_the_fields_the_scopes_grant(api: Api, org, court, session):
    entity = make_entity(org.clerk_a, 1, legal_rep="张三", domicile="成都市甲区一路1号",
                         business_address="成都市甲区二路2号", registered_capital="100")
    entity.credit_grade = "E"
    db.session.commit()
    basic, _ = issue_token(org.sysadmin, court, ["entities:read"])
    body = api.get(f"/entities/{entity.uscc.lower()}", token=basic).get_json()
    assert body == {"name": entity.name, "uscc": entity.uscc, "reg_no": None, "entity_type": "企业", "status": "存续"}
    court_scopes, _ = issue_token(org.sysadmin, court, ["entities:read", "entities.address:read",
                                                       "entities.legal_rep:read"])
    body = api.get(f"/entities/{entity.uscc}", token=court_scopes).get_json()
    assert body["legal_rep"] == "张三" and body["domicile"] == "成都市甲区一路1号"
    assert body["business_address"] == "成都市甲区二路2号" and "registered_capital" not in body
    full = api.get(f"/entities/{entity.uscc}").get_json()
    assert full["registered_capital"] == "100" and "credit_grade" not in full and "E" not in full.values()


def test_parts_without_the_base_scope_give_nothing(api: Api, org, court, session):
    only_address, _ = issue_token(org.sysadmin, court, ["entities.address:read"])
    assert api.get("/entities/X", token=only_address).status_code == 403


def test_entities_by_a_list_of_codes(api: Api, org, session):
    a, b = make_entity(org.clerk_a, 1), make_entity(org.clerk_a, 2)
    response = api.get("/entities", query_string={"codes": f"{a.uscc},{b.uscc.lower()}, NOPE ,{a.uscc}"})
    body = response.get_json()
    assert [e["uscc"] for e in body["items"]] == [a.uscc, b.uscc] and body["not_found"] == ["NOPE"]
    assert api.get("/entities", query_string={"codes": ",".join(str(i) for i in range(101))}).status_code == 400
    assert api.get("/entities").status_code == 400


def test_a_batch_of_facts_has_a_result_per_record(api: Api, org, session):
    entity = make_entity(org.clerk_a, 1)
    records = [
        {"uscc": entity.uscc, "permit_no": "JY1", "name": "食品经营许可证", "valid_from": "2026-01-05"},
        {"uscc": uscc("91510108MA6D99999"), "permit_no": "JY2", "name": "食品经营许可证"},
        {"uscc": entity.uscc, "permit_no": "JY3", "name": "许可", "valid_from": "2026-02-01", "valid_to": "2025-01-01"},
        {"统一社会信用代码": entity.uscc, "许可证编号": "JY4", "许可证名称": "卫生许可证"},
    ]
    response = api.post("/facts/permit", json={"records": records})
    assert response.status_code == 200
    body = response.get_json()
    assert body["kind"] == "permit" and body["counts"]["新增"] == 2 and body["counts"]["待处理"] == 1
    first, unmatched, wrong, titled = body["results"]
    assert first["status"] == "matched" and first["outcome"] == "新增" and first["entity_code"] == entity.uscc
    assert unmatched["status"] == "pending" and unmatched["reason"] == "未匹配"
    assert wrong["status"] == "error" and "valid_to" in wrong["errors"]
    assert titled["status"] == "matched"
    permit = db.session.get(Permit, first["fact_id"])
    assert permit.source_kind == FactSource.EXCHANGE and permit.source_department_id == org.health_a.id
    assert permit.created_by_id is None
    again = api.post("/facts/permit", json={"records": records[:1]}).get_json()
    assert again["results"][0]["outcome"] == "无变化"


def test_facts_of_a_kind_the_scope_names(api: Api, org, court, session):
    entity = make_entity(org.clerk_a, 1)
    token, _ = issue_token(org.sysadmin, court, ["facts.penalty:write"])
    record = {"uscc": entity.uscc, "decision_no": "成甲市监罚〔2026〕1号", "decided_on": "2026-03-01",
              "amount": "5万元"}
    body = api.post("/facts/penalty", token=token, json={"records": [record]}).get_json()
    assert body["counts"]["新增"] == 1
    penalty = db.session.execute(select(Penalty)).scalar_one()
    assert penalty.amount == Decimal("50000")


def test_a_batch_over_1000_records_is_refused(api: Api, session):
    response = api.post("/facts/permit", json={"records": [{"permit_no": str(i)} for i in range(1001)]})
    assert response.status_code == 400 and "1000" in response.get_json()["detail"]


def _publish(org, n: int, subject: str = "check_item") -> list:
    return [pub.publish(subject, 1000 + i, title=f"事项{i}", department_id=org.bureau_a.id,
                        payload={"清单类型": "单部门", "事项名称": f"事项{i}"}) for i in range(n)]


def test_published_feeds_page_by_cursor_and_answer_304_when_nothing_is_new(api: Api, org, session):
    rows = _publish(org, 3)
    _publish(org, 1, "plan")
    db.session.commit()
    first = api.get("/published/items", query_string={"limit": 2})
    body = first.get_json()
    assert [r["id"] for r in body["items"]] == [rows[0].id, rows[1].id] and body["has_more"] is True
    assert body["items"][0]["payload"]["事项名称"] == "事项0" and body["items"][0]["action"] == "公布"
    rest = api.get("/published/items", query_string={"limit": 2, "cursor": body["next_cursor"]}).get_json()
    assert [r["id"] for r in rest["items"]] == [rows[2].id] and rest["has_more"] is False
    tail = api.get("/published/items", query_string={"cursor": rest["next_cursor"]})
    assert tail.get_json()["items"] == [] and tail.get_json()["next_cursor"] == rest["next_cursor"]
    etag = tail.headers["ETag"]
    unchanged = api.get("/published/items", query_string={"cursor": rest["next_cursor"]},
                        headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.get_data() == b""
    _publish(org, 1)
    db.session.commit()
    changed = api.get("/published/items", query_string={"cursor": rest["next_cursor"]},
                      headers={"If-None-Match": etag})
    assert changed.status_code == 200 and len(changed.get_json()["items"]) == 1
    plans = api.get("/published/plans").get_json()
    assert [r["subject_type"] for r in plans["items"]] == ["plan"]
    assert api.get("/published/results").get_json()["items"] == []


def test_a_bad_cursor_or_limit_is_400(api: Api, session):
    assert api.get("/published/items", query_string={"cursor": "!!!"}).status_code == 400
    assert api.get("/published/items", query_string={"cursor": "eyJhIjogLTF9"}).status_code == 400
    assert api.get("/published/items", query_string={"limit": "0"}).status_code == 400
    assert api.get("/published/items", query_string={"limit": "501"}).status_code == 400


def test_every_tested_answer_was_validated(api: Api, org, session):
    entity = make_entity(org.clerk_a, 1)
    api.get(f"/entities/{entity.uscc}")
    api.get("/entities/NOPE")
    api.post("/facts/permit", json={"records": [{"uscc": entity.uscc, "permit_no": "A", "name": "许可"}]})
    assert api.validated == 3
