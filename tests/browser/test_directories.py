"""检查对象名录库 in a real browser: 表15 by filtering the registry — select an item, choose
筛选市场主体录入, see the count update as the filter changes (htmx), 入库, find it listed; then
表16 by item: the confirmation names the item, 确认删除."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models import User, db
from tests.browser.conftest import PASSWORD, screenshot
from tests.browser.menu_nav import click_menu_entry
from tests.factories.directories import make_entity, make_item

pytestmark = pytest.mark.browser
# The live server's registry is shared by the browser tests: this test's entities have a 街道
# of their own, and the filter names it, so other tests' entities never enter the counts.
DIVISION = "510108077000"


@pytest.fixture()
def registry(live_server):
    with live_server.app.app_context():
        clerk = db.session.execute(select(User).where(User.account == "wangxy")).scalar_one()
        for n in range(7):
            make_entity(clerk, 9000 + n, industry_code="H6210" if n < 3 else "F5211", division_code=DIVISION)
        make_item(clerk.department, "浏览器测试餐饮抽查事项")
        db.session.commit()


def test_filter_path_to_a_listed_directory(page, live_server, registry):
    page.goto(live_server.url + "/login")
    page.fill("input[name=account]", "wangxy")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/inbox$"))

    click_menu_entry(page, "检查对象名录库")
    expect(page.locator("h1")).to_have_text("检查对象名录库")
    page.get_by_role("link", name="新增检查对象名录库").click()
    row = page.locator("#item-list tr", has_text="浏览器测试餐饮抽查事项")
    row.get_by_role("link", name="选择").click()
    expect(page.locator("h1")).to_have_text("选择监管对象名录库新增方式")
    page.get_by_role("link", name="筛选市场主体录入").click()
    page.fill("input[name=division]", DIVISION[:9])
    expect(page.locator("#filter-count")).to_have_text("7")
    page.fill("input[name=industry]", "H62")
    expect(page.locator("#filter-count")).to_have_text("3")  # htmx refreshed the preview
    screenshot(page, "directory-filter")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=re.compile("入库")).click()
    expect(page.locator(".flash-success")).to_contain_text("新增 3 个检查对象")
    expect(page.locator("#directory-counts")).to_contain_text("市场主体 3 个")
    screenshot(page, "directory-detail")

    page.goto(live_server.url + "/directories/")
    expect(page.locator("#directory-list")).to_contain_text("浏览器测试餐饮抽查事项检查对象名录库")

    # 表16: by item, the confirmation lists the linked item, then 确认删除.
    page.get_by_role("link", name="删除检查对象名录库").click()
    page.get_by_role("link", name="筛选特定检查事项删除").click()
    page.locator("#delete-choices tr", has_text="浏览器测试餐饮抽查事项").get_by_role("link", name="删除").click()
    expect(page.locator("h1")).to_have_text("确认是否删除")
    expect(page.locator("#references")).to_contain_text("抽查事项：浏览器测试餐饮抽查事项")
    page.get_by_role("button", name="确认删除").click()
    expect(page.locator(".flash-success")).to_contain_text("已删除检查对象名录库")
    expect(page.locator("#directory-list")).not_to_contain_text("浏览器测试餐饮抽查事项")
