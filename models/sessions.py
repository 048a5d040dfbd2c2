"""Server-side sign-in sessions: the signed cookie carries a random token, the database only
its SHA-256.  A session ended here (退出, 超时, password change, account disabled, role
removed) refuses its cookie even when a copy of that cookie is replayed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db, utcnow


class UserSession(db.Model):
    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    # logout, idle, password, disabled, role_removed
    end_reason: Mapped[str] = mapped_column(String(20), default="", server_default="")

    # end_all() finds a user's open sessions without a scan.
    __table_args__ = (Index("ix_user_session_user_open", "user_id", "ended_at"),)
