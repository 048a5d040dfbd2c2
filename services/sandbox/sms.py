"""发送短信到市场主体 (表27): a pluggable sender with templates, a per-entity rate limit and the
opt-out list (docs/sandbox.md, "Short messages").

``SANDBOX_SMS_SENDER`` names the sender class (``module:Class``), built with the app's config;
its ``send(phone, text)`` raises on failure.  ``LogSmsSender`` (the default) writes the message
to the log; ``GatewaySmsSender`` posts it to an HTTP gateway (``SANDBOX_SMS_GATEWAY_URL``).
Every message is a ``SandboxSms`` row: sent, failed (with the error), or skipped — a number that
opted out (``SmsOptOut``), an entity already messaged ``SANDBOX_SMS_DAILY_LIMIT`` times in the last
24 hours, or no mobile number.  A skipped message is recorded, never sent.
"""

from __future__ import annotations

import importlib
import json
import logging
import re
import urllib.request
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Protocol

from flask import current_app
from sqlalchemy import func, select

from infrastructure.config import default as config_default
from infrastructure.errors import Invalid
from infrastructure.validators import normalize_mobile
from models import SandboxClue, SandboxClueEvent, SandboxSms, SmsOptOut, db, utcnow

log = logging.getLogger("zhjg.sandbox.sms")
MOBILE = re.compile(r"^1[3-9]\d{9}$")

TEMPLATES = {
    "提示": "【智慧监管平台】{name}：平台监测到贵单位存在“{item}”情形，已形成提示线索，请及时核实并整改。",
    "预警": "【智慧监管平台】{name}：平台监测到贵单位存在“{item}”情形，已形成预警线索，请尽快整改并向第三方合作机构反馈整改情况。",
}


class SmsSender(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class LogSmsSender:
    """Writes each message to the log (``zhjg.sandbox.sms``): the default."""

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        self.config = config or {}

    def send(self, phone: str, text: str) -> None:
        log.info("[sms] to %s: %s", phone, text)


class GatewaySmsSender:
    """An SMS gateway reached over HTTP: POST {"phone", "text"} as JSON to
    ``SANDBOX_SMS_GATEWAY_URL``; any answer but 2xx is a failure."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.url = str(config.get("SANDBOX_SMS_GATEWAY_URL") or "")
        self.timeout = float(config.get("SANDBOX_WEBHOOK_TIMEOUT_SECONDS") or 5)
        if not self.url:
            raise ValueError("SANDBOX_SMS_GATEWAY_URL 未配置")

    def send(self, phone: str, text: str) -> None:
        body = json.dumps({"phone": phone, "text": text}, ensure_ascii=False).encode()
        request = urllib.request.Request(self.url, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310 - configured URL
            if not 200 <= answer.status < 300:
                raise RuntimeError(f"短信网关返回 {answer.status}")


def load_sender(path: str | None = None) -> SmsSender:
    path = path or current_app.config.get("SANDBOX_SMS_SENDER") or config_default("SANDBOX_SMS_SENDER")
    module_name, _, attr = path.partition(":") if ":" in path else path.rpartition(".")
    cls = getattr(importlib.import_module(module_name), attr)
    return cls(current_app.config)  # type: ignore[no-any-return]


def render(clue: SandboxClue) -> str:
    return TEMPLATES[clue.level].format(name=clue.entity.name, item=clue.item.name)


def _limit() -> int:
    return int(current_app.config.get("SANDBOX_SMS_DAILY_LIMIT") or config_default("SANDBOX_SMS_DAILY_LIMIT"))


def _skip_reason(entity_id: int, phone: str) -> str:
    if not MOBILE.match(phone):
        return "无有效手机号码"
    if db.session.execute(select(SmsOptOut.id).where(SmsOptOut.phone == phone)).first() is not None:
        return "号码已退订"
    sent = db.session.execute(
        select(func.count(SandboxSms.id)).where(SandboxSms.entity_id == entity_id, SandboxSms.status == "sent",
                                                 SandboxSms.at > utcnow() - timedelta(hours=24))).scalar_one()
    if sent >= _limit():
        return f"超过发送频次（24小时内最多{_limit()}条）"
    return ""


def notify_entity(clue: SandboxClue, sender: SmsSender | None = None) -> SandboxSms:
    """Send (or skip) the clue's message to its entity; recorded either way."""
    phone = normalize_mobile(clue.entity.phone or "")
    text = render(clue)
    reason = _skip_reason(clue.entity_id, phone)
    status = "skipped" if reason else "sent"
    if not reason:
        try:
            (sender or load_sender()).send(phone, text)
        except Exception as exc:  # noqa: BLE001 - any failure of the gateway is recorded
            status, reason = "failed", str(exc)[:100] or type(exc).__name__
    row = SandboxSms(clue_id=clue.id, entity_id=clue.entity_id, phone=phone[:20], body=text, status=status,
                     reason=reason, at=utcnow())
    db.session.add(row)
    label = {"sent": "短信已发送", "skipped": "短信未发送", "failed": "短信发送失败"}[status]
    db.session.add(SandboxClueEvent(clue_id=clue.id, state=clue.state, at=utcnow(),
                                    note=f"{label}{'：' + reason if reason else ''}"))
    db.session.flush()
    return row


def opt_out(phone: str, note: str = "") -> SmsOptOut:
    number = normalize_mobile(phone or "")
    if not MOBILE.match(number):
        raise Invalid("请填写正确的手机号码", field="phone")
    row = db.session.execute(select(SmsOptOut).where(SmsOptOut.phone == number)).scalar_one_or_none()
    if row is None:
        row = SmsOptOut(phone=number, note=(note or "")[:200])
        db.session.add(row)
        db.session.flush()
    return row
