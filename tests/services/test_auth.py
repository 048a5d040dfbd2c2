"""Sign-in, lockout, password policy and changes, idle timeout, CSRF and security headers
(services/auth.py, infrastructure/passwords.py, blueprints/auth/views.py, blueprints/web.py)."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from infrastructure.passwords import (
    generate_password,
    hash_password,
    needs_rehash,
    policy_errors,
    verify_password,
)
from models import AuditEvent, User, utcnow
from models.org import UserStatus
from models.roles import Role
from services.auth import FAILURE_MESSAGE, authenticate, password_expired
from tests.conftest import NEW_PASSWORD, PASSWORD, csrf_token, sign_in
from tests.conftest import post_login as _post_login


def _flashes(html: str) -> list[str]:
    return re.findall(r'<p class="flash flash-\w+">([^<]*)</p>', html)


def _actions(session: Any, user: User | None = None) -> list[str]:
    query = select(AuditEvent.action).order_by(AuditEvent.id)
    if user is not None:
        query = query.where(AuditEvent.user_id == user.id)
    return list(session.execute(query).scalars())


# ------------------------------------------------------------------ passwords


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Ab1!xyz", ["密码长度不能少于8位"]),
        ("abcdefgh1", ["密码须包含大写字母、小写字母、数字、特殊字符中的至少三类"]),
        ("abcdefgh!", ["密码须包含大写字母、小写字母、数字、特殊字符中的至少三类"]),
        ("ABCDEFGH", ["密码须包含大写字母、小写字母、数字、特殊字符中的至少三类"]),
        ("Abcdefg1", []),  # upper, lower, digit
        ("abcdef1!", []),  # lower, digit, special
        ("ABCDEF1!", []),  # upper, digit, special
        ("Abcdefg!", []),  # upper, lower, special
        ("Aa1!" * 33, ["密码长度不能超过128位"]),
        ("xx", ["密码长度不能少于8位", "密码须包含大写字母、小写字母、数字、特殊字符中的至少三类"]),
    ],
)
def test_policy(password: str, expected: list[str]) -> None:
    assert policy_errors(password) == expected


def test_policy_refuses_the_account_in_any_case() -> None:
    assert policy_errors("Zhangsan#2026", "zhangsan") == ["密码不能包含账号"]
    assert policy_errors("x1ZHANGSAN!", "ZhangSan") == ["密码不能包含账号"]
    assert policy_errors("Lisi#20260", "zhangsan") == []


def test_generated_passwords_satisfy_the_policy() -> None:
    for _ in range(20):
        password = generate_password()
        assert len(password) == 12 and policy_errors(password) == []


def test_argon2_hash_and_verify() -> None:
    stored = hash_password("Secret#2026")
    assert stored.startswith("$argon2id$")
    assert stored != hash_password("Secret#2026")  # salted
    assert verify_password(stored, "Secret#2026")
    assert not verify_password(stored, "secret#2026")
    assert not verify_password(None, "Secret#2026")
    assert not verify_password("", "anything")
    assert not verify_password("not-a-hash", "Secret#2026")
    assert not needs_rehash(stored)


# ------------------------------------------------------------------ sign-in


def test_sign_in_resets_the_counter_and_is_audited(
    client: FlaskClient, org: Any, session: Any
) -> None:
    user = org.clerk_a
    user.failed_logins = 3
    session.commit()
    resp = _post_login(client, user.account.upper(), PASSWORD)  # accounts are case-insensitive
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    session.refresh(user)
    assert user.failed_logins == 0 and user.locked_until is None and user.last_login_at is not None
    event = session.execute(select(AuditEvent).where(AuditEvent.action == "login")).scalar_one()
    assert (event.user_id, event.ip, event.department_id) == (user.id, "127.0.0.1", org.bureau_a.id)
    assert client.get("/inbox").status_code == 200


def test_the_same_answer_for_unknown_account_wrong_password_and_locked_account(
    client: FlaskClient, org: Any, session: Any
) -> None:
    org.clerk_b.locked_until = utcnow() + timedelta(minutes=10)
    session.commit()
    answers = []
    for account, password in (("nobody", PASSWORD), (org.clerk_a.account, "Wrong#2026x"), (org.clerk_b.account, PASSWORD)):
        resp = _post_login(client, account, password)
        html = resp.get_data(as_text=True)
        answers.append((resp.status_code, _flashes(html)))
    assert answers == [(401, [FAILURE_MESSAGE])] * 3
    # the trail, not the page, tells them apart
    failed = session.execute(
        select(AuditEvent.user_account, AuditEvent.summary).where(AuditEvent.action == "login_failed").order_by(AuditEvent.id)
    ).all()
    assert [row.user_account for row in failed] == ["nobody", org.clerk_a.account, org.clerk_b.account]
    assert ["账号不存在" in failed[0].summary, "密码错误" in failed[1].summary, "账号已锁定" in failed[2].summary] == [True] * 3


def test_disabled_account_gets_the_same_answer(client: FlaskClient, org: Any, session: Any) -> None:
    org.clerk_a.status = UserStatus.DISABLED
    session.commit()
    resp = _post_login(client, org.clerk_a.account, PASSWORD)
    assert resp.status_code == 401 and _flashes(resp.get_data(as_text=True)) == [FAILURE_MESSAGE]


def test_empty_form_is_a_bad_request(client: FlaskClient, session: Any) -> None:
    token = csrf_token(client, "/login")
    assert client.post("/login", data={"csrf_token": token}).status_code == 400


def test_lockout_after_the_configured_failures_for_the_configured_minutes(
    app: Flask, client: FlaskClient, org: Any, session: Any
) -> None:
    threshold = app.config["LOCKOUT_THRESHOLD"]
    minutes = app.config["LOCKOUT_MINUTES"]
    user = org.clerk_a
    for attempt in range(1, threshold):
        assert _post_login(client, user.account, f"Wrong#{attempt}abc").status_code == 401
        session.refresh(user)
        assert user.failed_logins == attempt and user.locked_until is None  # counted in the database
    before = utcnow()
    assert _post_login(client, user.account, "Wrong#lastabc").status_code == 401
    session.refresh(user)
    assert user.locked_until is not None
    assert before + timedelta(minutes=minutes) <= user.locked_until <= utcnow() + timedelta(minutes=minutes)
    assert user.failed_logins == 0
    assert _actions(session, user)[-2:] == ["login_failed", "account_locked"]

    # locked: even the right password is refused, with the same message
    resp = _post_login(client, user.account, PASSWORD)
    assert resp.status_code == 401 and _flashes(resp.get_data(as_text=True)) == [FAILURE_MESSAGE]

    # still locked a minute before the end, free once the time is up
    user.locked_until = utcnow() + timedelta(minutes=1)
    session.commit()
    assert _post_login(client, user.account, PASSWORD).status_code == 401
    user.locked_until = utcnow() - timedelta(seconds=1)
    session.commit()
    assert _post_login(client, user.account, PASSWORD).status_code == 302
    session.refresh(user)
    assert user.locked_until is None and user.failed_logins == 0


def test_authenticate_service_directly(app: Flask, org: Any, session: Any) -> None:
    with app.test_request_context("/login", method="POST"):
        assert authenticate(org.clerk_a.account, PASSWORD).user is org.clerk_a
        result = authenticate(org.clerk_a.account, "nope")
        assert result.user is None and result.message == FAILURE_MESSAGE
        assert authenticate("", PASSWORD).user is None


def _stays_on_site(location: str) -> bool:
    """Whether a browser would stay on this site: it drops tabs and newlines and reads "\\" as "/"."""
    cleaned = re.sub(r"[\t\n\r]", "", location).replace("\\", "/")
    return cleaned.startswith("/") and not cleaned.startswith("//")


@pytest.mark.parametrize(
    ("next_", "expected"),
    [
        ("/processes/", "/processes/"),
        ("/inbox?x=1", "/inbox?x=1"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/%5Cevil.example/", None),  # "/\" reads as "//" in browsers; Werkzeug sends it as /%5C…
        ("/%09/evil.example/", "/"),  # a tab, which browsers drop: "//evil.example"
        ("javascript:alert(1)", "/"),
        ("evil.example", "/"),
    ],
)
def test_next_only_leads_within_the_site(client: FlaskClient, org: Any, next_: str, expected: str | None) -> None:
    resp = _post_login(client, org.clerk_a.account, PASSWORD, next_=next_)
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert _stays_on_site(location), location
    if expected is not None:
        assert location == expected


def test_signed_in_user_visiting_login_goes_home(client: FlaskClient, login: Any, org: Any) -> None:
    login(org.clerk_a)
    resp = client.get("/login")
    assert resp.status_code == 302 and resp.headers["Location"] == "/"


def test_pages_need_a_sign_in_and_keep_the_target(client: FlaskClient, session: Any) -> None:
    resp = client.get("/processes/instances?status=active")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login?next=")
    assert "/processes/instances" in resp.headers["Location"]
    htmx = client.get("/inbox/count", headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"] == "/login"


def test_logout(client: FlaskClient, org: Any, session: Any) -> None:
    _post_login(client, org.clerk_a.account, PASSWORD)
    token = csrf_token(client, "/inbox")
    resp = client.post("/logout", data={"csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    assert client.get("/inbox").status_code == 302
    assert _actions(session, org.clerk_a) == ["login", "logout"]


# ------------------------------------------------------------------ forced password change


def test_first_sign_in_must_change_the_password_first(
    client: FlaskClient, org: Any, make_user: Any, session: Any
) -> None:
    user = make_user(org.bureau_a, Role.CLERK, must_change=True)
    resp = _post_login(client, user.account, PASSWORD, next_="/processes/")
    assert resp.status_code == 302 and resp.headers["Location"] == "/password"
    for url in ("/", "/inbox", "/processes/", "/processes/instances"):
        resp = client.get(url)
        assert resp.status_code == 302 and resp.headers["Location"] == "/password", url
    htmx = client.get("/inbox", headers={"HX-Request": "true"})
    assert htmx.status_code == 403 and htmx.headers["HX-Redirect"] == "/password"
    assert client.get("/inbox/count").status_code == 204  # the badge poll stays quiet
    page = client.get("/password")
    assert page.status_code == 200
    assert "首次登录或密码已过期，请先修改密码" in page.get_data(as_text=True)

    token = csrf_token(client, "/password")
    resp = client.post(
        "/password", data={"csrf_token": token, "current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    assert client.get("/inbox").status_code == 200
    session.refresh(user)
    assert not user.must_change_password and verify_password(user.password_hash, NEW_PASSWORD)
    assert _actions(session, user) == ["login", "password_changed"]


def test_an_old_password_must_be_changed_too(app: Flask, client: FlaskClient, org: Any, session: Any) -> None:
    user = org.clerk_a
    user.password_changed_at = utcnow() - timedelta(days=app.config["PASSWORD_MAX_AGE_DAYS"] + 1)
    session.commit()
    assert password_expired(user)
    assert _post_login(client, user.account, PASSWORD).headers["Location"] == "/password"


@pytest.mark.parametrize(
    ("current", "new", "confirm", "message"),
    [
        ("Wrong#2026x", NEW_PASSWORD, NEW_PASSWORD, "原密码不正确"),
        (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", "两次输入的新密码不一致"),
        (PASSWORD, "short1A", "short1A", "密码长度不能少于8位"),
        (PASSWORD, "alllowercase", "alllowercase", "密码须包含大写字母、小写字母、数字、特殊字符中的至少三类"),
        (PASSWORD, PASSWORD, PASSWORD, "新密码不能与原密码相同"),
    ],
)
def test_password_change_rules(
    client: FlaskClient, login: Any, org: Any, session: Any, current: str, new: str, confirm: str, message: str
) -> None:
    user = org.clerk_a
    old_hash = user.password_hash
    login(user)
    token = csrf_token(client, "/password")
    resp = client.post("/password", data={"csrf_token": token, "current": current, "new": new, "confirm": confirm})
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)
    session.refresh(user)
    assert user.password_hash == old_hash
    assert "password_changed" not in _actions(session, user)


def test_password_may_not_contain_the_account(
    client: FlaskClient, login: Any, org: Any, make_user: Any, session: Any
) -> None:
    user = make_user(org.bureau_a, Role.CLERK, account="wangxy")
    login(user)
    token = csrf_token(client, "/password")
    new = "WangXY#2026a"
    resp = client.post("/password", data={"csrf_token": token, "current": PASSWORD, "new": new, "confirm": new})
    assert resp.status_code == 400 and "密码不能包含账号" in resp.get_data(as_text=True)


def test_a_password_change_ends_the_other_sessions(
    app: Flask, client: FlaskClient, login: Any, org: Any, session: Any
) -> None:
    user = org.clerk_a
    other = sign_in(app.test_client(), user)  # the same user signed in elsewhere
    assert other.get("/inbox").status_code == 200
    nonce = user.session_nonce
    login(user)
    token = csrf_token(client, "/password")
    resp = client.post(
        "/password", data={"csrf_token": token, "current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert resp.status_code == 302
    session.refresh(user)
    assert user.session_nonce != nonce
    assert client.get("/inbox").status_code == 200  # this session was renewed
    resp = other.get("/inbox")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    # and the new password is what signs in now
    third = app.test_client()
    assert _post_login(third, user.account, PASSWORD).status_code == 401
    assert _post_login(third, user.account, NEW_PASSWORD).status_code == 302


# ------------------------------------------------------------------ idle timeout


def _set_last_seen(client: FlaskClient, value: float) -> None:
    with client.session_transaction() as sess:
        sess["last_seen"] = value


def _last_seen(client: FlaskClient) -> float | None:
    with client.session_transaction() as sess:
        return sess.get("last_seen")


def test_idle_session_expires(app: Flask, client: FlaskClient, login: Any, org: Any, session: Any) -> None:
    minutes = app.config["IDLE_TIMEOUT_MINUTES"]
    login(org.clerk_a)
    _set_last_seen(client, time.time() - minutes * 60 - 5)
    resp = client.get("/inbox")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    page = client.get(resp.headers["Location"])
    assert page.status_code == 200
    assert f"您已超过{minutes}分钟未操作，请重新登录" in page.get_data(as_text=True)
    assert _actions(session, org.clerk_a) == ["session_expired"]
    assert client.get("/inbox").status_code == 302  # signed out for good


def test_active_session_is_renewed_but_not_by_the_inbox_badge(
    app: Flask, client: FlaskClient, login: Any, org: Any, session: Any
) -> None:
    minutes = app.config["IDLE_TIMEOUT_MINUTES"]
    login(org.clerk_a)
    almost = time.time() - minutes * 60 + 30
    _set_last_seen(client, almost)
    assert client.get("/inbox/count", headers={"HX-Request": "true"}).status_code == 200
    assert _last_seen(client) == almost  # polling does not keep a session alive
    assert client.get("/inbox").status_code == 200
    renewed = _last_seen(client)
    assert renewed is not None and renewed > almost + 60
    # once idle for too long, the badge poll itself finds the session expired
    _set_last_seen(client, time.time() - minutes * 60 - 5)
    resp = client.get("/inbox/count", headers={"HX-Request": "true"})
    assert resp.status_code == 401 and resp.headers["HX-Redirect"] == "/login"
    assert _actions(session, org.clerk_a) == ["session_expired"]


# ------------------------------------------------------------------ CSRF and headers


@pytest.mark.parametrize("url", ["/login", "/logout", "/password"])
def test_post_without_csrf_token_is_refused(client: FlaskClient, login: Any, org: Any, url: str) -> None:
    if url != "/login":
        login(org.clerk_a)
    resp = client.post(url, data={"account": org.clerk_a.account, "password": PASSWORD})
    assert resp.status_code == 400
    assert "页面已过期或缺少安全令牌" in resp.get_data(as_text=True)


def test_htmx_post_without_csrf_token_gets_a_fragment(client: FlaskClient, login: Any, org: Any) -> None:
    login(org.clerk_a)
    resp = client.post("/logout", headers={"HX-Request": "true"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "<html" not in html and "页面已过期或缺少安全令牌" in html


def test_csrf_token_in_header_is_accepted(client: FlaskClient, login: Any, org: Any) -> None:
    login(org.clerk_a)
    token = csrf_token(client, "/inbox")
    resp = client.post("/logout", headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert resp.status_code == 302


@pytest.mark.parametrize("url", ["/login", "/inbox"])
def test_security_headers(client: FlaskClient, login: Any, org: Any, url: str) -> None:
    login(org.clerk_a)
    resp = client.get(url, follow_redirects=False)
    csp = resp.headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert resp.headers["Cache-Control"] == "no-store"


def test_session_cookie_flags(client: FlaskClient, org: Any) -> None:
    resp = _post_login(client, org.clerk_a.account, PASSWORD)
    cookie = next(v for k, v in resp.headers.items() if k == "Set-Cookie" and v.startswith("zhjg_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_accounts_are_unique_regardless_of_case(org, make_user, session):
    import pytest
    from sqlalchemy.exc import IntegrityError

    make_user(org.bureau_a, account="Zhang.Wei")
    with pytest.raises(IntegrityError):
        make_user(org.bureau_a, account="zhang.wei")
    session.rollback()
