"""风险预警 in a real browser (表25): a clerk changes a rule and sees the dry run, the department
leader approves it from 我的待办, and the entity the rule now hits is in the 风险库."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD
from tests.browser.menu_nav import click_menu_entry

pytestmark = pytest.mark.browser


def _entity_with_a_complaint(live) -> str:
    from sqlalchemy import select

    from infrastructure.validators import uscc_check_char
    from models import Complaint, FactSource, User, db
    from services.entities import create_entity

    tag = uuid.uuid4().hex[:4].upper()
    name = f"浏览器投诉举报{tag}商贸有限公司"
    body = f"91510108MA6R{int(tag, 16) % 100000:05d}"
    with live.app.app_context():
        clerk = db.session.execute(select(User).where(User.account == "wangxy")).scalar_one()
        entity = create_entity(clerk, {"name": name, "uscc": body + uscc_check_char(body), "entity_type": "enterprise",
                                       "division_code": "510108001000", "status": "active", "industry_code": "F5211"})
        db.session.add(Complaint(entity_id=entity.id, source_kind=FactSource.ONLINE, source_department_id=clerk.department_id,
                                 received_on=date.today() - timedelta(days=5), subject="销售过期食品"))
        db.session.commit()
    return name


def _sign_in(browser, live, account):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(live.url + "/login")
    page.fill("input[name=account]", account)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/inbox$"))
    return context, page


def test_rule_change_approved_and_the_warning_in_the_library(browser, live_server):
    live = live_server
    name = _entity_with_a_complaint(live)

    ctx, page = _sign_in(browser, live, "wangxy")
    click_menu_entry(page, "风险预警规则")
    page.get_by_role("link", name="投诉举报预警").click()
    page.fill("input[name=p_min_count]", "1")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".dry-run")).to_contain_text("将新增")
    assert int(page.locator(".would-add").inner_text()) >= 1
    page.get_by_role("button", name="提交审批").click()
    expect(page.locator(".flash-success")).to_contain_text("已提交部门领导审批")
    expect(page.locator(".change-status")).to_have_text("待审批")
    ctx.close()

    ctx, page = _sign_in(browser, live, "lijg")
    row = page.locator("tr", has_text="修改风险预警规则：投诉举报预警").first
    row.get_by_role("link", name="办理").click()
    page.fill("textarea[name=note]", "同意按1次预警")
    page.get_by_role("button", name="批准", exact=True).click()
    expect(page.locator(".flash-success")).to_contain_text("已批准，规则已生效并重新判断")
    expect(page.locator(".change-status")).to_have_text("已批准")
    click_menu_entry(page, "风险库")
    page.select_option("select[name=rule]", label="投诉举报预警")
    page.get_by_role("button", name="查询").click()
    expect(page.locator(".warning-list")).to_contain_text(name)
    page.get_by_role("link", name=name).click()
    expect(page.locator(".evidence")).to_contain_text("销售过期食品")
    ctx.close()
