"""抽查事项清单 in a real browser, 表7–表11 on real items: a clerk adds an item (表7), edits it
(表8), assigns it to a section (表11), claims an item of the city list (表10) and deletes the
first (表9); a visitor who has not signed in sees each publication on the public list (一公开)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models import Department, db
from models.org import DepartmentLevel
from models.roles import Role
from services import items
from tests.browser.conftest import PASSWORD, _dept, _user, screenshot
from tests.browser.menu_nav import click_menu_entry

pytestmark = pytest.mark.browser

NAME = "浏览器测试：餐饮服务食品安全监督检查"
CITY_ITEM = "浏览器测试：特种设备使用单位监督检查"


def _city_list(app):
    """A city bureau with one published item, and a section of the district bureau."""
    with app.app_context():
        city = db.session.execute(select(Department).where(Department.name == "测试市")).scalar_one()
        bureau = db.session.execute(select(Department).where(Department.name == "锦华区市场监督管理局")).scalar_one()
        city_bureau = _dept("测试市市场监督管理局", city, DepartmentLevel.BUREAU)
        _dept("锦华区食品安全监督管理科", bureau, DepartmentLevel.SECTION)
        clerk = _user("shiju", "市局经办人", city_bureau, Role.CLERK)
        items.create_item(clerk, {
            "domain": "特种设备", "name": CITY_ITEM, "objects": "特种设备使用单位", "category": "key",
            "methods": ["实地核查"], "inspecting_body": "测试市市场监督管理局",
            "basis": "《中华人民共和国特种设备安全法》第五十七条",
        })
        db.session.commit()


def test_item_processes_and_the_public_list(browser, page, live_server):
    _city_list(live_server.app)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(live_server.url + "/login")
    page.fill("input[name=account]", "wangxy")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/inbox$"))

    # 表7 新增本部门抽查事项 → 公布事项
    click_menu_entry(page, "抽查事项清单")
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
    item_url = page.url
    expect(page.locator(".flash-success")).to_contain_text("已新增并公布")
    expect(page.locator("h1")).to_contain_text(NAME)
    expect(page.get_by_text("表7 单部门事项清单新增业务流程")).to_be_visible()
    screenshot(page, "item-detail")

    # a visitor sees it without signing in
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

        # 表8 选择拟编辑的抽查事项 → 编辑抽查事项 → 公布事项
        page.get_by_role("link", name="编辑").click()
        page.fill("#f-objects", "餐饮服务提供者（含网络餐饮）")
        page.get_by_role("button", name="保存并公布").click()
        expect(page.locator(".flash-success")).to_contain_text("第2版")

        # 表11 指派 to a section
        page.get_by_role("link", name="指派").click()
        page.select_option("#department_id", label="锦华区食品安全监督管理科（处室/科室）")
        page.get_by_role("button", name="指派").click()
        expect(page.locator(".flash-success")).to_contain_text("锦华区食品安全监督管理科")
        expect(page.locator("main")).to_contain_text("表11 单部门事项清单指派业务流程")

        # 表10 认领 an item of the city list
        page.goto(live_server.url + "/items/claim")
        city_row = page.locator("tr", has_text=CITY_ITEM)
        city_row.get_by_role("button", name="认领").click()
        expect(page.locator(".flash-success")).to_contain_text("已认领")
        expect(page.locator("tr", has_text=CITY_ITEM)).to_contain_text("已认领")
        page.goto(live_server.url + "/items/")
        expect(page.locator("tr", has_text=CITY_ITEM)).to_contain_text("认领")

        public.reload()
        row = public.locator("#public-items tr", has_text=NAME)
        expect(row).to_contain_text("第2版")
        expect(public.locator("#public-items")).to_contain_text(CITY_ITEM)
        row.get_by_role("link", name=NAME).click()
        public.wait_for_url(re.compile(r".*/public/items/\d+$"))
        expect(public.locator("h1")).to_have_text(NAME)
        expect(public.locator("body")).to_contain_text("第1版")
        expect(public.locator("body")).to_contain_text("含网络餐饮")
        expect(public.locator("body")).not_to_contain_text("抽查比例上限")
        screenshot(public, "public-item")

        # 表9 选择拟删除的抽查事项 → 删除抽查事项 → 公布事项 (撤下)
        page.goto(item_url)
        page.get_by_role("link", name="删除").click()
        page.fill("#reason", "职能调整")
        page.get_by_role("button", name="删除并撤下").click()
        expect(page.locator(".flash-success")).to_contain_text("从公开清单撤下")
        public.reload()
        expect(public.locator(".flash-warning")).to_contain_text("撤下")
        public.goto(live_server.url + "/public/items")
        expect(public.locator("#public-items")).not_to_contain_text(NAME)
        expect(public.locator("#public-items")).to_contain_text(CITY_ITEM)
    finally:
        visitor.close()
