"""推送信息 (表27) to the 第三方合作机构 that asked for webhooks (docs/sandbox.md, "Webhooks").

Each clue pushed gets one ``SandboxDelivery`` per active partner of its department with a
webhook address.  ``deliver_due`` (the ``sandbox_deliver`` job and ``flask sandbox deliver``, run
every minute by cron) POSTs each due delivery: the clue as JSON, signed with the partner's key —
``X-Zhjg-Timestamp: <unix seconds>`` and ``X-Zhjg-Signature: sha256=<hex HMAC-SHA256 of
"<timestamp>.<body>">``.  A 2xx answer delivers it; anything else (an error status, a refused
connection, a timeout) is a failed attempt, retried after ``SANDBOX_WEBHOOK_BACKOFF_SECONDS``
doubled after each failure; after ``SANDBOX_WEBHOOK_MAX_ATTEMPTS`` the delivery is marked failed
and listed on the 推送失败 page, where it can be sent again.  Nothing is lost: a partner also
pulls every clue from GET /api/v1/sandbox/clues.

An address must not lead inside (SSRF): loopback, link-local, private and reserved addresses
are refused when the address is saved (``check_address``) and again before each attempt (a
refused attempt counts as a failed one), unless the host is on ``SANDBOX_WEBHOOK_ALLOWED_HOSTS``
(infrastructure/netguard.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from infrastructure import netguard
from infrastructure.config import default as config_default
from infrastructure.errors import Conflict, Forbidden, Invalid
from models import SandboxClue, SandboxClueEvent, SandboxDelivery, SandboxPartner, User, db, utcnow
from persistence import audit

Transport = Callable[[str, bytes, dict[str, str], float], int]


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def urllib_transport(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST with urllib; the status of the answer (an error status is returned, not raised)."""
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 - the partner's address
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def _setting(key: str) -> Any:
    value = current_app.config.get(key)
    return config_default(key) if value in (None, "") else value


# The resolver of the address checks (tests replace it: no DNS in the suite).
resolve_host: netguard.Resolver = netguard.resolve


def address_refusal(url: str) -> str:
    """Why a push to ``url`` is refused (SSRF guard, infrastructure/netguard.py), or ""."""
    try:
        netguard.check_url(url, netguard.parse_hosts(_setting("SANDBOX_WEBHOOK_ALLOWED_HOSTS")), resolve_host)
    except netguard.AddressRefused as exc:
        return exc.message
    return ""


def check_address(url: str) -> None:
    """The form's check of a webhook address: Invalid with the reason."""
    reason = address_refusal(url)
    if reason:
        raise Invalid(reason, field="webhook_url")


@dataclass
class DeliveryResult:
    delivered: int = 0
    retried: int = 0
    failed: int = 0

    def summary(self) -> str:
        return f"推送成功{self.delivered}条，待重试{self.retried}条，失败{self.failed}条"


def queue_for(clue: SandboxClue) -> int:
    """One delivery per active partner of the clue's department with a webhook."""
    partners = db.session.execute(
        select(SandboxPartner).where(SandboxPartner.department_id == clue.department_id,
                                     SandboxPartner.active.is_(True), SandboxPartner.webhook_url != "")).scalars().all()
    for partner in partners:
        db.session.add(SandboxDelivery(clue_id=clue.id, partner_id=partner.id, department_id=clue.department_id,
                                       status="pending", attempts=0, next_attempt_at=utcnow()))
    return len(partners)


def _attempt(delivery: SandboxDelivery, payload: Callable[[SandboxClue], dict[str, Any]], transport: Transport,
             timeout: float) -> str:
    body = json.dumps({"event": "sandbox.clue", "clue": payload(delivery.clue)}, ensure_ascii=False).encode()
    stamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "X-Zhjg-Timestamp": stamp,
               "X-Zhjg-Signature": sign(delivery.partner.secret, stamp, body),
               "X-Zhjg-Delivery": str(delivery.id)}
    refused = address_refusal(delivery.partner.webhook_url)  # again: the name may resolve elsewhere now
    if refused:
        return refused
    try:
        status = transport(delivery.partner.webhook_url, body, headers, timeout)
    except Exception as exc:  # noqa: BLE001 - timeouts, refused connections, bad addresses
        return f"{type(exc).__name__}: {exc}"[:500] or "连接失败"
    return "" if 200 <= status < 300 else f"对方返回HTTP {status}"


def deliver_due(payload: Callable[[SandboxClue], dict[str, Any]], *, transport: Transport | None = None,
                limit: int = 200) -> DeliveryResult:
    """Send every due delivery once; record the outcome of each."""
    transport = transport or urllib_transport
    timeout = float(_setting("SANDBOX_WEBHOOK_TIMEOUT_SECONDS"))
    max_attempts = int(_setting("SANDBOX_WEBHOOK_MAX_ATTEMPTS"))
    backoff = int(_setting("SANDBOX_WEBHOOK_BACKOFF_SECONDS"))
    result = DeliveryResult()
    due = db.session.execute(
        select(SandboxDelivery).where(SandboxDelivery.status == "pending", SandboxDelivery.next_attempt_at <= utcnow())
        .options(joinedload(SandboxDelivery.partner).joinedload(SandboxPartner.user), joinedload(SandboxDelivery.clue))
        .order_by(SandboxDelivery.next_attempt_at, SandboxDelivery.id).limit(limit)).scalars().all()
    for delivery in due:
        error = _attempt(delivery, payload, transport, timeout)
        delivery.attempts += 1
        name = delivery.partner.user.name
        if not error:
            delivery.status, delivery.delivered_at, delivery.last_error = "delivered", utcnow(), ""
            result.delivered += 1
            note = f"已推送至{name}的接收地址"
        elif delivery.attempts >= max_attempts:
            delivery.status, delivery.last_error = "failed", error
            result.failed += 1
            note = f"推送至{name}失败（已尝试{delivery.attempts}次）：{error}"
        else:
            delivery.last_error = error
            delivery.next_attempt_at = utcnow() + timedelta(seconds=backoff * 2 ** (delivery.attempts - 1))
            result.retried += 1
            note = ""
        if note:
            db.session.add(SandboxClueEvent(clue_id=delivery.clue_id, state=delivery.clue.state, at=utcnow(),
                                            note=note[:1000]))
    db.session.flush()
    return result


def failures(user: User) -> Any:
    return (select(SandboxDelivery).where(SandboxDelivery.department_id == user.department_id,
                                          SandboxDelivery.status == "failed")
            .options(joinedload(SandboxDelivery.partner).joinedload(SandboxPartner.user),
                     joinedload(SandboxDelivery.clue).joinedload(SandboxClue.entity))
            .order_by(SandboxDelivery.id.desc()))


def retry(user: User, delivery: SandboxDelivery) -> SandboxDelivery:
    """Send a failed delivery again from the first attempt (the 推送失败 page)."""
    if delivery.department_id != user.department_id:
        raise Forbidden("只能重新推送本部门的线索")
    if delivery.status != "failed":
        raise Conflict("该推送不是失败状态")
    delivery.status, delivery.attempts, delivery.next_attempt_at = "pending", 0, utcnow()
    audit.record("sandbox_delivery_retry", object_type="sandbox_delivery", object_id=delivery.id,
                 summary={"线索": delivery.clue_id, "合作机构": delivery.partner.user.name}, user=user)
    return delivery
