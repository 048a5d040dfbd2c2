"""触发式双随机监管 (表28, docs/trigger.md) in a real browser: the clerk 建立触发式规则 on a
风险库 rule, the platform fills the 触发式对象库 at once, the clerk filters it by the rule and
提取监管对象 into a task of the department, which the task's draw then weights."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, signed_in
from tests.browser.registry_data import warned_entity

pytestmark = pytest.mark.browser


def _warned_entity_and_task(live) -> tuple[str, str]:
    from sqlalchemy import select

    from models import User, db
    from tests.factories.tasks import make_task

    entity, _code = warned_entity(live)
    with live.app.app_context():
        clerk = db.session.execute(select(User).where(User.account == "wangxy")).scalar_one()
        task = make_task(clerk.department, name=f"触发式抽查任务{uuid.uuid4().hex[:4]}")
        db.session.commit()
        return entity, task.name


def test_rule_fills_the_library_and_its_objects_go_into_a_task(browser, live_server):
    entity, task = _warned_entity_and_task(live_server)
    context, page = signed_in(browser, live_server, "wangxy")

    page.goto(live_server.url + "/trigger/rules/new")
    name = f"涉诉触发{uuid.uuid4().hex[:4]}"
    page.fill("input[name=name]", name)
    page.select_option("select[name=source]", "risk_rule")
    page.check("input[name=p_codes][value=lawsuits]")
    page.fill("input[name=weight]", "0")
    page.get_by_role("button", name="建立规则").click()
    expect(page.locator("main")).to_contain_text("权重应为大于0的整数")  # refused, what was typed is kept
    expect(page.locator("input[name=name]")).to_have_value(name)
    page.fill("input[name=weight]", "3")
    page.get_by_role("button", name="建立规则").click()
    expect(page.locator(".flash-success")).to_contain_text("触发式对象库已按规则生成")
    rule_url = page.url

    page.goto(rule_url + "/extract")  # what 我的待办's 提取监管对象 opens
    row = page.locator("table.trigger-objects tbody tr", has_text=entity)
    expect(row.locator("td.weight")).to_have_text("4")  # 1 + the rule's weight
    page.select_option("select[name=task_id]", label=task)
    page.get_by_role("button", name="提取").click()
    expect(page.locator(".flash-success")).to_contain_text(f"至抽查任务“{task}”")
    page.wait_for_url(re.compile(r".*/tasks/\d+$"))
    screenshot(page, "trigger-extracted")
    context.close()
