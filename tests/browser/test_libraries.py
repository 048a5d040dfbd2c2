"""表3 筛选录入 → 入库 → 表5 新增标签 in a real browser, and the tag on a member's page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, screenshot
from tests.browser.menu_nav import click_menu_entry
from tests.browser.registry_data import seed_browser_registry

pytestmark = pytest.mark.browser

def test_filter_store_and_tag_a_library(page, live_server):
    seed_browser_registry(live_server)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(live_server.url + "/login")
    page.fill("input[name=account]", "wangxy")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/inbox$"))

    click_menu_entry(page, "监管对象库")
    expect(page.locator("h1")).to_have_text("监管对象库")
    page.get_by_role("link", name="新增监管对象库").click()
    expect(page.locator("h2")).to_have_text("选择监管对象库新增方式")
    page.get_by_role("link", name="筛选录入").click()

    page.fill("input[name=name]", "浏览器测试")
    page.fill("input[name=industry]", "H62")
    page.get_by_role("button", name="预览数量").click()
    expect(page.locator("#preview-count")).to_contain_text("3")
    page.fill("#library-name", "浏览器餐饮对象库")
    page.fill("#library-tags", "餐饮")
    page.get_by_role("button", name="入库").click()

    page.wait_for_url(re.compile(r".*/libraries/\d+$"))
    expect(page.locator("h1")).to_have_text("浏览器餐饮对象库")
    expect(page.locator(".flash-success")).to_contain_text("共 3 个市场主体")
    expect(page.locator("#library-members")).to_contain_text("浏览器测试火锅店")
    expect(page.locator("#library-members")).not_to_contain_text("浏览器测试超市")

    page.fill("#new-tag", "夜市")
    page.get_by_role("button", name="保存标签").click()
    expect(page.locator("#library-tags")).to_contain_text("夜市")
    screenshot(page, "library-detail")

    page.get_by_role("link", name="浏览器测试火锅店").click()
    expect(page.locator("#entity-libraries")).to_contain_text("浏览器餐饮对象库")
    expect(page.locator("#entity-libraries")).to_contain_text("夜市")
    expect(page.locator("#entity-libraries")).to_contain_text("餐饮")

    page.goto(live_server.url + "/processes/instances")
    expect(page.get_by_text("新增监管对象库：浏览器餐饮对象库")).to_be_visible()
