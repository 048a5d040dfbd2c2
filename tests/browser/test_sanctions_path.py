"""联合奖惩 in a real browser (表29–表31, docs/sanctions.md): the 牵头部门 adds and publishes a
catalogue entry whose measure 卫生健康局 implements; the 发起部门 (王晓燕) forms a list with an
entity and pushes it to 信用中国(四川成都)公示; 卫生健康局 (赵敏) finds the task in 我的待办,
receives and executes it and records the result."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _setup(live) -> tuple[str, str]:
    """A 发展和改革局 with a 牵头部门 account, and an entity of the district (unique per run)."""
    from sqlalchemy import select

    from infrastructure.passwords import hash_password
    from infrastructure.validators import uscc_check_char
    from models import Department, User, UserRole, db, utcnow
    from models.roles import Role
    from persistence.org import place_department
    from services.entities import create_entity

    tag = uuid.uuid4().hex[:4].upper()
    with live.app.app_context():
        district = db.session.execute(select(Department).where(Department.name == "锦华区")).scalar_one()
        ndrc = Department(name=f"锦华区发展和改革局{tag}", parent=district, level=district.children[0].level,
                          kind=district.children[0].kind, region_code="510108")
        db.session.add(ndrc)
        db.session.flush()
        place_department(ndrc, district)
        lead = User(account=f"lead{tag.lower()}", name="何静", department=ndrc, password_hash=hash_password(PASSWORD),
                    must_change_password=False, password_changed_at=utcnow())
        lead.roles = [UserRole(role=str(Role.LEADING_DEPARTMENT))]
        db.session.add(lead)
        clerk = db.session.execute(select(User).where(User.account == "wangxy")).scalar_one()
        body = f"91510108MA6R{int(tag, 16) % 100000:05d}"
        code = body + uscc_check_char(body)
        create_entity(clerk, {"name": f"浏览器奖惩{tag}商贸有限公司", "uscc": code, "entity_type": "enterprise",
                              "division_code": "510108001000", "status": "active", "industry_code": "F5211"})
        db.session.commit()
        return lead.account, code


def _sign_in(browser, live, account: str):
    """A fresh browser context signed in as ``account``."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(live.url + "/login")
    page.fill("input[name=account]", account)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/inbox$"))
    return page


def test_catalogue_list_task_result(browser, live_server):
    lead, code = _setup(live_server)
    behaviour = f"严重违法失信企业{code[-4:]}"
    page = _sign_in(browser, live_server, lead)  # 表30: 新增 → 发布
    page.goto(live_server.url + "/sanctions/catalogue/new")
    page.select_option("#f-kind", "punish")
    page.fill("#f-behaviour", behaviour)
    page.select_option("#f-nature", "严重违法失信名单")
    page.fill("#f-agency", "锦华区市场监督管理局")
    page.fill("#f-basis", "《关于对严重违法失信企业开展联合惩戒的合作备忘录》")
    page.fill("#f-start", "2026-01-01")
    page.select_option("select[aria-label=实施部门1]", label="锦华区卫生健康局")
    page.fill("input[aria-label=措施1]", "限制参加政府采购活动")
    page.get_by_role("button", name="保存").click()
    page.get_by_role("button", name="发布联合奖惩清单").click()
    expect(page.locator("main")).to_contain_text("已发布")

    page.context.close()
    page = _sign_in(browser, live_server, "wangxy")  # 表29: 形成名单 → 推送公示
    page.goto(live_server.url + "/sanctions/lists")
    page.fill("input[name=title]", f"浏览器名单{code[-4:]}")
    page.get_by_role("button", name="新建名单").click()
    page.get_by_role("link", name=f"浏览器名单{code[-4:]}").click()
    page.fill("#f-code", code)
    page.select_option("#f-entry", label=f"惩戒：{behaviour}")
    page.fill("#f-basis", "锦市监罚〔2026〕1号")
    page.fill("#f-decided", "2026-03-01")
    page.get_by_role("button", name="加入名单").click()
    expect(page.locator("main table")).to_contain_text("浏览器奖惩")
    page.get_by_role("button", name="形成本部门联合奖惩对象名单").click()
    page.get_by_role("button", name="将奖惩对象名单推送至信用中国(四川成都)公示").click()
    expect(page.locator("main")).to_contain_text("查看本名单生成的联合奖惩任务")

    page.context.close()
    page = _sign_in(browser, live_server, "zhaom")  # the implementing department: 我的待办 → 接收 → 执行 → 录入结果
    row = page.locator("main tr", has_text=f"浏览器名单{code[-4:]}")
    expect(row).to_contain_text("接收联合奖惩任务")
    row.get_by_role("link", name="办理").click()
    task = page.locator("main tbody tr", has_text="限制参加政府采购活动").filter(has_text="浏览器奖惩").first
    task.locator("input[type=checkbox]").check()
    page.get_by_role("button", name="接收联合奖惩任务").click()
    task = page.locator("main tbody tr", has_text="浏览器奖惩").first
    expect(task).to_contain_text("已接收")
    task.locator("input[type=checkbox]").check()
    page.get_by_role("button", name="执行联合奖惩任务").click()
    form = page.locator("form", has_text="浏览器奖惩")
    form.locator("input[name=result]").fill("已限制其参加政府采购活动")
    form.get_by_role("button", name="录入结果").click()
    expect(page.locator("main tbody tr", has_text="浏览器奖惩").first).to_contain_text("已录入结果")
    page.context.close()
