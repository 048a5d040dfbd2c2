"""/api/v1 court resources (表34): the 市法院 reads an entity's basic information and feeds back
its cases and delivery results; every answer validated against the served OpenAPI document."""

from __future__ import annotations

from typing import Any as Api

import pytest
from sqlalchemy import func, select

from models import CourtCase, CourtDelivery, CourtLookup, ProcessInstance, RiskWarning, db
from models.workflow import InstanceStatus
from services.api import tokens
from tests.factories.api import expire
from tests.factories.clock import freeze
from tests.factories.court import COURT_SCOPES, body, court_token
from tests.factories.directories import make_entity


@pytest.fixture(autouse=True)
def _frozen(monkeypatch):
    freeze(monkeypatch)  # today is 2026-11-04 in China


@pytest.fixture()
def court_api(api: Api, org, court) -> Api:
    api.token, api.credential = court_token(org, court)
    return api


def _count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_the_document_describes_the_court_resources(client, session):
    document = client.get("/api/v1/openapi.json").get_json()
    assert {"/court/entity", "/court/feedback"} <= set(document["paths"])
    assert "CourtFeedback" in document["components"]["schemas"]


def test_the_court_reads_the_fields_its_scopes_grant_and_the_call_is_recorded(court_api: Api, org, court, session):
    entity = make_entity(org.clerk_a, 3401, legal_rep="李四", domicile="成都市甲区一路1号",
                         business_address="成都市甲区二路2号", registered_capital="100")
    response = court_api.get("/court/entity", query_string={"code": entity.uscc.lower()})
    assert response.status_code == 200
    record = response.get_json()
    assert record["legal_rep"] == "李四" and record["domicile"] == "成都市甲区一路1号"
    assert "registered_capital" not in record
    lookup = db.session.execute(select(CourtLookup)).scalar_one()
    assert (lookup.entity_id, lookup.client_id) == (entity.id, court.id) and "法定代表人" in lookup.fields
    instance = db.session.get(ProcessInstance, lookup.instance_id)
    assert (instance.process_table, instance.current_step, instance.subject_id) == (34, "serve", entity.id)
    # identity only without the entities parts
    bare, _ = court_token(org, court, ["court:read"])
    record = court_api.get("/court/entity", query_string={"code": entity.uscc}, token=bare).get_json()
    assert set(record) == {"name", "uscc", "reg_no", "entity_type", "status"}
    assert _count(ProcessInstance) == 1  # the open instance is reused while the court serves


def test_feedback_records_the_case_the_delivery_and_the_process(court_api: Api, org, court, session):
    entity = make_entity(org.clerk_a, 3402)
    court_api.get("/court/entity", query_string={"code": entity.uscc})
    response = court_api.post("/court/feedback", json=body(entity), headers={"Idempotency-Key": "fb-1"})
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert answer["created"] and answer["case_status"] == "未送达" and answer["in_risk_library"]
    case = db.session.get(CourtCase, answer["case_id"])
    assert case.client_id == court.id and case.parties[0] == {"name": "张三", "role": "原告"}
    instance = db.session.execute(select(ProcessInstance)).scalar_one()
    assert instance.status == InstanceStatus.COMPLETED
    assert [h.step_key for h in instance.history if h.action == "next"] == ["fetch", "serve", "feedback"]
    warning = db.session.execute(select(RiskWarning)).scalar_one()
    assert warning.entity_id == entity.id and warning.evidence[0]["kind"] == "court_case"


def test_the_same_feedback_twice_creates_nothing_new(court_api: Api, org, session):
    entity = make_entity(org.clerk_a, 3403)
    first = court_api.post("/court/feedback", json=body(entity), headers={"Idempotency-Key": "same"})
    again = court_api.post("/court/feedback", json=body(entity), headers={"Idempotency-Key": "same"})
    assert again.headers["Idempotent-Replayed"] == "true" and again.get_json() == first.get_json()
    no_key = court_api.post("/court/feedback", json=body(entity))
    assert no_key.status_code == 200 and no_key.get_json()["created"] is False
    assert no_key.get_json()["delivery_id"] == first.get_json()["delivery_id"]
    assert (_count(CourtCase), _count(CourtDelivery), _count(ProcessInstance)) == (1, 1, 1)
    other = court_api.post("/court/feedback", json=body(entity, result="送达"), headers={"Idempotency-Key": "same"})
    assert other.status_code == 422


def test_a_later_service_closes_the_warning(court_api: Api, org, session):
    entity = make_entity(org.clerk_a, 3404)
    court_api.post("/court/feedback", json=body(entity, on="2026-11-01"))
    served = court_api.post("/court/feedback", json=body(entity, result="送达", on="2026-11-03")).get_json()
    assert served["case_status"] == "送达" and served["in_risk_library"] is False
    warning = db.session.execute(select(RiskWarning)).scalar_one()
    assert warning.status == "closed"
    assert _count(ProcessInstance) == 2  # each feedback is one pass of 表34


