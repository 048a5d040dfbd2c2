"""The main menu fits 1366×768 and 1920×1080 for each kind of user: every group and entry is
inside the viewport, the bar does not scroll sideways, the dropdowns open by mouse and by
keyboard, and every entry opens its page (no 403/500).  Screenshots go to test-artifacts/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from models import Department, db
from models.org import DepartmentLevel
from models.roles import Role
from tests.browser.conftest import PASSWORD, _dept, _user, screenshot

pytestmark = pytest.mark.browser

VIEWPORTS = [(1366, 768), (1920, 1080)]
ACCOUNTS = {
    "clerk": "wangxy",
    "leader": "lijg",
    "inspector": "menu_zhifa",
    "conference-office": "zhengh",
    "admin": "xitong",
    "auditor": "shenji",
    # the widest bar: every business group plus 系统管理, and a long department name
    "many-roles": "menu_duozhi",
}


@pytest.fixture(scope="module")
def extra_accounts(live_server):
    with live_server.app.app_context():
        from models import User

        if db.session.query(User).filter_by(account="menu_zhifa").first() is None:
            bureau = db.session.query(Department).filter_by(name="锦华区市场监督管理局").one()
            _user("menu_zhifa", "陈志强", bureau, Role.INSPECTOR)
            brigade = _dept("锦华区市场监督管理局综合行政执法支队第一大队", bureau, DepartmentLevel.SECTION)
            _user(
                "menu_duozhi", "欧阳文华", brigade,
                Role.CLERK, Role.DEPT_LEADER, Role.INSPECTOR, Role.CONFERENCE_OFFICE, Role.SYSTEM_ADMIN,
            )
            db.session.commit()


def _sign_in(page, live, account):
    page.goto(live.url + "/login")
    page.fill("input[name=account]", account)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/(inbox|admin/users|audit/)$"))


def _inside(box, width, height):
    return box is not None and box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= width \
        and box["y"] + box["height"] <= height


def _groups(nav):
    return nav.locator("details.menu-group")


def _check_layout(page, width, height):
    nav = page.get_by_role("navigation", name="主菜单")
    overflow = page.evaluate(
        "() => { const n = document.querySelector('nav.menu'); const t = document.querySelector('.topbar');"
        " return [n.scrollWidth - n.clientWidth, t.scrollWidth - t.clientWidth,"
        " document.documentElement.scrollWidth - window.innerWidth]; }"
    )
    assert overflow == [0, 0, 0], f"horizontal overflow (menu, top bar, page): {overflow}"
    tops = nav.locator(".menu-top")
    assert tops.count() >= 1
    for i in range(tops.count()):
        assert _inside(tops.nth(i).bounding_box(), width, height), tops.nth(i).inner_text()
    who = page.locator(".who")
    assert _inside(who.bounding_box(), width, height)
    links = []
    for i in range(_groups(nav).count()):
        group = _groups(nav).nth(i)
        group.locator("summary").click()
        expect(group.locator(".menu-panel")).to_be_visible()
        for link in group.locator(".menu-panel a").all():
            assert link.is_visible() and _inside(link.bounding_box(), width, height), link.inner_text()
            links.append(link.inner_text())
        # one dropdown open at a time
        assert nav.locator("details.menu-group[open]").count() == 1
    page.keyboard.press("Escape")
    assert nav.locator("details.menu-group[open]").count() == 0
    return links


def _entries(page):
    """(label, href) of every entry, single links and dropdown entries alike."""
    nav = page.get_by_role("navigation", name="主菜单")
    return [
        (a.text_content().strip(), a.get_attribute("href"))
        for a in nav.locator("a").all()
    ]


@pytest.mark.parametrize("role", list(ACCOUNTS))
def test_menu_fits_and_every_entry_opens(browser, live_server, extra_accounts, role):
    for width, height in VIEWPORTS:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        page = context.new_page()
        try:
            _sign_in(page, live_server, ACCOUNTS[role])
            _check_layout(page, width, height)
            nav = page.get_by_role("navigation", name="主菜单")
            widest = max(_groups(nav).all(), key=lambda g: g.locator(".menu-panel a").count(), default=None)
            if widest is not None:
                widest.locator("summary").click()
            screenshot(page, f"menu-{role}-{width}x{height}")
            if width != 1366:
                continue
            entries = _entries(page)
            assert entries
            for label, href in entries:
                page.goto(live_server.url + "/")
                link = nav.locator(f'a[href="{href}"]')
                if not link.is_visible():
                    link.locator("xpath=ancestor::details[1]/summary").click()
                with page.expect_navigation() as navigation:
                    link.click()
                status = navigation.value.status
                assert status == 200, f"{role}: {label} ({href}) answers {status}"
        finally:
            context.close()


def test_menu_works_by_keyboard(page, live_server):
    _sign_in(page, live_server, "wangxy")
    summary = page.locator("details.menu-group > summary", has_text="双随机抽查")
    summary.focus()
    page.keyboard.press("Enter")
    expect(page.locator("details.menu-group[open]")).to_have_count(1)
    for _ in range(5):  # Tab walks into the open panel to 抽查统计
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "抽查统计":
            break
    assert page.evaluate("document.activeElement.textContent") == "抽查统计"
    screenshot(page, "menu-keyboard-focus")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("抽查统计")
    expect(page.locator("details.menu-group > summary", has_text="双随机抽查")).to_have_class(re.compile("active"))
    # Esc closes an open dropdown and gives the focus back to its heading
    summary = page.locator("details.menu-group > summary", has_text="一单两库")
    summary.focus()
    page.keyboard.press("Space")
    expect(page.locator("details.menu-group[open]")).to_have_count(1)
    page.keyboard.press("Escape")
    expect(page.locator("details.menu-group[open]")).to_have_count(0)
    assert page.evaluate("document.activeElement.textContent") == "一单两库"
