"""Notifications: the in-app message centre and an outbox for SMS and e-mail.

``notify(users, subject, body, link, channels=("inbox", "sms", "email"))`` is the one call the
chapters make, inside their transaction (services never commit): an ``inbox`` message per user
(/messages, the unread count in the header), and one ``OutboxMessage`` per user and channel
that has an address (mobile for SMS, e-mail for e-mail).  Nothing leaves the platform before
the transaction commits: ``flask notify send`` (cron or a systemd timer) hands the pending
outbox rows to the configured sender.

The sender is ``NOTIFY_SENDER``, a dotted path ``package.module:Class`` (or
``package.module.Class``) of a class whose instances have ``send(message: OutboxMessage)``,
raising on failure; it is built with the Flask app's config (``Class(config)``).  The default
``LogSender`` writes each message to the log: a real SMS gateway or SMTP relay is one class
away.  A row that fails is retried at the next run, up to ``NOTIFY_MAX_ATTEMPTS``, then marked
failed with the last error.
"""

from __future__ import annotations

import importlib
import logging
import smtplib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any, Protocol

from flask import current_app
from sqlalchemy import func, select, update

from infrastructure.clock import CHINA
from infrastructure.config import default as config_default
from models import User, db, utcnow
from models.notifications import Message, OutboxMessage, OutboxStatus

CHANNELS = ("inbox", "sms", "email")
log = logging.getLogger("zhjg.notify")


class Sender(Protocol):
    def send(self, message: OutboxMessage) -> None: ...


class LogSender:
    """Writes every message to the log (``zhjg.notify``): the default, for development and
    for hosts without a gateway."""

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        self.config = config or {}

    def send(self, message: OutboxMessage) -> None:
        text = message.body if message.channel == "sms" else f"{message.subject} — {message.body}"
        log.info("[%s] to %s: %s", message.channel, message.address, text)


class SmtpSender:
    """E-mail through an SMTP relay (``NOTIFY_SMTP_HOST``, ``NOTIFY_SMTP_PORT``,
    ``NOTIFY_SMTP_FROM``); SMS rows are only logged.  An example of a real sender."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.host = str(config.get("NOTIFY_SMTP_HOST", config_default("NOTIFY_SMTP_HOST")))
        self.port = int(config.get("NOTIFY_SMTP_PORT", config_default("NOTIFY_SMTP_PORT")))
        self.sender = str(config.get("NOTIFY_SMTP_FROM", config_default("NOTIFY_SMTP_FROM")))

    def send(self, message: OutboxMessage) -> None:
        if message.channel != "email":
            LogSender().send(message)
            return
        with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
            smtp.send_message(build_email(message, self.sender))


def build_email(message: OutboxMessage, sender: str) -> EmailMessage:
    """The e-mail of an outbox row: dated when it was queued (China time, RFC 5322) and with
    a Message-ID of the sender's domain, so that mail servers and clients sort it rightly."""
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, message.address, message.subject
    queued = (message.created_at or utcnow()).replace(tzinfo=UTC).astimezone(CHINA)
    mail["Date"] = format_datetime(queued)
    domain = sender.rpartition("@")[2].strip(">") or None
    mail["Message-ID"] = make_msgid(idstring=f"outbox{message.id}", domain=domain)
    mail.set_content(message.body)
    return mail


def load_sender(path: str | None = None, config: Mapping[str, Any] | None = None) -> Sender:
    """Build the sender named by ``path`` (default: ``NOTIFY_SENDER``)."""
    path = path or current_app.config.get("NOTIFY_SENDER") or config_default("NOTIFY_SENDER")
    module_name, _, attr = path.partition(":") if ":" in path else path.rpartition(".")
    if not module_name or not attr:
        raise ValueError(f"NOTIFY_SENDER 应为“模块:类名”形式：{path}")
    cls = getattr(importlib.import_module(module_name), attr)
    return cls(config if config is not None else current_app.config)


def _unique(users: Iterable[User | None]) -> list[User]:
    seen: dict[int, User] = {}
    for user in users:
        if user is not None and user.id not in seen:
            seen[user.id] = user
    return list(seen.values())


def notify(
    users: Iterable[User | None],
    subject: str,
    body: str = "",
    link: str = "",
    channels: Iterable[str] = CHANNELS,
) -> int:
    """Queue one notification per user and channel; returns how many rows were written."""
    channels = tuple(channels)
    unknown = set(channels) - set(CHANNELS)
    if unknown:
        raise ValueError(f"unknown channels {sorted(unknown)}")
    subject, link = subject.strip()[:200], link[:500]
    rows: list[Message | OutboxMessage] = []
    for user in _unique(users):
        if "inbox" in channels:
            rows.append(Message(user_id=user.id, subject=subject, body=body, link=link))
        text = f"{subject}。{body}".strip("。") if body else subject
        if "sms" in channels and user.mobile:
            rows.append(OutboxMessage(channel="sms", user_id=user.id, address=user.mobile, subject=subject, body=text))
        if "email" in channels and user.email:
            rows.append(OutboxMessage(channel="email", user_id=user.id, address=user.email, subject=subject, body=body))
    db.session.add_all(rows)
    db.session.flush()
    return len(rows)


# ------------------------------------------------------------------ the message centre


def unread_count(user: User) -> int:
    return db.session.execute(
        select(func.count(Message.id)).where(Message.user_id == user.id, Message.read_at.is_(None))
    ).scalar_one()


def messages_for(user: User, *, unread_only: bool = False, limit: int = 50, before_id: int | None = None) -> list[Message]:
    query = select(Message).where(Message.user_id == user.id)
    if unread_only:
        query = query.where(Message.read_at.is_(None))
    if before_id:
        query = query.where(Message.id < before_id)
    return list(db.session.execute(query.order_by(Message.id.desc()).limit(limit)).scalars())


def mark_read(user: User, message_ids: Iterable[int] | None = None) -> int:
    """Mark the user's messages read (all unread ones when ``message_ids`` is None)."""
    stmt = update(Message).where(Message.user_id == user.id, Message.read_at.is_(None))
    if message_ids is not None:
        ids = [int(i) for i in message_ids]
        if not ids:
            return 0
        stmt = stmt.where(Message.id.in_(ids))
    return db.session.execute(stmt.values(read_at=utcnow()).execution_options(synchronize_session=False)).rowcount


# ------------------------------------------------------------------ the outbox


@dataclass(frozen=True)
class SendResult:
    sent: int
    retried: int
    failed: int


def send_pending(sender: Sender | None = None, *, limit: int = 500) -> SendResult:
    """Hand pending outbox rows to the sender.  Each row is claimed with ``FOR UPDATE SKIP
    LOCKED`` on PostgreSQL, so two runs never send a message twice.  The caller commits."""
    sender = sender or load_sender()
    max_attempts = int(current_app.config.get("NOTIFY_MAX_ATTEMPTS", config_default("NOTIFY_MAX_ATTEMPTS")))
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING)
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    sent = retried = failed = 0
    for row in db.session.execute(query).scalars().all():
        row.attempts += 1
        try:
            sender.send(row)
        except Exception as exc:  # noqa: BLE001 - any gateway failure is recorded on the row
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if row.attempts >= max_attempts:
                row.status = OutboxStatus.FAILED
                failed += 1
            else:
                retried += 1
            log.warning("notify %s #%s failed (%s/%s): %s", row.channel, row.id, row.attempts, max_attempts, exc)
            continue
        row.status = OutboxStatus.SENT
        row.sent_at = utcnow()
        row.last_error = ""
        sent += 1
    db.session.flush()
    return SendResult(sent, retried, failed)
