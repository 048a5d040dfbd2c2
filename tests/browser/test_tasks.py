"""抽查任务 in a real browser: 表20 scheme → leader returns once, then approves → the preview's
arithmetic → 随机抽取 → 确认抽取结果; 表22 scheme → review → 公示方案 → draw → the public
verification page, re-computed without signing in."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from models import Department, db
from models.org import DepartmentLevel
from models.roles import Role
from tests.browser.conftest import PASSWORD, _dept, _user, screenshot
from tests.browser.menu_nav import click_menu_entry
from tests.factories.tasks import fill_directory, make_task

pytestmark = pytest.mark.browser


def _setup(live, joint: bool):
    tag = uuid.uuid4().hex[:5]
    with live.app.app_context():
        district = db.session.query(Department).filter_by(name="锦华区").one()
        bureau = _dept(f"锦华区抽查局{tag}", district, DepartmentLevel.BUREAU)
        partner = _dept(f"锦华区协作局{tag}", district, DepartmentLevel.BUREAU)
        _user(f"clerk{tag}", "抽查经办人", bureau, Role.CLERK)
        _user(f"lead{tag}", "抽查领导", bureau, Role.DEPT_LEADER)
        db.session.commit()
        task = make_task(bureau, joint=joint, participants=(partner,) if joint else (), name=f"餐饮抽查任务{tag}")
        fill_directory(task, {"A": 30, "C": 12, "E": 2, "-": 5})
        return tag, task.id


def _page_as(browser, live, account):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    page.goto(live.url + "/login")
    page.fill("input[name=account]", account)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/inbox$"))
    return page


def _submit_scheme(page, live, task_id):
    page.goto(f"{live.url}/tasks/{task_id}")
    expect(page.locator(".scheme-form")).to_be_visible()
    page.fill("textarea[name=duties]", "食品安全监督管理科负责组织")
    page.fill("input[name=ratio_A]", "10")
    page.fill("input[name=ratio_C]", "25")
    page.fill("input[name=risk_weight]", "3")  # 风险库命中加权 (issue 16 §5)
    page.get_by_role("button", name="预览抽取数量").click()
    expect(page.locator("#draw-preview .arith").first).to_have_text("30 × 10% 向上取整 = 3")
    expect(page.locator("#draw-preview .quota-total")).to_have_text("9")  # 3 + 3 + 2 + 1 (5 × 3 % = 0.15, rounded up)
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator(".flash-success")).to_contain_text("已提交审核")


def test_single_task_scheme_review_preview_draw_confirm(browser, live_server):
    tag, task_id = _setup(live_server, joint=False)
    clerk = _page_as(browser, live_server, f"clerk{tag}")
    click_menu_entry(clerk, "抽查任务")
    clerk.get_by_role("link", name=f"餐饮抽查任务{tag}").click()
    _submit_scheme(clerk, live_server, task_id)

    leader = _page_as(browser, live_server, f"lead{tag}")
    leader.get_by_role("link", name="办理").first.click()
    expect(leader.locator(".review-form")).to_be_visible()
    expect(leader.locator(".scheme-risk-weight")).to_contain_text("每条未关闭的风险预警计作3次")
    leader.fill(".review-form textarea[name=comment]", "请补充工作要求")
    leader.get_by_role("button", name="退回修改").click()
    expect(leader.locator(".flash-success")).to_have_text("已退回修改")

    clerk.reload()
    expect(clerk.locator(".return-reason")).to_contain_text("请补充工作要求")
    clerk.fill("textarea[name=requirements]", "依法依规，进一次门查多项事")
    clerk.get_by_role("button", name="提交审核").click()
    expect(clerk.locator(".flash-success")).to_contain_text("已提交审核")

    leader.goto(f"{live_server.url}/tasks/{task_id}")
    leader.get_by_role("button", name="审核通过").click()
    expect(leader.locator(".flash-success")).to_have_text("审核通过")

    clerk.reload()
    rows = clerk.locator("#draw-panel .preview-table tbody tr")
    expect(rows).to_have_count(4)
    expect(clerk.locator("#draw-panel .arith").nth(1)).to_have_text("12 × 25% 向上取整 = 3")
    expect(clerk.locator("#draw-panel .quota-total")).to_have_text("9")
    screenshot(clerk, "task-preview")
    clerk.get_by_role("button", name="随机抽取").click()
    expect(clerk.locator(".flash-success")).to_contain_text("名单已锁定")
    expect(clerk.locator("#object-list tbody tr")).to_have_count(9)
    expect(clerk.locator(".result-size")).to_have_text("9 户")
    clerk.get_by_role("button", name="重新计算").click()
    expect(clerk.locator("#verify-result")).to_contain_text("一致")
    clerk.get_by_role("button", name="确认抽取结果").click()
    expect(clerk.locator(".flash-success")).to_contain_text("已确认抽取结果")
    expect(clerk.locator(".current-step")).to_have_text("随机抽取执法人员派发抽查任务")
    screenshot(clerk, "task-drawn")


def test_joint_task_scheme_published_and_public_verification(browser, live_server):
    tag, task_id = _setup(live_server, joint=True)
    clerk = _page_as(browser, live_server, f"clerk{tag}")
    _submit_scheme(clerk, live_server, task_id)
    leader = _page_as(browser, live_server, f"lead{tag}")
    leader.goto(f"{live_server.url}/tasks/{task_id}")
    leader.get_by_role("button", name="审核通过").click()
    expect(leader.locator(".flash-success")).to_have_text("审核通过")

    clerk.reload()
    expect(clerk.locator(".current-step")).to_have_text("随机抽取检查对象")
    clerk.locator("main").get_by_role("link", name="流程实例").click()
    expect(clerk.locator("main")).to_contain_text("已公示方案（第1版）")
    clerk.go_back()
    clerk.get_by_role("button", name="随机抽取").click()
    expect(clerk.locator(".flash-success")).to_contain_text("名单已锁定")
    href = clerk.locator("a.public-link").get_attribute("href")

    anonymous = browser.new_context(locale="zh-CN").new_page()
    anonymous.goto(live_server.url + href)
    expect(anonymous.locator(".recompute")).to_have_text("重新计算：与存档结果一致")
    expect(anonymous.locator("#drawn-objects tbody tr")).to_have_count(9)
    body = anonymous.locator("main").inner_text()
    for marker in ("A类", "C类", "E类", "未分级"):
        assert marker not in body
    screenshot(anonymous, "draw-public")
