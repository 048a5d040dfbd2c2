"""After the monitor: 表27's instance per clue, the webhooks (signed, retried with backoff against
a local server that times out, then marked failed and sent again), and the short messages
(templates, opt-out, per-entity rate limit)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from models import ProcessInstance, SandboxDelivery, SandboxSms, db
from models.sandbox import SandboxPartner
from services.sandbox import clues, jobs, monitor, queries, sms, webhooks
from tests.factories.clock import LATE_EVENING, freeze
from tests.factories.risk import TODAY


class _Hook(BaseHTTPRequestHandler):
    delay = 0.0
    status = 204
    seen: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self):  # noqa: N802 - the stdlib's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).seen.append((dict(self.headers), body))
        time.sleep(type(self).delay)
        try:
            self.send_response(type(self).status)
            self.end_headers()
        except OSError:
            pass

    def log_message(self, *args):
        pass


@pytest.fixture()
def endpoint(app):
    """A local webhook receiver (no network beyond 127.0.0.1, allowed by the allow-list)."""
    handler = type("Hook", (_Hook,), {"seen": [], "delay": 0.0, "status": 204})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["SANDBOX_WEBHOOK_ALLOWED_HOSTS"] = "127.0.0.1"
    yield handler, f"http://127.0.0.1:{server.server_port}/hook"
    app.config["SANDBOX_WEBHOOK_ALLOWED_HOSTS"] = ""
    server.shutdown()
    server.server_close()


def _formed(box, n=1, **fields):
    entities = box.triggered(n, **fields)
    box.item()
    monitor.evaluate(db.session, today=TODAY)
    clues.dispatch()
    return entities


def test_dispatch_runs_the_platform_steps_and_waits_for_the_partner(box, org):
    (target,) = _formed(box)
    clue = db.session.execute(select(clues.SandboxClue)).scalar_one()
    instance = db.session.get(ProcessInstance, clue.instance_id)
    assert instance.current_step == "tell" and instance.department_id == org.bureau_a.id
    steps = [(h.step_key, h.actor_name) for h in instance.history]
    assert steps[1:] == [("entities", org.clerk_a.name), ("items", org.clerk_a.name), ("monitor", "智慧监管平台"),
                         ("push", "智慧监管平台"), ("sms", "智慧监管平台")]
    assert clue.state == "已推送"
    assert [e.state for e in clue.events][:2] == ["生成", "已推送"]
    message = db.session.execute(select(SandboxSms)).scalar_one()
    assert (message.status, message.phone) == ("sent", target.phone)
    assert message.body == sms.TEMPLATES["预警"].format(name=target.name, item=clue.item.name)
    assert clues.dispatch() == 0  # started once


def test_opted_out_numbers_are_skipped_and_recorded(box):
    sms.opt_out("+86 139-0000-9999")
    _formed(box, phone="13900009999")
    message = db.session.execute(select(SandboxSms)).scalar_one()
    assert (message.status, message.reason) == ("skipped", "号码已退订")


def test_the_rate_limit_per_entity(box, app, monkeypatch):
    app.config["SANDBOX_SMS_DAILY_LIMIT"] = 1
    sent: list[str] = []

    class Recorder:
        def send(self, phone, text):
            sent.append(phone)

    monkeypatch.setattr(sms, "load_sender", lambda path=None: Recorder())
    (target,) = _formed(box)
    box.item("complaints", level="提示", name="第二个事项", count=1, days=10)
    monitor.evaluate(db.session, today=TODAY)
    clues.dispatch()
    rows = db.session.execute(select(SandboxSms).order_by(SandboxSms.id)).scalars().all()
    assert [r.status for r in rows] == ["sent", "skipped"]
    assert rows[1].reason == "超过发送频次（24小时内最多1条）"
    assert sent == [target.phone]
    # 24 hours later the entity may be messaged again.
    freeze(monkeypatch, LATE_EVENING + timedelta(hours=25))
    clue = db.session.get(clues.SandboxClue, rows[1].clue_id)
    assert sms.notify_entity(clue).status == "sent"


def test_a_failing_gateway_is_recorded(box, monkeypatch):
    class Broken:
        def send(self, phone, text):
            raise RuntimeError("网关不可用")

    monkeypatch.setattr(sms, "load_sender", lambda path=None: Broken())
    _formed(box)
    message = db.session.execute(select(SandboxSms)).scalar_one()
    assert (message.status, message.reason) == ("failed", "网关不可用")


def test_the_gateway_adapter_needs_its_address(session):
    with pytest.raises(ValueError):
        sms.GatewaySmsSender({"SANDBOX_SMS_GATEWAY_URL": ""})
    assert isinstance(sms.load_sender("services.sandbox.sms:LogSmsSender"), sms.LogSmsSender)


def _with_hook(box, org, url):
    partner, secret = queries.set_webhook(org.clerk_a, box.partner.id, url)
    db.session.flush()
    return partner, secret


def test_a_signed_webhook_is_delivered(box, org, endpoint):
    handler, url = endpoint
    _partner, secret = _with_hook(box, org, url)
    _formed(box)
    result = webhooks.deliver_due(clues.record)
    assert (result.delivered, result.retried, result.failed) == (1, 0, 0)
    headers, body = handler.seen[0]
    expected = hmac.new(secret.encode(), headers["X-Zhjg-Timestamp"].encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-Zhjg-Signature"] == f"sha256={expected}"
    assert json.loads(body)["clue"]["state"] == "已推送"
    delivery = db.session.execute(select(SandboxDelivery)).scalar_one()
    assert delivery.status == "delivered" and delivery.attempts == 1


def test_a_timing_out_webhook_is_retried_with_backoff_then_failed(box, org, endpoint, app, monkeypatch):
    handler, url = endpoint
    handler.delay = 0.5
    app.config.update(SANDBOX_WEBHOOK_TIMEOUT_SECONDS=0.1, SANDBOX_WEBHOOK_MAX_ATTEMPTS=3,
                      SANDBOX_WEBHOOK_BACKOFF_SECONDS=60)
    _with_hook(box, org, url)
    _formed(box)
    delivery = db.session.execute(select(SandboxDelivery)).scalar_one()
    assert webhooks.deliver_due(clues.record).retried == 1
    assert delivery.next_attempt_at == LATE_EVENING + timedelta(seconds=60)
    assert "timed out" in delivery.last_error
    assert webhooks.deliver_due(clues.record).retried == 0  # not yet due
    freeze(monkeypatch, LATE_EVENING + timedelta(seconds=61))
    assert webhooks.deliver_due(clues.record).retried == 1
    assert delivery.next_attempt_at == LATE_EVENING + timedelta(seconds=61 + 120)  # doubled
    freeze(monkeypatch, LATE_EVENING + timedelta(seconds=200))
    assert webhooks.deliver_due(clues.record).failed == 1
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert len(handler.seen) == 3
    assert [d.id for d in db.session.execute(webhooks.failures(org.clerk_a)).scalars()] == [delivery.id]
    assert db.session.execute(webhooks.failures(org.clerk_b)).scalars().all() == []
    # Sent again from the page: nothing lost.
    handler.delay = 0.0
    webhooks.retry(org.clerk_a, delivery)
    assert webhooks.deliver_due(clues.record).delivered == 1
    assert delivery.status == "delivered"


def test_an_error_status_is_a_failed_attempt(box, org, endpoint):
    handler, url = endpoint
    handler.status = 500
    _with_hook(box, org, url)
    _formed(box)
    assert webhooks.deliver_due(clues.record).retried == 1
    delivery = db.session.execute(select(SandboxDelivery)).scalar_one()
    assert delivery.last_error == "对方返回HTTP 500"


def test_a_cleared_webhook_is_not_pushed_and_other_districts_cannot_set_one(box, org):
    partner, _ = queries.set_webhook(org.clerk_a, box.partner.id, "")
    assert not partner.active
    with pytest.raises(Exception) as refused:
        queries.set_webhook(org.clerk_b, box.partner.id, "https://example.invalid/")
    assert "请选择本部门的第三方合作机构账号" in str(refused.value)
    _formed(box)
    assert db.session.execute(select(SandboxDelivery)).first() is None
    assert db.session.execute(select(SandboxPartner)).scalar_one().webhook_url == ""


def test_the_daily_call_monitors_dispatches_and_delivers(box, org):
    box.triggered()
    box.item()
    seen = []
    _with_hook(box, org, "http://partner.invalid/hook")
    result = jobs.daily(transport=lambda url, body, headers, timeout: seen.append(url) or 200)
    assert (result.monitor.opened, result.started, result.delivery.delivered) == (1, 1, 1)
    assert seen == ["http://partner.invalid/hook"]
    assert jobs.daily().monitor.skipped
