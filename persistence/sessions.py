"""Server-side sign-in sessions (docs/security.md, 会话).

``start`` opens a session at sign-in and returns the token the signed cookie carries; the
database keeps only the token's SHA-256, so reading the table does not let anyone sign in.
``signed_in`` is what the user loader asks on every request: a session that has ended refuses
its cookie, also a copy of the cookie taken before 退出; the idle timeout (blueprints/web.py)
ends the session here too, by the server's record of its last activity.  ``end_all`` ends every session of a user (password
changed or reset, account disabled, a role removed) and rotates the user's nonce as well.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from models import User, UserSession, db, utcnow

# last_seen_at is written at most this often per session (one UPDATE a minute, not per request).
TOUCH_SECONDS = 60


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _idle_limit() -> timedelta:
    return timedelta(minutes=current_app.config["IDLE_TIMEOUT_MINUTES"])


def start(user: User) -> str:
    """Open a session for ``user`` (flushed, not committed); returns the cookie's token."""
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, token_hash=_hash(token)))
    db.session.flush()
    return token


def signed_in(user_id: int, token: str | None) -> tuple[User, UserSession] | None:
    """The user (with department and roles) and their session for ``token`` unless it has
    ended: the user loader's question on every request, asked as one statement."""
    if not token:
        return None
    row = (
        db.session.execute(
            select(User, UserSession)
            .join(UserSession, UserSession.user_id == User.id)
            .where(User.id == user_id, UserSession.token_hash == _hash(token), UserSession.ended_at.is_(None))
            .options(joinedload(User.department), joinedload(User.roles))
        )
        .unique()
        .first()
    )
    return (row[0], row[1]) if row is not None else None


def is_idle(record: UserSession, now: datetime | None = None) -> bool:
    """Idle longer than IDLE_TIMEOUT_MINUTES by the server's own record of the session."""
    return (now or utcnow()) - record.last_seen_at > _idle_limit()


def touch(record: UserSession, now: datetime | None = None) -> None:
    """Note activity (commits, at most once a minute): the idle clock restarts."""
    now = now or utcnow()
    if (now - record.last_seen_at).total_seconds() >= TOUCH_SECONDS:
        db.session.execute(update(UserSession).where(UserSession.id == record.id).values(last_seen_at=now))
        db.session.commit()


def end(user_id: int, token: str | None, reason: str) -> None:
    """End one session (退出, 超时); the caller commits."""
    if not token:
        return
    db.session.execute(
        update(UserSession)
        .where(UserSession.token_hash == _hash(token), UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason)
    )


def end_all(user: User, reason: str) -> int:
    """End every open session of ``user`` and rotate its nonce; the caller commits."""
    user.session_nonce = secrets.token_hex(16)
    if user.id is None:  # a user being created has no session (and must not be flushed here)
        return 0
    result = db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
