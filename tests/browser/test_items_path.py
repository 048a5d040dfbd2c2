"""抽查事项清单 in a real browser: a clerk adds an item (表7), and it appears on the public
list (一公开) for a visitor who has not signed in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, screenshot

pytestmark = pytest.mark.browser

NAME = "浏览器测试：餐饮服务食品安全监督检查"


def test_add_an_item_and_see_it_public_without_signing_in(browser, page, live_server):
    page.goto(live_server.url + "/login")
    page.fill("input[name=account]", "wangxy")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/inbox$"))
    page.get_by_role("link", name="抽查事项清单").click()
    page.wait_for_url(re.compile(r".*/items/$"))
    page.get_by_role("link", name="新增本部门抽查事项").click()
    page.fill("#f-domain", "食品安全")
    page.fill("#f-name", NAME)
    page.fill("#f-objects", "餐饮服务提供者")
    page.select_option("#f-category", "general")
    page.fill("#f-ratio_cap", "5")
    page.fill("#f-inspecting_body", "锦华区市场监督管理局")
    page.check("input[name=methods][value=书面检查]")
    page.check("input[name=methods][value=实地核查]")
    page.fill("#f-basis", "《中华人民共和国食品安全法》第一百一十条")
    page.get_by_role("button", name="提交并公布").click()
    page.wait_for_url(re.compile(r".*/items/\d+$"))
    expect(page.locator(".flash-success")).to_contain_text("已新增并公布")
    expect(page.locator("h1")).to_contain_text(NAME)
    expect(page.get_by_text("表7 单部门事项清单新增业务流程")).to_be_visible()
    screenshot(page, "item-detail")

    visitor = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    try:
        public = visitor.new_page()
        public.goto(live_server.url + "/login")
        public.get_by_role("link", name="“双随机、一公开”抽查事项清单公开").click()
        public.wait_for_url(re.compile(r".*/public/items$"))
        row = public.locator("#public-items tr", has_text=NAME)
        expect(row).to_contain_text("单部门")
        expect(row).to_contain_text("锦华区市场监督管理局")
        expect(row).to_contain_text("一般检查事项")
        expect(public.locator("body")).not_to_contain_text("信用风险")
        row.get_by_role("link", name=NAME).click()
        public.wait_for_url(re.compile(r".*/public/items/\d+$"))
        expect(public.locator("h1")).to_have_text(NAME)
        expect(public.locator("body")).to_contain_text("第1版")
        expect(public.locator("body")).not_to_contain_text("抽查比例上限")
        screenshot(public, "public-item")
    finally:
        visitor.close()
