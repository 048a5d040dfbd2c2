"""/api/v1 refuses every bad input with a problem detail (RFC 9457, Chinese title), never a page
or a trace: missing, malformed, unknown, expired, revoked and wrong-scope tokens, an address
outside the allow-list, a body over 2 MB, malformed JSON, an unknown code or path, a reused
idempotency key, a burst past the rate limit."""

from __future__ import annotations

import json
from typing import Any as Api

from sqlalchemy import func, select

from models import AuditEvent, Permit, db
from persistence import audit_outbox
from services.api import tokens
from tests.factories.api import api_user, expire, issue_token
from tests.factories.directories import make_entity

PROBLEM = "application/problem+json"


def problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["type"] == f"urn:zhjg:api:problem:{slug}" and body["status"] == status
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["title"])  # a Chinese title
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def test_missing_malformed_and_unknown_tokens_are_401_with_a_bearer_challenge(api: Api, org, session):
    make_entity(org.clerk_a, 1)
    body = problem(api.get("/entities/X", token=None), 401, "token-missing")
    assert body["title"] == "缺少访问令牌"
    response = api.get("/entities/X", token="abc")
    problem(response, 401, "token-malformed")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    problem(api.get("/entities/X", headers={"Authorization": "Basic dXNlcjpwYXNz"}), 401, "token-malformed")
    problem(api.get("/entities/X", token="zhjg_" + "A" * 43), 401, "token-invalid")


def test_expired_and_revoked_tokens_are_refused(api: Api, org, court, session):
    token, credential = issue_token(org.sysadmin, court, ["entities:read"])
    expire(credential)
    problem(api.get("/entities/X", token=token), 401, "token-expired")
    token2, credential2 = issue_token(org.sysadmin, court, ["entities:read"])
    tokens.revoke(org.sysadmin, credential2.id)
    db.session.commit()
    problem(api.get("/entities/X", token=token2), 401, "token-revoked")


def test_a_disabled_account_or_a_lost_role_stops_its_tokens(api: Api, org, court, session):
    court.roles = []
    db.session.commit()
    problem(api.get("/entities/X"), 401, "token-revoked")


def test_a_token_without_the_scope_is_403(api: Api, org, court, session):
    token, _ = issue_token(org.sysadmin, court, ["published.items:read"])
    body = problem(api.get("/entities/X", token=token), 403, "scope")
    assert "entities:read" in body["detail"]
    problem(api.get("/published/plans", token=token), 403, "scope")
    assert api.get("/published/items", token=token).status_code == 200
    permits_only, _ = issue_token(org.sysadmin, court, ["facts.permit:write"])
    problem(api.post("/facts/penalty", token=permits_only, json={"records": [{}]}), 403, "scope")


def test_an_address_outside_the_allow_list_is_403(api: Api, org, court, session):
    token, _ = issue_token(org.sysadmin, court, ["entities:read"], ip_allow="10.1.2.0/24")
    problem(api.get("/entities/X", token=token), 403, "ip-not-allowed")
    allowed = api.get("/entities/X", token=token, environ_base={"REMOTE_ADDR": "10.1.2.7"})
    problem(allowed, 404, "entity-not-found")


def test_a_body_over_2_mb_is_413_and_writes_nothing(api: Api, org, session):
    big = json.dumps({"records": [{"x": "y" * 1000}] * 2100})
    assert len(big) > 2 * 1024 * 1024
    problem(api.post("/facts/permit", data=big, content_type="application/json"), 413, "body-too-large")
    assert db.session.execute(select(func.count()).select_from(Permit)).scalar_one() == 0


def test_malformed_json_and_a_wrong_content_type_are_refused(api: Api, session):
    problem(api.post("/facts/permit", data='{"records": [', content_type="application/json"), 400, "malformed-json")
    problem(api.post("/facts/permit", data="records=1", content_type="application/x-www-form-urlencoded"), 415,
            "unsupported-media-type")
    problem(api.post("/facts/permit", json={"rows": []}), 400, "invalid-request")
    problem(api.post("/facts/permit", json={"records": ["x"]}), 400, "invalid-request")


def test_unknown_codes_kinds_and_paths_are_404_problems(api: Api, org, session):
    body = problem(api.get("/entities/91510108MA6D00001X"), 404, "entity-not-found")
    assert "91510108MA6D00001X" in body["detail"]
    problem(api.post("/facts/unknown", json={"records": [{}]}, validate=False), 404, "not-found")
    problem(api.get("/nowhere", validate=False), 404, "not-found")
    problem(api.call("DELETE", "/entities/X", validate=False), 405, "method-not-allowed")


def test_another_districts_entity_is_not_found(api: Api, org, session):
    make_entity(org.clerk_b, 7, division_code="510109001000", uscc="", reg_no="510109000000007")
    db.session.commit()
    problem(api.get("/entities/510109000000007"), 404, "entity-not-found")


