"""开展双随机检查 → 录入检查结果 → 审核检查结果一致性、规范性 → 公示检查结果 → 完成抽查 in a real
browser, for a 表20 single task and a 表22 joint task already dispatched to their teams (the
draw and dispatch pages have their own browser test, test_teams.py): the leader finds the task
in 我的待办, fills the 检查情况记录表 (F.1 header, A.3.1 rows, a photo, the entity's signature),
every member confirms, the leader marks 检查完成, a member submits, the leader returns once and
then approves, the platform publishes, the leader does 完成抽查, and the public result page shows
the result."""

from __future__ import annotations

import re
import uuid
from datetime import date

import pytest
from playwright.sync_api import expect

from models import Department, Inspector, db
from models.roles import Role
from tests.browser.conftest import _user, screenshot
from tests.browser.conftest import signed_in as _as
from tests.browser.steps import dispatched_task as _dispatched

pytestmark = pytest.mark.browser

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 256


def _inspector(dept: Department, account: str, name: str) -> Inspector:
    user = _user(account, name, dept, Role.INSPECTOR)
    inspector = Inspector(department_id=dept.id, name=name, cert_no=f"ZF{account}", cert_valid_from=date(2020, 1, 1),
                          cert_valid_to=date(2099, 12, 31), random_permission=True, user_id=user.id)
    db.session.add(inspector)
    db.session.flush()
    return inspector


def _fill(page, entity_name: str):
    """The edit form: F.1 and A.3.1 (the header is prefilled from the registry)."""
    expect(page.locator("#subject_name")).to_have_value(entity_name)
    page.select_option("#method", "实地核查")
    page.fill("#inspected_at", "2026-05-12T09:30")
    page.fill("#filled_on", "2026-05-12")
    page.fill("#findings", "现场检查，持证经营，从业人员健康证明齐全")
    page.locator("input[name=line_item]").nth(0).fill("食品经营许可")
    page.locator("textarea[name=line_content]").nth(0).fill("许可证在有效期内")
    page.locator("textarea[name=line_outcome]").nth(0).fill("符合")
    page.select_option("#result", label="未发现问题")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".flash-success")).to_contain_text("检查情况记录表已保存")


def _run(browser, live, tag: str, joint: bool):
    ready = _dispatched(live, tag, joint)
    leader = ready.members[0]
    # the leader: 我的待办 → the task's records → one record per 填报部门 of the object
    context, page = _as(browser, live, leader)
    row = page.locator("tr", has_text=ready.name)
    expect(row).to_contain_text("开展双随机检查")
    row.get_by_role("link", name="办理").click()
    page.wait_for_url(re.compile(rf".*/tasks/{ready.task_id}/records$"))
    expect(page.locator("#task-status")).to_contain_text("已派发")
    page.get_by_role("link", name=ready.entity).click()
    expect(page.locator("#advance-notice")).to_contain_text("依法依规不予提前告知")
    page.go_back()
    record_urls = []
    for dept in ready.departments:
        page.locator(f"td.record-cell[data-department='{dept}']").get_by_role("button", name="填写记录表").click()
        _fill(page, ready.entity)
        page.set_input_files("input[name=file]", files=[{"name": "现场照片.png", "mimeType": "image/png",
                                                         "buffer": PNG}])
        page.get_by_role("button", name=re.compile("上传证据材料")).click()
        expect(page.locator("#evidence")).to_contain_text("现场照片.png")
        page.locator("#sign-form input[name=signer_name]").fill("孙堃")
        page.get_by_role("button", name="记录签字").click()
        expect(page.locator("#signature")).to_contain_text("孙堃")
        page.get_by_role("button", name="确认记录表内容").click()
        expect(page.locator(".flash-success")).to_contain_text("已确认")
        record_urls.append(page.url)
        page.goto(f"{live.url}/tasks/{ready.task_id}/records")
    context.close()
    # the other member confirms each record
    context, page = _as(browser, live, ready.members[1])
    for url in record_urls:
        page.goto(url)
        page.get_by_role("button", name="确认记录表内容").click()
        expect(page.locator("#confirmations")).not_to_contain_text("未确认")
    context.close()
    # the leader: 检查完成, then submits; the member's submit of the last one opens the review
    context, page = _as(browser, live, leader)
    page.goto(f"{live.url}/tasks/{ready.task_id}/records")
    page.get_by_role("button", name="检查完成").click()
    expect(page.locator("#current-step")).to_have_text("录入检查结果")
    expect(page.locator("#task-status")).to_contain_text("检查中")
    for url in record_urls:
        page.goto(url)
        page.get_by_role("button", name="提交审核").click()
        expect(page.locator(".flash-success")).to_contain_text("已提交组长审核")
    page.goto(f"{live.url}/tasks/{ready.task_id}/records")
    expect(page.locator("#current-step")).to_have_text("审核检查结果一致性、规范性")
    # return the first with a reason
    page.goto(record_urls[0])
    page.fill("#review textarea[name=reason]", "检查时间有误，请核实")
    page.get_by_role("button", name="退回修改").click()
    expect(page.locator("#return-reason")).to_contain_text("检查时间有误")
    for url in record_urls[1:]:
        page.goto(url)
        page.get_by_role("button", name="审核通过").click()
        expect(page.locator(".flash-success")).to_contain_text("审核通过")
    page.goto(f"{live.url}/tasks/{ready.task_id}/records")
    expect(page.locator("#current-step")).to_have_text("录入检查结果")
    # fix the returned one: the change resets the confirmations, both confirm again, resubmit
    page.goto(record_urls[0])
    page.get_by_role("link", name="填写 / 修改").click()
    page.fill("#inspected_at", "2026-05-13T10:00")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#confirmations")).to_contain_text("未确认")
    context.close()
    context, page = _as(browser, live, ready.members[1])
    page.goto(record_urls[0])
    page.get_by_role("button", name="确认记录表内容").click()
    expect(page.locator(".flash-success")).to_contain_text("已确认")
    context.close()
    context, page = _as(browser, live, leader)
    page.goto(record_urls[0])
    page.get_by_role("button", name="确认记录表内容").click()
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator(".flash-success")).to_contain_text("已提交组长审核")
    page.get_by_role("button", name="审核通过").click()
    # 公示检查结果 is the platform's: the task is 已公示 and waits for 完成抽查
    page.goto(f"{live.url}/tasks/{ready.task_id}/records")
    expect(page.locator("#current-step")).to_have_text("完成抽查")
    expect(page.locator("#task-status")).to_contain_text("已公示")
    page.get_by_role("button", name="完成抽查").click()
    expect(page.locator(".flash-success")).to_contain_text("已完成抽查")
    expect(page.locator("#task-status")).to_contain_text("已完成")
    page.goto(record_urls[0])
    record_no = page.locator("#record-no").inner_text()
    context.close()
    # the public page, without signing in
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live.url}/public/results")
    page.get_by_role("link", name=record_no).click()
    expect(page.locator("#latest")).to_contain_text("未发现问题")
    expect(page.locator("#latest")).to_contain_text(ready.entity)
    expect(page.locator("#latest")).to_contain_text("2026-05-13")
    expect(page.locator("#latest")).not_to_contain_text("13800000000")
    expect(page.locator("#latest")).not_to_contain_text("孙堃")
    screenshot(page, f"inspection-public-{'joint' if joint else 'single'}")
    context.close()


def test_single_task_inspection_to_finish(browser, live_server):
    _run(browser, live_server, uuid.uuid4().hex[:6], joint=False)


def test_joint_task_inspection_to_finish(browser, live_server):
    _run(browser, live_server, uuid.uuid4().hex[:6], joint=True)
