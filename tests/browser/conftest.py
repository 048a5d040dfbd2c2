"""A live server on loopback with committed data, and Debian's chromium driven by Playwright.

Browser tests skip when /usr/bin/chromium is absent, unless REQUIRE_BROWSER=1 (CI) makes
that a failure.  Playwright never downloads a browser here: it launches /usr/bin/chromium.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from app import create_app
from infrastructure.passwords import hash_password
from models import Department, User, UserRole, db, utcnow
from models.org import DepartmentKind, DepartmentLevel
from models.roles import Role
from persistence.org import place_department
from workflows import engine
from workflows.lanes import PARTICIPANT

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "Browser#2026ok"


@dataclass
class Live:
    url: str
    app: Any


def _dept(name: str, parent: Department | None, level: DepartmentLevel, kind=DepartmentKind.SUPERVISION) -> Department:
    d = Department(name=name, parent=parent, level=level, kind=kind, region_code="510108")
    db.session.add(d)
    db.session.flush()
    place_department(d, parent)
    return d


def _user(account: str, name: str, dept: Department, *roles: Role, must_change: bool = False) -> User:
    u = User(
        account=account,
        name=name,
        department=dept,
        password_hash=hash_password(PASSWORD),
        must_change_password=must_change,
        password_changed_at=utcnow(),
    )
    u.roles = [UserRole(role=str(r)) for r in roles]
    db.session.add(u)
    db.session.flush()
    return u


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    instance = tmp_path_factory.mktemp("browser-instance")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance}/browser.sqlite3",
            "SECRET_KEY": "browser-tests",
        }
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        city = _dept("测试市", None, DepartmentLevel.CITY, DepartmentKind.GOVERNMENT)
        district = _dept("锦华区", city, DepartmentLevel.DISTRICT, DepartmentKind.GOVERNMENT)
        bureau = _dept("锦华区市场监督管理局", district, DepartmentLevel.BUREAU)
        health = _dept("锦华区卫生健康局", district, DepartmentLevel.BUREAU)
        office = _dept("锦华区联席会议办公室", district, DepartmentLevel.BUREAU, DepartmentKind.CONFERENCE_OFFICE)
        clerk = _user("wangxy", "王晓燕", bureau, Role.CLERK)
        _user("lijg", "李建国", bureau, Role.DEPT_LEADER)
        _user("newbie", "新同事", bureau, Role.CLERK, must_change=True)
        _user("zhaom", "赵敏", health, Role.CLERK)
        _user("zhengh", "郑红", office, Role.CONFERENCE_OFFICE)
        _user("xitong", "冯志刚", city, Role.SYSTEM_ADMIN)
        _user("shenji", "彭建军", city, Role.AUDITOR)
        # An instance of a process no chapter binds to its pages (表22 is done on /tasks).
        engine.start(23, clerk, title="餐饮服务联合抽查事项", parties={PARTICIPANT: [health.id]})
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Live(f"http://127.0.0.1:{server.server_port}", app)
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("REQUIRE_BROWSER=1 but /usr/bin/chromium is missing (apt-get install chromium)")
        pytest.skip("Debian chromium not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    p = context.new_page()
    yield p
    context.close()


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Any, live: Live, account: str, password: str = PASSWORD) -> None:
    """Fill and send the sign-in form (the caller waits for where it should land)."""
    page.goto(live.url + "/login")
    page.fill("input[name=account]", account)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")


def signed_in(browser: Any, live: Live, account: str) -> tuple[Any, Any]:
    """A new browser context signed in as ``account``, on 我的待办: (context, page)."""
    import re

    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, live, account)
    page.wait_for_url(re.compile(r".*/inbox$"))
    return context, page
