"""Interface clients and their tokens for the /api/v1 tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from models import ApiCredential, db, utcnow
from models.roles import Role
from services.api import tokens


def api_user(make_user: Any, department: Any, account: str | None = None) -> Any:
    """An account of the 接口调用方 role."""
    return make_user(department, Role.API_CLIENT, account=account, name="接口调用方")


def issue_token(admin: Any, user: Any, scopes: list[str], *, days: int = 30, rate_limit: int = 600,
                ip_allow: str = "") -> tuple[str, ApiCredential]:
    """Issue a credential through the service (as the admin page does); the token and its row."""
    issued = tokens.issue(admin, user_id=user.id, name="测试凭证", scopes=scopes, days=days, rate_limit=rate_limit,
                          ip_allow=ip_allow)
    db.session.commit()
    return issued.token, db.session.get(ApiCredential, issued.credential_id)


def expire(credential: ApiCredential) -> None:
    credential.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