def test_the_same_idempotency_key_replays_and_another_body_is_422(api: Api, org, session):
    entity = make_entity(org.clerk_a, 1)
    records = {"records": [{"uscc": entity.uscc, "permit_no": "JY1", "name": "食品经营许可证"}]}
    key = {"Idempotency-Key": "batch-0001"}
    first = api.post("/facts/permit", json=records, headers=key)
    assert first.status_code == 200 and first.get_json()["counts"]["新增"] == 1
    again = api.post("/facts/permit", json=records, headers=key)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert db.session.execute(select(func.count()).select_from(Permit)).scalar_one() == 1
    records["records"][0]["name"] = "另一个许可证"
    problem(api.post("/facts/permit", json=records, headers=key), 422, "idempotency-key-reused")
    problem(api.post("/facts/permit", json=records, headers={"Idempotency-Key": "含中文"}), 400, "invalid-request")


def test_a_write_deletes_the_clients_expired_keys(api: Api, org, session):
    """Keys are kept a day: older ones of the client go with its next write, whatever their key."""
    from datetime import timedelta

    from models import ApiIdempotency, utcnow

    entity = make_entity(org.clerk_a, 1)
    for n in (1, 2):
        records = {"records": [{"uscc": entity.uscc, "permit_no": f"JY{n}", "name": "食品经营许可证"}]}
        assert api.post("/facts/permit", json=records, headers={"Idempotency-Key": f"k-{n}"}).status_code == 200
    session.execute(ApiIdempotency.__table__.update().where(ApiIdempotency.key == "k-1")
                    .values(created_at=utcnow() - timedelta(days=1, minutes=1)))
    session.commit()
    records = {"records": [{"uscc": entity.uscc, "permit_no": "JY3", "name": "食品经营许可证"}]}
    assert api.post("/facts/permit", json=records, headers={"Idempotency-Key": "k-3"}).status_code == 200
    keys = set(session.execute(select(ApiIdempotency.key)).scalars())
    assert keys == {"k-2", "k-3"}


def test_a_burst_is_429_for_that_client_while_another_is_unaffected(api: Api, org, court, make_user, session):
    token, credential = issue_token(org.sysadmin, court, ["entities:read"], rate_limit=5)
    other_user = api_user(make_user, org.health_a)
    other, _ = issue_token(org.sysadmin, other_user, ["entities:read"], rate_limit=5)
    statuses = [api.get("/entities/X", token=token).status_code for _ in range(8)]
    assert statuses[:5] == [404] * 5 and statuses[5:] == [429] * 3
    limited = api.get("/entities/X", token=token)
    body = problem(limited, 429, "rate-limited")
    assert "5" in body["detail"] and 1 <= int(limited.headers["Retry-After"]) <= 60
    assert api.get("/entities/X", token=other).status_code == 404


def test_every_identified_call_is_audited_with_the_entities_touched(api: Api, org, session):
    entity = make_entity(org.clerk_a, 1)
    before = db.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    assert api.get(f"/entities/{entity.uscc}").status_code == 200
    problem(api.get("/entities/NOPE"), 404, "entity-not-found")
    problem(api.get("/entities/X", token=None), 401, "token-missing")  # no client: no row
    # the rows wait in the audit outbox (no chain lock per call) until the next seal
    assert db.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == before
    assert audit_outbox.waiting() == 2
    audit_outbox.seal()
    assert audit_outbox.waiting() == 0
    rows = db.session.execute(select(AuditEvent).where(AuditEvent.action == "api_call")
                              .order_by(AuditEvent.id)).scalars().all()
    assert db.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == before + 2
    first = json.loads(rows[-2].summary)
    assert first["接口"] == "GET /api/v1/entities/{code}" and first["状态"] == 200 and first["主体"] == [entity.uscc]
    assert rows[-2].user_account == api_user_account(api, org) and json.loads(rows[-1].summary)["状态"] == 404


def api_user_account(api: Api, org) -> str:
    from models import ApiCredential

    return db.session.execute(select(ApiCredential).where(
        ApiCredential.token_hash == tokens.token_hash(api.token))).scalar_one().user.account


def test_no_session_cookie_and_no_csrf_token_needed(api: Api, org, session):
    entity = make_entity(org.clerk_a, 1)
    response = api.post("/facts/permit", json={"records": [{"uscc": entity.uscc, "permit_no": "A", "name": "许可"}]})
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_an_unexpected_failure_is_a_500_problem_without_a_trace(api: Api, org, session, monkeypatch):
    from services.api import entities as entity_resource

    def broken(call, codes):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(entity_resource, "find", broken)
    response = api.get("/entities/X", validate=False)
    body = problem(response, 500, "server-error")
    assert "secret internals" not in response.get_data(as_text=True) and "detail" not in body


def test_calls_with_an_expired_or_revoked_token_are_audited_under_its_client(api: Api, org, court, session):
    token, credential = issue_token(org.sysadmin, court, ["entities:read"])
    expire(credential)
    problem(api.get("/entities/X", token=token), 401, "token-expired")
    audit_outbox.seal()
    row = db.session.execute(select(AuditEvent).where(AuditEvent.action == "api_call")
                             .order_by(AuditEvent.id.desc())).scalars().first()
    assert row.object_id == str(credential.id) and row.user_account == court.account
    assert json.loads(row.summary)["状态"] == 401
