"""随机抽取执法人员派发抽查任务 and 组成联合检查组 in a real browser (表22): each department's
clerk draws and dispatches on the team page, the drawn inspectors find the task in 我的待办, the
member confirms and the leader (from the initiating department) forms the team."""

from __future__ import annotations

import re
import uuid
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from models import Department, Inspector, User, db
from tests.browser.conftest import screenshot
from tests.browser.conftest import signed_in as _as
from tests.browser.steps import inspector as _inspector
from tests.factories.teams import make_task, start_task

pytestmark = pytest.mark.browser


def test_draw_dispatch_inbox_and_form_the_joint_team(browser, live_server):
    tag = uuid.uuid4().hex[:6]
    with live_server.app.app_context():
        bureau = db.session.query(Department).filter_by(name="锦华区市场监督管理局").one()
        health = db.session.query(Department).filter_by(name="锦华区卫生健康局").one()
        org = SimpleNamespace(
            bureau_a=bureau,
            clerk_a=db.session.query(User).filter_by(account="wangxy").one(),
            leader_a=db.session.query(User).filter_by(account="lijg").one(),
        )
        # Each department has exactly one eligible inspector, so the draw is known in advance;
        # other tests' inspectors of these departments are taken off duty for this one.
        for other in db.session.query(Inspector).filter(Inspector.department_id.in_([bureau.id, health.id])):
            other.random_permission = False
        _inspector(bureau, f"lead{tag}", f"组长{tag}")
        _inspector(health, f"memb{tag}", f"组员{tag}")
        task = make_task(org, inspectors=1, participants=(health,), participant_inspectors=1,
                         name=f"餐饮联合抽查任务{tag}")
        start_task(org, task)
        task_id, task_name, bureau_id, health_id = task.id, task.name, bureau.id, health.id
        db.session.commit()

    # the initiating department's clerk: 我的待办 → the team page → draw → dispatch
    context, page = _as(browser, live_server, "wangxy")
    row = page.locator("tr", has_text=task_name)
    expect(row).to_contain_text("随机抽取执法人员派发抽查任务")
    row.get_by_role("link", name="办理").click()
    page.wait_for_url(re.compile(rf".*/tasks/{task_id}/team$"))
    part = page.locator(f"#part-{bureau_id}")
    expect(part.locator(".eligible-count")).to_have_text("1")
    part.get_by_role("button", name="随机抽取执法人员（1人）").click()
    expect(page.locator(".flash-success")).to_contain_text("已随机抽取执法人员")
    expect(page.locator(f"#part-{bureau_id} table.team")).to_contain_text(f"组长{tag}")
    expect(page.locator(f"#part-{bureau_id} table.team")).to_contain_text("组长")
    page.locator(f"#part-{bureau_id}").get_by_role("button", name="派发抽查任务").click()
    expect(page.locator(".flash-success")).to_contain_text("已派发抽查任务")
    context.close()

    # the participating department's clerk does the same for its part
    context, page = _as(browser, live_server, "zhaom")
    page.locator("tr", has_text=task_name).get_by_role("link", name="办理").click()
    page.locator(f"#part-{health_id}").get_by_role("button", name="随机抽取执法人员（1人）").click()
    expect(page.locator(f"#part-{health_id} table.team")).to_contain_text(f"组员{tag}")
    page.locator(f"#part-{health_id}").get_by_role("button", name="派发抽查任务").click()
    expect(page.locator("#current-step")).to_have_text("组成联合检查组")
    screenshot(page, "team-dispatched")
    context.close()

    # the member finds it in 我的待办 and confirms
    context, page = _as(browser, live_server, f"memb{tag}")
    row = page.locator("tr", has_text=task_name)
    expect(row).to_contain_text("组成联合检查组")
    row.get_by_role("link", name="办理").click()
    page.get_by_role("button", name="确认参加").click()
    expect(page.locator(".flash-success")).to_contain_text("已确认参加联合检查组")
    context.close()

    # the leader forms the team
    context, page = _as(browser, live_server, f"lead{tag}")
    page.locator("tr", has_text=task_name).get_by_role("link", name="办理").click()
    expect(page.locator("#team-step")).to_contain_text("全体组员已确认参加")
    page.get_by_role("button", name="组成检查组").click()
    expect(page.locator(".flash-success")).to_contain_text("已组成联合检查组")
    expect(page.locator("#current-step")).to_have_text("开展双随机检查")
    expect(page.locator("#inspect-step")).to_contain_text("检查完成")
    screenshot(page, "team-formed")
    context.close()
