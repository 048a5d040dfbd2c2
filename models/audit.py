"""Append-only audit trail (全程留痕), hash-chained so that an edited or deleted row shows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db, utcnow


class AuditEvent(db.Model):
    """One thing that happened.  Names are copied, not referenced, so the row outlives them."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    user_account: Mapped[str] = mapped_column(String(64), default="")
    user_name: Mapped[str] = mapped_column(String(50), default="")
    department_id: Mapped[int | None] = mapped_column(Integer, index=True)
    department_name: Mapped[str] = mapped_column(String(100), default="")
    ip: Mapped[str] = mapped_column(String(45), default="")
    action: Mapped[str] = mapped_column(String(40), index=True)
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[str] = mapped_column(String(64), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # 1: unkeyed SHA-256 (rows before migration 0019); n >= 2: HMAC-SHA256 with audit key n.
    chain_version: Mapped[int] = mapped_column(SmallInteger, default=1, server_default="1")

    # An object's history (e.g. a market entity's dossier) without scanning the trail.
    __table_args__ = (Index("ix_audit_event_object", "object_type", "object_id"),)


class AuditOutbox(db.Model):
    """An audit row written without taking the chain's lock, waiting to be chained.

    Frequent calls that only read (the data interface's lookups) would otherwise queue on the
    chain's lock until each commit: they insert here in their own transaction instead, and
    ``persistence.audit_outbox.seal`` moves the rows into ``audit_event`` in id order, chained,
    with their own times (docs/security.md, "Audit trail")."""

    __tablename__ = "audit_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(Integer)
    user_account: Mapped[str] = mapped_column(String(64), default="")
    user_name: Mapped[str] = mapped_column(String(50), default="")
    department_id: Mapped[int | None] = mapped_column(Integer)
    department_name: Mapped[str] = mapped_column(String(100), default="")
    ip: Mapped[str] = mapped_column(String(45), default="")
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[str] = mapped_column(String(64), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
