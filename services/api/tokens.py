"""接口凭证: issue, list, revoke, and authenticate a token.

A token is ``zhjg_`` and 43 URL-safe characters (256 random bits).  Only its keyed SHA-256
(HMAC under API_TOKEN_KEY, by default derived from SECRET_KEY) is stored, so a copy of the
database yields no usable token, and a lookup is one indexed equality; a slow password hash
would buy nothing against a random 256-bit secret.  The token is returned once by ``issue``
and shown on that page only (like the initial passwords of services/users.py).

Credentials belong to accounts of the 接口调用方 role; a system administrator issues and
revokes those of the accounts of their subtree.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from infrastructure.errors import Forbidden, Invalid
from models import ApiCredential, User, UserRole, db, utcnow
from models.roles import Role
from persistence import audit
from persistence.scope import scope_users
from services.api import scopes as scope_rules
from services.api.problems import ApiProblem

PREFIX = "zhjg_"
TOKEN_RE = re.compile(r"^zhjg_[A-Za-z0-9_-]{43}$")
MAX_DAYS = 3650
MAX_RATE = 100_000


@dataclass(frozen=True)
class IssuedToken:
    """What the issuing page shows once: the token never leaves that response."""

    credential_id: int
    account: str
    name: str
    token: str


def _key() -> bytes:
    configured = current_app.config.get("API_TOKEN_KEY") or ""
    if configured:
        return configured.encode()
    return hmac.new(str(current_app.config["SECRET_KEY"]).encode(), b"zhjg-api-token", hashlib.sha256).digest()


def token_hash(token: str) -> str:
    return hmac.new(_key(), token.encode(), hashlib.sha256).hexdigest()


# ------------------------------------------------------------------ administration


def may_administer(actor: User) -> bool:
    return actor.has_role(Role.SYSTEM_ADMIN)


def clients_query(actor: User) -> Select[tuple[User]]:
    """The accounts of the 接口调用方 role in the administrator's subtree."""
    query = select(User).where(User.roles.any(UserRole.role == str(Role.API_CLIENT)))
    return scope_users(query, actor).options(joinedload(User.department)).order_by(User.account)


def credentials_query(actor: User) -> Select[tuple[ApiCredential]]:
    """The credentials of the accounts of the subtree (one whose account lost the role stays
    listed, and revocable, though it no longer works)."""
    owners = scope_users(select(User.id), actor)
    return (select(ApiCredential).where(ApiCredential.user_id.in_(owners))
            .options(joinedload(ApiCredential.user).joinedload(User.department))
            .order_by(ApiCredential.revoked_at.is_not(None), ApiCredential.id.desc()))


def _client(actor: User, user_id: int | None) -> User:
    if not may_administer(actor):
        raise Forbidden("只有系统管理员可以签发和吊销接口凭证")
    user = db.session.execute(clients_query(actor).where(User.id == (user_id or 0))).scalar_one_or_none()
    if user is None:
        raise Invalid("请选择本级或下级的接口调用方账号", field="user_id")
    return user


def clean_ip_list(raw: str) -> str:
    """Addresses or networks (CIDR), one per line or separated by commas; empty: any address."""
    entries = [e.strip() for e in re.split(r"[\s,，;；]+", raw or "") if e.strip()]
    bad = []
    for e in entries:
        try:
            ipaddress.ip_network(e, strict=False)
        except ValueError:
            bad.append(e)
    if bad:
        raise Invalid("IP地址格式不正确：" + "、".join(bad[:5]), field="ip_allow")
    return "\n".join(entries)


def issue(actor: User, *, user_id: int | None, name: str, scopes: list[str], days: int | None,
          rate_limit: int | None, ip_allow: str = "") -> IssuedToken:
    """Issue a credential; the token is in the result and nowhere else."""
    user = _client(actor, user_id)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise Invalid("请填写凭证用途（不超过100字）", field="name")
    if days is None or not 1 <= days <= MAX_DAYS:
        raise Invalid(f"有效天数应为1至{MAX_DAYS}之间的整数", field="days")
    if rate_limit is None or not 1 <= rate_limit <= MAX_RATE:
        raise Invalid(f"每分钟请求上限应为1至{MAX_RATE}之间的整数", field="rate_limit")
    token = PREFIX + secrets.token_urlsafe(32)
    credential = ApiCredential(
        user=user, name=name, token_prefix=token[:9], token_hash=token_hash(token),
        scopes=scope_rules.clean(scopes), ip_allow=clean_ip_list(ip_allow), rate_limit=rate_limit,
        expires_at=utcnow() + timedelta(days=days), created_by_id=actor.id,
    )
    db.session.add(credential)
    db.session.flush()
    audit.record("api_token_issued", object_type="api_credential", object_id=credential.id,
                 summary={"账号": user.account, "用途": name, "授权范围": credential.scopes,
                          "有效期至": credential.expires_at.isoformat(timespec="seconds")}, user=actor)
    return IssuedToken(credential.id, user.account, name, token)


def revoke(actor: User, credential_id: int) -> ApiCredential:
    credential = db.session.execute(
        credentials_query(actor).where(ApiCredential.id == credential_id)
    ).unique().scalar_one_or_none()
    if credential is None:
        raise Forbidden("该凭证不存在或不在您的管理范围内")
    if not may_administer(actor):
        raise Forbidden("只有系统管理员可以签发和吊销接口凭证")
    if credential.revoked_at is None:
        credential.revoked_at = utcnow()
        credential.revoked_by_id = actor.id
        audit.record("api_token_revoked", object_type="api_credential", object_id=credential.id,
                     summary={"账号": credential.user.account, "用途": credential.name}, user=actor)
    return credential


def state_of(credential: ApiCredential, now: datetime | None = None) -> str:
    if credential.revoked_at is not None:
        return "已吊销"
    if credential.expires_at is not None and credential.expires_at <= (now or utcnow()):
        return "已过期"
    return "有效"


# ------------------------------------------------------------------ authentication


def digest_of(header: str | None) -> str:
    """The stored digest of an ``Authorization: Bearer <token>`` header's token, or an ApiProblem
    (401) for a missing or malformed one (services/api/clients.py finds its credential)."""
    if not header:
        raise ApiProblem("token-missing", "请在 Authorization 请求头中提供 Bearer 访问令牌")
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not TOKEN_RE.match(token):
        raise ApiProblem("token-malformed", "访问令牌应为“Bearer zhjg_…”形式")
    return token_hash(token)


def check_ip(credential: Any, remote: str) -> None:
    """The IP allow-list of a credential (or services/api/clients.Client)."""
    allowed = credential.ip_list
    if not allowed:
        return
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        raise ApiProblem("ip-not-allowed", "无法识别调用地址") from None
    if not any(address in ipaddress.ip_network(n, strict=False) for n in allowed):
        raise ApiProblem("ip-not-allowed", f"调用地址 {remote} 不在该凭证允许的地址范围内")
