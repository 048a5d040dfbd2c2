"""效能管理 in a real browser (seed 004 §7, docs/efficiency.md): the leader opens 业务办理总览,
clicks the 超期 figure of the bureau, opens 办理详情 of a stalled item and sends a 督办; the
assignee finds it in 我的待办 and answers; the answer is on the item's timeline."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD
from tests.browser.menu_nav import click_menu_entry

pytestmark = pytest.mark.browser


def _stalled(live) -> str:
    from sqlalchemy import select

    from models import Department, EfficiencyRule, User, db, utcnow
    from workflows import engine

    title = f"浏览器督办{uuid.uuid4().hex[:4]}抽查事项"
    with live.app.app_context():
        clerk = db.session.execute(select(User).where(User.account == "wangxy")).scalar_one()
        district = db.session.execute(select(Department).where(Department.name == "锦华区")).scalar_one()
        if db.session.execute(select(EfficiencyRule).where(EfficiencyRule.department_id == district.id)).first() is None:
            db.session.add(EfficiencyRule(department_id=district.id, name="环节5个工作日内办结", working_days=5))
        item = engine.start(7, clerk, title=title).work_items[0]
        item.created_at = item.instance.created_at = utcnow() - timedelta(days=30)
        db.session.commit()
    return title


def _sign_in(browser, live, account):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(live.url + "/login")
    page.fill("input[name=account]", account)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/inbox$"))
    return context, page


def test_leader_urges_a_stalled_item_and_the_assignee_answers(browser, live_server):
    title = _stalled(live_server)
    context, page = _sign_in(browser, live_server, "lijg")
    click_menu_entry(page, "效能管理")
    expect(page.locator("h1")).to_contain_text("业务办理机关总览")
    expect(page.locator("#chart-trend canvas")).to_have_count(1)  # ECharts drew the trend
    row = page.locator("table.efficiency-overview tbody tr", has_text="锦华区市场监督管理局")
    row.locator("td").nth(6).locator("a").click()  # the 超期 figure
    expect(page.locator("h1")).to_contain_text("业务清单")
    page.locator("tr.work-item", has_text=title).get_by_role("link", name="办理详情").click()
    expect(page.locator("h1")).to_contain_text(title)
    page.fill("input[name=message]", "请于两个工作日内办结")
    page.get_by_role("button", name="督办").click()
    expect(page.locator(".flash-success")).to_contain_text("已发出督办")
    expect(page.locator("table.efficiency-steps")).to_contain_text("督办中")
    context.close()

    context, page = _sign_in(browser, live_server, "wangxy")
    todo = page.locator("#urges-waiting tr.urge-todo", has_text=title)
    expect(todo).to_contain_text("请于两个工作日内办结")
    todo.get_by_role("link", name="回复").click()
    page.fill("textarea[name=response]", "已补充材料，明日办结")
    page.get_by_role("button", name="回复督办").click()
    expect(page.locator(".flash-success")).to_contain_text("已回复督办")
    expect(page.locator(".urge-response")).to_contain_text("已补充材料，明日办结")
    context.close()

    context, page = _sign_in(browser, live_server, "lijg")
    page.goto(live_server.url + "/efficiency/urges?status=answered")
    page.locator("table.efficiency-urges tr", has_text=title).get_by_role("link", name="查看").click()
    page.get_by_role("link", name="办理详情").click()
    expect(page.locator("ol.efficiency-timeline")).to_contain_text("督办回复")
    context.close()
