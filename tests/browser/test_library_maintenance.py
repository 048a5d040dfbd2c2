"""表4 删除监管对象库 (取消删除 terminates, 确认删除 removes) and 表6 标签维护 (修改标签,
删除标签 after 确认是否删除) in a real browser, as the bureau's clerk (监管部门)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD
from tests.browser.registry_data import seed_browser_registry

pytestmark = pytest.mark.browser


def _library(live, name: str, tags: str) -> int:
    """A library of the browser tests' restaurants, committed."""
    from sqlalchemy import select

    from models import User, db
    from services import libraries

    seed_browser_registry(live)
    with live.app.app_context():
        clerk = db.session.execute(select(User).where(User.account == "wangxy")).scalar_one()
        library = libraries.create_from_filter(clerk, name, {"name": "浏览器测试"}, tags=tags)
        db.session.commit()
        return library.id


def _sign_in(page, live, account: str) -> None:
    page.goto(live.url + "/login")
    page.fill("input[name=account]", account)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/inbox$"))


def test_delete_a_library_cancel_then_confirm(page, live_server):
    live = live_server
    ident = _library(live, "浏览器待删除对象库", "临时")
    _sign_in(page, live, "wangxy")
    page.goto(f"{live.url}/libraries/{ident}")
    expect(page.locator("h1")).to_have_text("浏览器待删除对象库")

    # 选择拟删除的对象库 → 确认是否删除 → 取消删除: the library stays, the instance is terminated.
    page.get_by_role("link", name="删除", exact=True).first.click()
    expect(page.locator("h2")).to_have_text("确认是否删除")
    page.get_by_role("button", name="取消删除").click()
    page.wait_for_url(re.compile(rf".*/libraries/{ident}$"))
    expect(page.locator(".flash-info")).to_have_text("已取消删除")
    page.goto(live.url + "/processes/instances")
    cancelled = page.locator("tr", has_text="删除监管对象库：浏览器待删除对象库")
    expect(cancelled).to_have_count(1)
    expect(cancelled).to_contain_text("已终止")

    # Again, and 确认删除: the library is gone from the list, the instance is completed.
    page.goto(f"{live.url}/libraries/{ident}")
    page.get_by_role("link", name="删除", exact=True).first.click()
    page.get_by_role("button", name="确认删除").click()
    page.wait_for_url(re.compile(r".*/libraries/$"))
    expect(page.locator(".flash-success")).to_have_text("已删除监管对象库“浏览器待删除对象库”")
    expect(page.get_by_role("link", name="浏览器待删除对象库")).to_have_count(0)
    assert page.goto(f"{live.url}/libraries/{ident}").status == 404
    page.goto(live.url + "/processes/instances")
    rows = page.locator("tr", has_text="删除监管对象库：浏览器待删除对象库")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="已办结")).to_have_count(1)


def test_edit_then_delete_a_library_tag(page, live_server):
    live = live_server
    ident = _library(live, "浏览器标签维护对象库", "夜宵、早餐")
    _sign_in(page, live, "wangxy")
    page.goto(f"{live.url}/libraries/{ident}")
    tags = page.locator("#library-tags")
    expect(tags).to_contain_text("夜宵")

    # 修改标签
    tags.locator("tr", has_text="夜宵").get_by_role("link", name="修改").click()
    expect(page.locator("h2")).to_have_text("修改标签")
    page.fill("#tag", "夜市")
    page.get_by_role("button", name="保存修改").click()
    page.wait_for_url(re.compile(rf".*/libraries/{ident}$"))
    expect(page.locator(".flash-success")).to_have_text("已修改标签为“夜市”")
    expect(tags).to_contain_text("夜市")
    expect(tags).not_to_contain_text("夜宵")

    # 删除标签: 确认是否删除 → 取消删除 keeps it, 确认删除 removes it.
    tags.locator("tr", has_text="早餐").get_by_role("link", name="删除").click()
    expect(page.locator("h2")).to_have_text("确认是否删除")
    page.get_by_role("button", name="取消删除").click()
    expect(page.locator(".flash-info")).to_have_text("已取消删除标签")
    expect(tags).to_contain_text("早餐")
    tags.locator("tr", has_text="早餐").get_by_role("link", name="删除").click()
    page.get_by_role("button", name="确认删除").click()
    expect(page.locator(".flash-success")).to_have_text("已删除标签“早餐”")
    expect(tags).not_to_contain_text("早餐")
    expect(tags).to_contain_text("夜市")
    page.goto(live.url + "/processes/instances")
    expect(page.locator("tr", has_text="浏览器标签维护对象库").first).to_be_visible()
