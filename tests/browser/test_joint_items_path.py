"""表12 in a real browser across three users: the initiator adds a joint item and consults,
the participant accepts from its inbox and settles its own list, the initiator submits, the
conference office approves, and the item is published."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.conftest import signed_in as _as

pytestmark = pytest.mark.browser
NAME = "住宿业公共卫生联合检查"


def _open_from_inbox(page, live):
    page.goto(live.url + "/inbox")
    page.locator("tr", has_text=NAME).get_by_role("link", name="办理").click()
    page.wait_for_url(re.compile(r".*/joint-items/\d+$"))


def test_joint_item_add_across_three_users(browser, live_server):
    live = live_server
    ctx, clerk = _as(browser, live, "wangxy")
    clerk.goto(live.url + "/joint-items/new")
    clerk.fill("input[name=name]", NAME)
    clerk.fill("input[name=objects]", "旅馆、民宿")
    clerk.check("input[name=methods][value=实地核查]")
    clerk.check("input[name=levels][value=区县级]")
    clerk.fill("textarea[name=own_tasks]", "旅馆业食品安全检查")
    clerk.get_by_label("锦华区卫生健康局").check()
    clerk.get_by_role("button", name="提交").click()
    clerk.wait_for_url(re.compile(r".*/joint-items/\d+$"))
    expect(clerk.locator(".current-step")).to_have_text("征求参与部门意见")
    screenshot(clerk, "joint-item-consult")
    clerk.get_by_role("button", name="发送征求意见").click()
    expect(clerk.locator(".flash-success")).to_have_text("已发送征求意见")
    item_url = clerk.url

    hctx, health = _as(browser, live, "zhaom")
    _open_from_inbox(health, live)
    expect(health.locator(".current-step")).to_have_text("确认是否参与")
    health.get_by_role("button", name="参与", exact=True).click()
    expect(health.locator(".current-step")).to_have_text("确定本部门实施清单")
    health.fill("textarea[name=tasks]", "公共场所卫生监督检查")
    health.check("#my-step input[name=levels][value=区县级]")
    health.get_by_role("button", name="确定").click()
    expect(health.locator(".flash-success")).to_have_text("已确定本部门实施清单")

    clerk.goto(item_url)
    clerk.get_by_role("button", name="确定").click()
    expect(clerk.locator(".current-step")).to_have_text("提交审定")
    clerk.get_by_role("button", name="提交审定").click()
    expect(clerk.locator(".flash-success")).to_have_text("已提交联席会议办公室审定")

    octx, office = _as(browser, live, "zhengh")
    _open_from_inbox(office, live)
    expect(office.locator("table.parts")).to_contain_text("公共场所卫生监督检查")
    screenshot(office, "joint-item-review")
    office.get_by_role("button", name="审定通过").click()
    expect(office.locator("h1 .badge")).to_have_text("已公布")
    expect(office.locator("#my-step")).to_have_count(0)
    screenshot(office, "joint-item-published")
    # The initiator may now start 表13 or 表14 from the item's page.
    clerk.goto(item_url)
    expect(clerk.get_by_role("button", name="选择拟编辑的抽查事项")).to_be_visible()
    screenshot(clerk, "joint-item-initiator-published")
    for c in (ctx, hctx, octx):
        c.close()
