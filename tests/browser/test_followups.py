"""更正 in a real browser: the clerk requests a correction of a published result on the record's
后续处理 page, the department leader finds it in 我的待办 and approves it, and the public page
shows version 2 marked 已更正 with the earlier version kept."""

from __future__ import annotations

import random
import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from models import Department, User, db
from tests.browser.conftest import screenshot
from tests.browser.conftest import signed_in as _as
from tests.factories.followups import published_record

pytestmark = pytest.mark.browser


def test_correction_request_approval_and_public_page(browser, live_server):
    with live_server.app.app_context():
        bureau = db.session.query(Department).filter_by(name="锦华区市场监督管理局").one()
        org = SimpleNamespace(
            bureau_a=bureau,
            clerk_a=db.session.query(User).filter_by(account="wangxy").one(),
        )
        record = published_record(org, note="责令限期改正", n=random.randint(20000, 89999))
        record_id, record_no, subject = record.id, record.record_no, record.subject_name

    # the clerk: the record's 后续处理 page → 申请更正 (a reason is required by the form)
    context, page = _as(browser, live_server, "wangxy")
    page.goto(f"{live_server.url}/followups/records/{record_id}")
    expect(page.locator("#publication-state")).to_contain_text("第1版")
    form = page.locator("#request-correction")
    form.locator("select[name=result]").select_option(label="未发现问题")
    form.locator("textarea[name=result_note]").fill("经复核，未发现问题")
    form.get_by_role("button", name="申请更正").click()
    expect(form.locator("textarea:invalid")).to_have_count(1)  # 更正理由 still empty: not sent
    expect(page.locator(".flash-success")).to_have_count(0)
    form.locator("textarea[name=reason]").fill("执法人员录入时误选检查结果，经复核实际未发现问题")
    form.get_by_role("button", name="申请更正").click()
    expect(page.locator(".flash-success")).to_contain_text("已提交更正申请")
    expect(page.locator("tr.correction[data-status=pending]")).to_contain_text("检查结果：发现问题依法责令改正 → 未发现问题")
    context.close()

    # the department leader: 我的待办 → 审批检查结果更正 → 批准更正
    context, page = _as(browser, live_server, "lijg")
    row = page.locator("tr.waiting-correction", has_text=subject)
    expect(row).to_contain_text("审批检查结果更正")
    row.get_by_role("link", name="办理").click()
    page.wait_for_url(re.compile(rf".*/followups/records/{record_id}.*"))
    page.locator("#decide-correction input[name=comment]").fill("同意更正")
    page.locator("#decide-correction").get_by_role("button", name="批准更正").click()
    expect(page.locator(".flash-success")).to_contain_text("已批准更正，新版本已公示")
    expect(page.locator("#publication-state")).to_contain_text("第2版")
    expect(page.locator("#publication-state")).to_contain_text("已更正")
    context.close()

    # anyone: the public page shows version 2, 已更正 with the reason, and version 1 kept
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/public/results/{record_no}")
    expect(page.locator("#latest h2")).to_contain_text("第2版（更正第1版）")
    expect(page.locator("#corrected")).to_contain_text("已更正")
    expect(page.locator("#corrected")).to_contain_text("执法人员录入时误选检查结果")
    expect(page.locator("#latest")).to_contain_text("未发现问题")
    expect(page.locator("#versions")).to_contain_text("第1版")
    expect(page.locator("#versions")).to_contain_text("发现问题依法责令改正")
    screenshot(page, "followups-public-corrected")
    context.close()