def test_unknown_entity_is_404_and_another_districts_too(court_api: Api, org, session):
    other = make_entity(org.clerk_b, 3405, division_code="510109001000")
    for code in ("91510108MA6D99999X", other.uscc):
        response = court_api.get("/court/entity", query_string={"code": code})
        assert response.status_code == 404
        assert response.get_json()["type"].endswith("entity-not-found")
    response = court_api.post("/court/feedback", json=body(other))
    assert response.status_code == 404
    assert (_count(CourtCase), _count(CourtLookup), _count(ProcessInstance)) == (0, 0, 0)


@pytest.mark.parametrize("change, field", [
    (lambda b: b["delivery"].update(result="已送达"), "delivery.result"),
    (lambda b: b["delivery"].update(date="2026-13-01"), "delivery.date"),
    (lambda b: b["delivery"].update(date="2026-11-05"), "delivery.date"),  # tomorrow in China
    (lambda b: b["case"].update(case_no=""), "case.case_no"),
    (lambda b: b["delivery"].pop("address"), "delivery.address"),
    (lambda b: b.pop("case"), "case"),
])
def test_malformed_feedback_is_400_with_the_field(court_api: Api, org, session, change, field):
    entity = make_entity(org.clerk_a, 3406)
    sent = body(entity)
    change(sent)
    response = court_api.post("/court/feedback", json=sent)
    assert response.status_code == 400
    problem = response.get_json()
    assert field in problem["errors"] and problem["title"] == "请求内容不符合要求"
    assert (_count(CourtCase), _count(CourtDelivery)) == (0, 0)


def test_broken_json_and_missing_code(court_api: Api, session):
    response = court_api.post("/court/feedback", data="{", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.get_json()["type"].endswith("malformed-json")
    assert court_api.get("/court/entity").status_code == 400


def test_a_token_without_the_court_scope_is_403(court_api: Api, org, court, session):
    entity = make_entity(org.clerk_a, 3407)
    reader, _ = court_token(org, court, ["court:read", "entities:read"])
    response = court_api.post("/court/feedback", json=body(entity), token=reader)
    assert response.status_code == 403 and "court:write" in response.get_json()["detail"]
    entities_only, _ = court_token(org, court, ["entities:read"])
    assert court_api.get("/court/entity", query_string={"code": entity.uscc}, token=entities_only).status_code == 403
    assert _count(CourtLookup) == 0


def test_expired_and_revoked_tokens_are_401(court_api: Api, org, court, session):
    entity = make_entity(org.clerk_a, 3408)
    expired_token, expired = court_token(org, court)
    expire(expired)
    response = court_api.post("/court/feedback", json=body(entity), token=expired_token)
    assert response.status_code == 401 and response.get_json()["type"].endswith("token-expired")
    revoked_token, revoked = court_token(org, court)
    tokens.revoke(org.sysadmin, revoked.id)
    db.session.commit()
    response = court_api.get("/court/entity", query_string={"code": entity.uscc}, token=revoked_token)
    assert response.status_code == 401 and response.get_json()["type"].endswith("token-revoked")
    assert (_count(CourtDelivery), _count(CourtLookup)) == (0, 0)


def test_the_court_scopes_are_offered_to_the_administrator(session):
    from services.api.scopes import catalogue

    offered = dict(catalogue())
    assert set(COURT_SCOPES) <= set(offered)
    assert offered["court:write"] == "企业送达信息共享（写入）"


def test_a_304_records_no_lookup_and_no_step_but_is_audited(court_api: Api, org, session):
    from models import AuditOutbox

    entity = make_entity(org.clerk_a, 3409)
    first = court_api.get("/court/entity", query_string={"code": entity.uscc})
    etag = first.headers["ETag"]
    same = court_api.get("/court/entity", query_string={"code": entity.uscc}, headers={"If-None-Match": etag},
                         validate=False)
    assert same.status_code == 304 and same.get_data() == b""
    assert _count(CourtLookup) == 1 and _count(ProcessInstance) == 1
    instance = db.session.execute(select(ProcessInstance)).scalar_one()
    assert [h.step_key for h in instance.history if h.action == "next"] == ["fetch"]  # 获取 once
    # after the feedback closed the pass, a 304 does not start another one
    assert court_api.post("/court/feedback", json=body(entity)).status_code == 200
    again = court_api.get("/court/entity", query_string={"code": entity.uscc}, headers={"If-None-Match": etag},
                          validate=False)
    assert again.status_code == 304
    assert _count(CourtLookup) == 1 and _count(ProcessInstance) == 1
    statuses = [row.summary for row in db.session.execute(
        select(AuditOutbox).where(AuditOutbox.action == "api_call").order_by(AuditOutbox.id)).scalars()]
    assert sum('"状态": 304' in s for s in statuses) == 2  # the calls stay in the API audit
    # a changed record is sent, recorded and starts the next pass
    entity.domicile = "成都市甲区新路9号"
    session.flush()
    changed = court_api.get("/court/entity", query_string={"code": entity.uscc}, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and _count(CourtLookup) == 2 and _count(ProcessInstance) == 2
