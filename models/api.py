"""The data interface (/api/v1, docs/api.md): API credentials and idempotency records.

A credential belongs to an account of the 接口调用方 role (its department is the providing
department of the facts it posts and decides which entities it sees).  Only a keyed SHA-256 of
the token is stored (``token_hash``); the token itself is shown once, when it is issued.
Scopes are space-separated ``resource[.part]:read|write`` strings (services/api/scopes.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.org import User


class ApiCredential(db.Model):
    """接口凭证: one token of one interface client."""

    __tablename__ = "api_credential"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))  # 凭证用途
    token_prefix: Mapped[str] = mapped_column(String(16))  # the first characters, to recognise it in a list
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(Text, default="")
    ip_allow: Mapped[str] = mapped_column(Text, default="")  # addresses or networks, one per line; empty: any
    rate_limit: Mapped[int] = mapped_column(Integer)  # requests per minute
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    @property
    def ip_list(self) -> list[str]:
        return [line.strip() for line in self.ip_allow.splitlines() if line.strip()]


class ApiIdempotency(db.Model):
    """The stored answer to a write sent with an Idempotency-Key (kept for a day)."""

    __tablename__ = "api_idempotency"

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("api_credential.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    __table_args__ = (UniqueConstraint("credential_id", "key"),)
