"""Server-side sessions: a copied session cookie stops working after 退出, a password change,
the account being disabled, a role removed, and the idle timeout (persistence/sessions.py)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import UserSession, utcnow
from models.org import UserStatus
from models.roles import Role
from services import users as user_svc
from tests.conftest import NEW_PASSWORD, PASSWORD, csrf_token, sign_in
from tests.conftest import post_login as _post_login

COOKIE = "zhjg_session"


def _copy(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of ``client``'s session cookie."""
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie(COOKIE, cookie.value)
    return thief


def _refused(client: FlaskClient) -> None:
    resp = client.get("/inbox")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    htmx = client.get("/inbox/count", headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"] == "/login"


def test_a_cookie_replayed_after_logout_is_refused(app: Flask, client: FlaskClient, org: Any, session: Any) -> None:
    assert _post_login(client, org.clerk_a.account, PASSWORD).status_code == 302
    copy = _copy(app, client)
    assert copy.get("/inbox").status_code == 200  # the copy works while the session is open
    resp = client.post("/logout", data={"csrf_token": csrf_token(client, "/inbox")})
    assert resp.status_code == 302
    _refused(copy)
    record = session.execute(select(UserSession).where(UserSession.user_id == org.clerk_a.id)).scalar_one()
    assert record.ended_at is not None and record.end_reason == "logout"


def test_the_database_keeps_only_a_hash_of_the_token(app: Flask, client: FlaskClient, org: Any, session: Any) -> None:
    _post_login(client, org.clerk_a.account, PASSWORD)
    with client.session_transaction() as sess:
        token = sess["sid"]
    stored = session.execute(select(UserSession.token_hash).where(UserSession.user_id == org.clerk_a.id)).scalar_one()
    assert token and stored != token and len(stored) == 64


def test_logout_ends_only_that_session(app: Flask, client: FlaskClient, org: Any, session: Any) -> None:
    other = sign_in(app.test_client(), org.clerk_a)  # the same user in another browser
    _post_login(client, org.clerk_a.account, PASSWORD)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/inbox")})
    assert other.get("/inbox").status_code == 200


def test_a_cookie_from_before_a_password_change_is_refused(
    app: Flask, client: FlaskClient, login: Any, org: Any, session: Any
) -> None:
    login(org.clerk_a)
    before = _copy(app, client)
    token = csrf_token(client, "/password")
    resp = client.post(
        "/password", data={"csrf_token": token, "current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert resp.status_code == 302
    assert client.get("/inbox").status_code == 200  # the browser that changed it carries on
    _refused(before)


def test_a_cookie_is_refused_once_an_administrator_resets_the_password(
    app: Flask, client: FlaskClient, login: Any, org: Any, session: Any
) -> None:
    user = org.clerk_b
    login(user)
    user_svc.reset_password(org.sysadmin, user)
    session.commit()
    _refused(client)


def test_a_cookie_is_refused_once_the_account_is_disabled(
    app: Flask, client: FlaskClient, login: Any, org: Any, session: Any
) -> None:
    login(org.clerk_b)
    assert client.get("/inbox").status_code == 200
    user_svc.set_status(org.sysadmin, org.clerk_b, UserStatus.DISABLED)
    session.commit()
    _refused(client)
    user_svc.set_status(org.sysadmin, org.clerk_b, UserStatus.ACTIVE)
    session.commit()
    _refused(client)  # enabling the account again does not revive the old session


def test_a_cookie_is_refused_once_a_role_is_removed(
    app: Flask, client: FlaskClient, login: Any, org: Any, session: Any
) -> None:
    user = org.clerk_b
    user_svc.grant_role(org.secadmin, user, Role.INSPECTOR.value)
    session.commit()
    login(user)
    assert client.get("/inbox").status_code == 200
    user_svc.revoke_role(org.secadmin, user, Role.INSPECTOR.value)
    session.commit()
    _refused(client)
    record = session.execute(select(UserSession).where(UserSession.user_id == user.id)).scalar_one()
    assert record.end_reason == "role_removed"


def test_idle_timeout_ends_the_session_for_every_copy_of_the_cookie(
    app: Flask, client: FlaskClient, login: Any, org: Any, session: Any
) -> None:
    minutes = app.config["IDLE_TIMEOUT_MINUTES"]
    login(org.clerk_a)
    copy = _copy(app, client)
    with client.session_transaction() as sess:
        sess["last_seen"] = time.time() - minutes * 60 - 5
    resp = client.get("/inbox")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    # The copy's own idle clock is fresh, but the session it names has ended.
    _refused(copy)


def test_idle_timeout_is_kept_on_the_server(
    app: Flask, client: FlaskClient, login: Any, org: Any, session: Any
) -> None:
    """A cookie whose own clock looks fresh is refused when the server saw no activity."""
    minutes = app.config["IDLE_TIMEOUT_MINUTES"]
    login(org.clerk_a)
    record = session.execute(select(UserSession).where(UserSession.user_id == org.clerk_a.id)).scalar_one()
    record.last_seen_at = utcnow() - timedelta(minutes=minutes, seconds=5)
    session.commit()
    resp = client.get("/inbox")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert f"您已超过{minutes}分钟未操作，请重新登录" in page
    session.refresh(record)
    assert record.end_reason == "idle"


def test_activity_moves_the_server_side_clock(app: Flask, client: FlaskClient, login: Any, org: Any, session: Any) -> None:
    login(org.clerk_a)
    record = session.execute(select(UserSession).where(UserSession.user_id == org.clerk_a.id)).scalar_one()
    record.last_seen_at = utcnow() - timedelta(minutes=10)
    session.commit()
    assert client.get("/inbox").status_code == 200
    session.refresh(record)
    assert utcnow() - record.last_seen_at < timedelta(minutes=1)
