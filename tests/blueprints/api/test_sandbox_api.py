"""/api/v1/sandbox (services/api/sandbox.py): a 第三方合作机构 pulls its department's clues with a
cursor, reads one with its history, reports 告知 and 整改 (idempotent); every answer is checked
against the OpenAPI document.  Wrong scope 403, another district's clue 404, a plain interface
client (not a partner) 403."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import ProcessInstance, SandboxClue, db
from models.workflow import InstanceStatus
from services.sandbox import clues, monitor
from tests.blueprints.api.conftest import Api
from tests.factories.api import api_user, issue_token
from tests.factories.clock import freeze
from tests.factories.risk import TODAY
from tests.factories.sandbox import Sandbox


@pytest.fixture()
def box(org, make_user, monkeypatch):
    freeze(monkeypatch)
    found = Sandbox(org, make_user)
    found.triggered(3)
    found.item()
    monitor.evaluate(db.session, today=TODAY)
    clues.dispatch()
    db.session.commit()
    return found


@pytest.fixture()
def partner_api(client, spec, org, box):
    token, _ = issue_token(org.sysadmin, box.partner, ["sandbox:read", "sandbox:write"])
    return Api(client, spec, token)


def _ids():
    return [c.id for c in db.session.execute(select(SandboxClue).order_by(SandboxClue.id)).scalars()]


def test_the_partner_pulls_with_a_cursor(partner_api):
    first = partner_api.get("/sandbox/clues?limit=2")
    assert first.status_code == 200
    body = first.get_json()
    assert [c["id"] for c in body["items"]] == _ids()[:2] and body["has_more"]
    assert body["items"][0]["state"] == "已推送" and body["items"][0]["level"] == "预警"
    rest = partner_api.get(f"/sandbox/clues?cursor={body['next_cursor']}").get_json()
    assert [c["id"] for c in rest["items"]] == _ids()[2:] and not rest["has_more"]
    empty = partner_api.get(f"/sandbox/clues?cursor={rest['next_cursor']}").get_json()
    assert empty["items"] == [] and empty["next_cursor"] == rest["next_cursor"]
    assert partner_api.get("/sandbox/clues?state=已告知").get_json()["items"] == []
    assert partner_api.get("/sandbox/clues?state=坏").status_code == 400
    assert partner_api.get("/sandbox/clues?cursor=xyz").status_code == 400


def test_told_then_feedback_walks_the_process_idempotently(partner_api, box):
    clue_id = _ids()[0]
    one = partner_api.get(f"/sandbox/clues/{clue_id}").get_json()
    assert [h["state"] for h in one["history"]][:2] == ["生成", "已推送"]
    told = partner_api.post(f"/sandbox/clues/{clue_id}/told", json={"note": "已电话告知"})
    assert told.status_code == 200 and told.get_json()["changed"] and told.get_json()["clue"]["state"] == "已告知"
    again = partner_api.post(f"/sandbox/clues/{clue_id}/told", json={"note": "已电话告知"})
    assert again.status_code == 200 and not again.get_json()["changed"]
    not_yet = partner_api.post(f"/sandbox/clues/{clue_id}/feedback", json={"rectified": False, "note": "尚在整改"})
    assert not_yet.get_json()["clue"]["state"] == "未整改"
    headers = {"Idempotency-Key": "fb-1"}
    done = partner_api.post(f"/sandbox/clues/{clue_id}/feedback", json={"rectified": True, "note": "已下架问题商品"},
                            headers=headers)
    assert done.status_code == 200 and done.get_json()["clue"]["state"] == "已整改"
    replay = partner_api.post(f"/sandbox/clues/{clue_id}/feedback", json={"rectified": True, "note": "已下架问题商品"},
                              headers=headers)
    assert replay.headers.get("Idempotent-Replayed") == "true" and replay.get_json() == done.get_json()
    repeated = partner_api.post(f"/sandbox/clues/{clue_id}/feedback", json={"rectified": True, "note": "再次"})
    assert not repeated.get_json()["changed"]
    clue = db.session.get(SandboxClue, clue_id)
    instance = db.session.get(ProcessInstance, clue.instance_id)
    assert instance.status == InstanceStatus.COMPLETED
    partner_steps = [h.step_key for h in instance.history if h.actor_id == box.partner.id]
    assert partner_steps == ["tell", "rectify", "feedback_partner", "feedback_platform"]
    assert [e.state for e in clue.events][-3:] == ["已告知", "未整改", "已整改"]


def test_feedback_without_told_tells_first_and_bad_bodies_are_refused(partner_api):
    clue_id = _ids()[1]
    assert partner_api.post(f"/sandbox/clues/{clue_id}/feedback", json={"rectified": "yes"}).status_code == 400
    assert partner_api.post(f"/sandbox/clues/{clue_id}/feedback", json={"rectified": True}).status_code == 400
    assert partner_api.post(f"/sandbox/clues/{clue_id}/feedback", data="x",
                            headers={"Content-Type": "application/json"}).status_code == 400
    done = partner_api.post(f"/sandbox/clues/{clue_id}/feedback", json={"rectified": True, "note": "已整改完毕"})
    assert done.get_json()["clue"]["state"] == "已整改"
    states = [h["state"] for h in done.get_json()["clue"]["history"]]
    assert "已告知" in states


def test_wrong_scope_is_403(client, spec, org, box):
    token, _ = issue_token(org.sysadmin, box.partner, ["sandbox:read"])
    reader = Api(client, spec, token)
    assert reader.get("/sandbox/clues").status_code == 200
    refused = reader.post(f"/sandbox/clues/{_ids()[0]}/told", json={})
    assert refused.status_code == 403 and "sandbox:write" in refused.get_json()["detail"]
    token, _ = issue_token(org.sysadmin, box.partner, ["entities:read"])
    assert Api(client, spec, token).get("/sandbox/clues").status_code == 403


def test_another_district_and_a_non_partner_see_nothing(client, spec, org, box, make_user):
    token, _ = issue_token(org.sysadmin, box.partner_b, ["sandbox:read", "sandbox:write"])
    other = Api(client, spec, token)
    assert other.get("/sandbox/clues").get_json()["items"] == []
    assert other.get(f"/sandbox/clues/{_ids()[0]}").status_code == 404
    assert other.post(f"/sandbox/clues/{_ids()[0]}/told", json={}).status_code == 404
    assert other.get("/sandbox/clues/999999").status_code == 404
    plain = api_user(make_user, org.bureau_a)
    token, _ = issue_token(org.sysadmin, plain, ["sandbox:read"])
    refused = Api(client, spec, token).get("/sandbox/clues")
    assert refused.status_code == 403 and "第三方合作机构" in refused.get_json()["detail"]
