"""Sign-in, lockout and password changes.

Failures are counted in the database (never in process memory) so that every worker and
host sees the same count.  Every failure gives the same message, whether or not the account
exists or is locked, so the sign-in page reveals nothing about accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from infrastructure.passwords import hash_password, needs_rehash, policy_errors, verify_password
from models import User, db, utcnow
from models.org import UserStatus
from persistence import audit, sessions

FAILURE_MESSAGE = "账号或密码错误，或账号已被暂时锁定。连续输错5次将锁定15分钟。"


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    message: str = ""


def _find(account: str) -> User | None:
    return db.session.execute(select(User).where(func.lower(User.account) == account.lower())).scalar_one_or_none()


def authenticate(account: str, password: str) -> SignInResult:
    """Check a sign-in attempt and record it.  The caller commits."""
    account = (account or "").strip()[:64]
    user = _find(account) if account else None
    now = utcnow()
    threshold: int = current_app.config["LOCKOUT_THRESHOLD"]
    minutes: int = current_app.config["LOCKOUT_MINUTES"]
    ok = verify_password(user.password_hash if user else None, password or "")
    if user is None:
        audit.record("login_failed", object_type="user", summary={"账号": account, "原因": "账号不存在"}, account=account)
        return SignInResult(None, FAILURE_MESSAGE)
    if user.locked_until and user.locked_until > now:
        audit.record("login_failed", object_type="user", object_id=user.id, summary={"原因": "账号已锁定"}, user=user)
        return SignInResult(None, FAILURE_MESSAGE)
    if not ok or user.status != UserStatus.ACTIVE:
        # Atomic increment: concurrent failures on several workers all count.
        db.session.execute(
            update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1)
        )
        db.session.refresh(user)
        reason = "账号已停用" if ok else "密码错误"
        audit.record("login_failed", object_type="user", object_id=user.id, summary={"原因": reason}, user=user)
        if user.failed_logins >= threshold:
            user.locked_until = now + timedelta(minutes=minutes)
            user.failed_logins = 0
            audit.record(
                "account_locked", object_type="user", object_id=user.id, summary={"锁定分钟": minutes}, user=user
            )
        return SignInResult(None, FAILURE_MESSAGE)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    audit.record("login", object_type="user", object_id=user.id, user=user)
    return SignInResult(user)


def password_expired(user: User, now: datetime | None = None) -> bool:
    days: int = current_app.config["PASSWORD_MAX_AGE_DAYS"]
    if user.must_change_password:
        return True
    if days <= 0 or user.password_changed_at is None:
        return user.password_changed_at is None
    return (now or utcnow()) - user.password_changed_at > timedelta(days=days)


def change_password(user: User, current: str, new: str, confirm: str) -> list[str]:
    """Change the user's own password; returns the reasons it was refused, if any."""
    if not verify_password(user.password_hash, current or ""):
        return ["原密码不正确"]
    if new != confirm:
        return ["两次输入的新密码不一致"]
    errors = policy_errors(new or "", user.account)
    if errors:
        return errors
    if verify_password(user.password_hash, new):
        return ["新密码不能与原密码相同"]
    set_password(user, new, temporary=False)
    audit.record("password_changed", object_type="user", object_id=user.id, user=user)
    return []


def set_password(user: User, password: str, *, temporary: bool) -> None:
    """Store a new password; a temporary one must be changed at the next sign-in."""
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.must_change_password = temporary
    user.failed_logins = 0
    user.locked_until = None
    # Every session of the user ends: a cookie from before the change is refused.
    sessions.end_all(user, "password")
