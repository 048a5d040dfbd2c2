"""The bulk actions on a task's records in a real browser: a member's 全部确认 lists what was
confirmed; the leader marks 检查完成, ticks the records and submits them, then ticks and
approves them (services/record_bulk.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from models import InspectionRecord, Task, User, db
from services import inspection_review
from services import inspections as svc
from tests.browser.conftest import signed_in as _as
from tests.browser.steps import dispatched_task as _dispatched
from tests.factories.inspections import record_form

pytestmark = pytest.mark.browser


def test_confirm_all_then_submit_and_approve_the_ticked_records(browser, live_server):
    live = live_server
    ready = _dispatched(live, "bk1", joint=False)
    leader_account, member_account = ready.members
    with live.app.app_context():
        task = db.session.get(Task, ready.task_id)
        leader = db.session.query(User).filter_by(account=leader_account).one()
        record = svc.open_record(leader, task, svc.task_objects(task)[0].id, task.department_id)
        svc.save_record(leader, record, record_form(subject_name=record.subject_name), record.lock_version)
        svc.sign(leader, record, record.lock_version, signer_name="孙堃")
        inspection_review.confirm(leader, record, record.lock_version)
        db.session.commit()
        record_id, record_no = record.id, record.record_no
    page_url = f"{live.url}/tasks/{ready.task_id}/records"
    # the member: 待我确认, one click
    context, page = _as(browser, live, member_account)
    page.goto(page_url)
    expect(page.locator("#confirm-all")).to_contain_text(record_no)
    page.get_by_role("button", name="全部确认（1份）").click()
    expect(page.locator(".flash-success")).to_contain_text(f"已确认1份检查情况记录表：{record_no}")
    expect(page.locator("#confirm-all")).to_have_count(0)
    context.close()
    # the leader: 检查完成, tick, 提交审核; tick, 审核通过
    context, page = _as(browser, live, leader_account)
    page.goto(page_url)
    page.get_by_role("button", name="检查完成").click()
    expect(page.locator("#current-step")).to_have_text("录入检查结果")
    page.locator(f"input[type=checkbox][value='{record_id}']").check()
    page.locator("#record-step button[value=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text(f"已提交审核1份检查情况记录表：{record_no}")
    expect(page.locator("#current-step")).to_have_text("审核检查结果一致性、规范性")
    page.locator(f"input[type=checkbox][value='{record_id}']").check()
    page.locator("#review-step button[value=approve]").click()
    expect(page.locator(".flash-success")).to_contain_text(f"已审核通过1份检查情况记录表：{record_no}")
    expect(page.locator("#current-step")).to_have_text("完成抽查")
    context.close()
    with live.app.app_context():
        assert db.session.get(InspectionRecord, record_id).status.value == "published"
