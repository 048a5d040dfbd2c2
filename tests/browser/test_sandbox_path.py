"""信用沙盒触发式监管 (表27, docs/sandbox.md) in a real browser: the clerk puts an entity into the
sandbox entity library by its code, defines a 预警 item on 风险库 hits, starts the monitor, and
the entity's 预警线索 appears in the clue list (the monitor runs as a background job)."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, signed_in
from tests.browser.registry_data import warned_entity

pytestmark = pytest.mark.browser


def test_monitor_turns_a_library_entity_with_a_hit_into_a_clue(browser, live_server):
    entity, code = warned_entity(live_server)
    context, page = signed_in(browser, live_server, "wangxy")

    page.goto(live_server.url + "/sandbox/")
    page.fill("textarea[name=codes]", code)
    page.get_by_role("button", name="导入").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("main")).to_contain_text(entity)

    page.goto(live_server.url + "/sandbox/items/new")
    item = f"涉诉预警{uuid.uuid4().hex[:4]}"
    page.fill("input[name=name]", item)
    page.select_option("select[name=condition]", "risk_rule")
    page.check("input[name=rule_codes][value=lawsuits]")
    page.check("input[name=level][value=预警]")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".flash-success")).to_contain_text(f"已保存信用沙盒事项“{item}”")

    page.goto(live_server.url + "/sandbox/clues")
    page.get_by_role("button", name="立即监测").click()
    expect(page.locator(".flash-success")).to_contain_text("已开始监测")
    row = page.locator("table tbody tr", has_text=entity)
    for _ in range(20):  # the job runs in the server's job thread
        if row.count():
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(row).to_contain_text(item)
    expect(row).to_contain_text("预警")
    screenshot(page, "sandbox-clue")
    context.close()
