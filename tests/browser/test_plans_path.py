"""表19 and 表21 in a real browser.

表19: the clerk creates a plan with its uploaded 抽查计划文件, fixes the elements, the plan is
published (the public page shows it) and is split into a task.  表21: the initiator selects
a joint item and consults; the participant gives feedback from its inbox; the initiator
confirms and submits; the conference office returns it with a reason; the initiator adjusts;
the office approves and the plan is published.  An ad-hoc joint plan skips the review."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models import Department, User, db
from tests.browser.conftest import screenshot
from tests.browser.conftest import signed_in as _as
from tests.browser.steps import fill_elements as _fill_elements
from tests.factories.plans import PDF, joint_item, single_item

pytestmark = pytest.mark.browser


def test_single_plan_upload_elements_publish_and_task(browser, live_server, tmp_path):
    live = live_server
    tag = uuid.uuid4().hex[:6]
    item_name = f"浏览器计划餐饮检查{tag}"
    with live.app.app_context():
        clerk = db.session.execute(select(User).where(User.account == "wangxy")).scalar_one()
        single_item(clerk.department, item_name, cap="10")
        db.session.commit()
    name = f"2026年度单部门抽查计划{tag}"
    doc = tmp_path / "抽查计划.pdf"
    doc.write_bytes(PDF)

    ctx, page = _as(browser, live, "wangxy")
    page.goto(live.url + "/plans/")
    page.get_by_role("link", name="建立单部门抽查计划").click()
    page.fill("input[name=name]", name)
    page.fill("input[name=year]", "2026")
    page.set_input_files("input[name=document]", str(doc))
    page.get_by_role("button", name="建立抽查计划").click()
    page.wait_for_url(re.compile(r".*/plans/\d+$"))
    expect(page.locator(".current-step")).to_have_text("确定抽查要素形成抽查计划")
    expect(page.locator("a.plan-document")).to_have_text("抽查计划.pdf")
    plan_url = page.url
    form = "form[action$='/elements']"
    page.locator(form).get_by_label(item_name).check()
    _fill_elements(page, form, name=name, ratio="120")
    page.get_by_role("button", name="形成抽查计划").click()
    expect(page.locator(".flash-error")).to_contain_text("抽查比例应在0–100")
    page.locator(form).locator("input[name=ratio]").fill("5")
    page.get_by_role("button", name="形成抽查计划").click()
    expect(page.locator(".flash-success")).to_have_text("已形成抽查计划并公开")
    expect(page.locator("h1 .badge")).to_have_text("已公开")
    screenshot(page, "plan-single-published")

    public = ctx.browser.new_context(locale="zh-CN").new_page()
    public.goto(live.url + "/public/plans")
    public.get_by_role("link", name=name).click()
    expect(public.locator("dl.public-plan")).to_contain_text(item_name)
    expect(public.locator("dl.public-plan")).to_contain_text("5%")

    page.goto(plan_url)
    task = page.locator("form.task-form")
    task.locator("input[name=name]").fill(f"第二季度抽查{tag}")
    task.locator("input[name=start_date]").fill("2026-04-01")
    task.locator("input[name=end_date]").fill("2026-06-30")
    task.locator("input[name=inspectors-own]").fill("2")
    task.get_by_role("button", name="制定抽查任务").click()
    expect(page.locator(".flash-success")).to_have_text("已制定抽查任务")
    expect(page.locator("table.tasks")).to_contain_text(f"第二季度抽查{tag}")
    screenshot(page, "plan-single-task")
    ctx.close()


def _joint_setup(live, tag):
    with live.app.app_context():
        clerk = db.session.execute(select(User).where(User.account == "wangxy")).scalar_one()
        health = db.session.execute(select(Department).where(Department.name == "锦华区卫生健康局")).scalar_one()
        joint_item(clerk.department, health, name=f"浏览器联合检查{tag}")
        db.session.commit()


def _start_joint(browser, live, tag, name, plan_type):
    ctx, clerk = _as(browser, live, "wangxy")
    clerk.goto(live.url + "/plans/new?kind=joint")
    clerk.get_by_label(re.compile(f"浏览器联合检查{tag}")).check()
    clerk.fill("input[name=year]", "2026")
    clerk.select_option("select[name=plan_type]", plan_type)
    _fill_elements(clerk, "main form", name=name)
    clerk.get_by_role("button", name="填写计划信息").click()
    clerk.wait_for_url(re.compile(r".*/plans/\d+$"))
    expect(clerk.locator(".current-step")).to_have_text("征求参与部门意见")
    clerk.get_by_role("button", name="发送征求意见").click()
    expect(clerk.locator(".flash-success")).to_have_text("已发送征求意见")
    return ctx, clerk, clerk.url


def _feedback(browser, live, name, text):
    ctx, health = _as(browser, live, "zhaom")
    health.locator("tr", has_text=name).get_by_role("link", name="办理").click()
    health.wait_for_url(re.compile(r".*/plans/\d+$"))
    expect(health.locator(".current-step")).to_have_text("反馈意见")
    health.fill("textarea[name=feedback]", text)
    health.get_by_role("button", name="提出意见").click()
    expect(health.locator(".flash-success")).to_have_text("已反馈意见")
    ctx.close()


def test_joint_plan_feedback_return_adjust_approve(browser, live_server):
    live = live_server
    tag = uuid.uuid4().hex[:6]
    name = f"2026年度联合抽查计划{tag}"
    _joint_setup(live, tag)
    ctx, clerk, url = _start_joint(browser, live, tag, name, "annual")
    _feedback(browser, live, name, "建议抽查户数调整为20户")

    clerk.goto(url)
    expect(clerk.locator("table.parties")).to_contain_text("建议抽查户数调整为20户")
    clerk.locator("form[action$='/form'] input[name=sample_size]").fill("20")
    clerk.get_by_role("button", name="确认形成抽查计划").click()
    expect(clerk.locator(".current-step")).to_have_text("报联席会议办公室")
    clerk.get_by_role("button", name="报联席会议办公室审定").click()
    expect(clerk.locator(".flash-success")).to_have_text("已报联席会议办公室审定")

    octx, office = _as(browser, live, "zhengh")
    office.locator("tr", has_text=name).get_by_role("link", name="办理").click()
    office.wait_for_url(re.compile(r".*/plans/\d+$"))
    office.fill("textarea[name=comment]", "抽查户数偏少，请调整")
    office.get_by_role("button", name="退回调整").click()
    expect(office.locator(".flash-success")).to_have_text("已退回发起部门调整")

    clerk.goto(url)
    expect(clerk.locator(".return-reason")).to_have_text("联席会议办公室退回理由：抽查户数偏少，请调整")
    clerk.locator("form[action$='/adjust'] input[name=sample_size]").fill("40")
    clerk.get_by_role("button", name="重新提交审定").click()
    expect(clerk.locator(".current-step")).to_have_text("审定计划可行性")

    office.goto(url)
    screenshot(office, "plan-joint-review")
    office.get_by_role("button", name="审定通过").click()
    expect(office.locator("h1 .badge")).to_have_text("已公开")
    expect(office.locator("dl.plan-props")).to_contain_text("40")
    octx.close()
    ctx.close()


def test_ad_hoc_joint_plan_skips_the_review(browser, live_server):
    live = live_server
    tag = uuid.uuid4().hex[:6]
    name = f"临时联合抽查计划{tag}"
    _joint_setup(live, tag)
    ctx, clerk, url = _start_joint(browser, live, tag, name, "ad_hoc")
    _feedback(browser, live, name, "同意，建议提前告知")
    clerk.goto(url)
    clerk.get_by_role("button", name="确认并公开").click()
    expect(clerk.locator(".flash-success")).to_have_text("已形成联合双随机抽查计划并公开")
    expect(clerk.locator("h1 .badge")).to_have_text("已公开")
    expect(clerk.locator("table.history")).not_to_contain_text("报联席会议办公室")
    ctx.close()
