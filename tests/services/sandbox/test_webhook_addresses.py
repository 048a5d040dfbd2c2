"""The webhook address guard (SSRF): loopback, link-local, private and reserved addresses are
refused when the address is saved and again before each push, unless the host is allowed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from infrastructure import netguard
from infrastructure.errors import Invalid
from models import SandboxDelivery, SandboxPartner, db
from services.sandbox import clues, monitor, queries, webhooks
from tests.factories.risk import TODAY
from tests.factories.sandbox import fake_dns

PUBLIC = "93.184.216.34"


def _names(host, port):
    return {"localhost": ["127.0.0.1", "::1"], "mixed.example": [PUBLIC, "10.1.2.3"],
            "partner.example": [PUBLIC, "2606:2800:220:1:248:1893:25c8:1946"]}[host]


@pytest.mark.parametrize(("url", "reason"), [
    ("http://127.0.0.1:8080/hook", "回环地址"),
    ("http://localhost/hook", "回环地址"),
    ("http://[::1]/hook", "回环地址"),
    ("http://169.254.169.254/latest/meta-data", "链路本地地址"),
    ("http://10.0.0.5/hook", "内网地址"),
    ("https://192.168.1.20/hook", "内网地址"),
    ("http://[::ffff:192.168.1.1]/hook", "内网地址"),
    ("http://[fd00::1]/hook", "内网地址"),
    ("http://mixed.example/hook", "内网地址"),  # one inside answer among public ones
    ("http://0.0.0.0/hook", "保留地址"),
    ("http://100.64.0.1/hook", "保留地址"),
    ("http://240.0.0.1/hook", "保留地址"),
    ("http://224.0.0.1/hook", "保留地址"),
])
def test_inside_addresses_are_refused(url, reason):
    with pytest.raises(netguard.AddressRefused, match=f"接收地址不能指向{reason}"):
        netguard.check_url(url, resolver=_names)


def test_public_and_allowed_hosts_pass_and_unknown_names_are_refused():
    netguard.check_url("https://partner.example/hook", resolver=_names)
    netguard.check_url(f"http://{PUBLIC}:8443/hook", resolver=_names)
    netguard.check_url("http://LOCALHOST./hook", "intranet.local, localhost", resolver=_names)
    netguard.check_url("http://10.0.0.5/hook", ["10.0.0.5"], resolver=_names)

    def nowhere(host, port):
        raise OSError("Name or service not known")

    with pytest.raises(netguard.AddressRefused, match="无法解析接收地址的主机名 nowhere.example"):
        netguard.check_url("http://nowhere.example/", resolver=nowhere)
    with pytest.raises(netguard.AddressRefused, match="端口不正确"):
        netguard.check_url("http://partner.example:99999/", resolver=_names)


def test_the_form_refuses_an_inside_address_and_writes_nothing(box, org, app):
    with pytest.raises(Invalid, match="接收地址不能指向回环地址（127.0.0.1 对应 127.0.0.1）") as refused:
        queries.set_webhook(org.clerk_a, box.partner.id, "http://127.0.0.1:8080/hook")
    assert refused.value.field == "webhook_url"
    assert db.session.execute(select(SandboxPartner)).first() is None
    app.config["SANDBOX_WEBHOOK_ALLOWED_HOSTS"] = "127.0.0.1"
    try:
        partner, _ = queries.set_webhook(org.clerk_a, box.partner.id, "http://127.0.0.1:8080/hook")
    finally:
        app.config["SANDBOX_WEBHOOK_ALLOWED_HOSTS"] = ""
    assert partner.webhook_url == "http://127.0.0.1:8080/hook"


def test_a_name_that_resolves_inside_at_delivery_time_is_not_called(box, org, monkeypatch):
    names = fake_dns(monkeypatch, {"hooks.partner.example": [PUBLIC]})
    queries.set_webhook(org.clerk_a, box.partner.id, "https://hooks.partner.example/in")
    names["hooks.partner.example"] = ["10.0.0.7"]  # DNS rebinding after the check
    box.triggered()
    box.item()
    monitor.evaluate(db.session, today=TODAY)
    called = []
    clues.dispatch()
    result = webhooks.deliver_due(clues.record, transport=lambda url, body, headers, timeout: called.append(url) or 200)
    assert called == [] and (result.delivered, result.retried) == (0, 1)
    delivery = db.session.execute(select(SandboxDelivery)).scalar_one()
    assert "接收地址不能指向内网地址（hooks.partner.example 对应 10.0.0.7）" in delivery.last_error
