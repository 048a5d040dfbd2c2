"""表13 编辑 and 表14 删除 of a published joint item in a real browser, each step signed in as
the standard's role for it: the initiator (监管部门 发起部门, 王晓燕), the participant (卫生健康局,
赵敏) and the conference office (郑红); the public list (/public/items) follows."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in as _as

pytestmark = pytest.mark.browser
FORM = {"objects": "旅馆、民宿", "methods": ["实地核查"], "levels": ["区县级"], "own_tasks": "旅馆业食品安全检查",
        "domain": "住宿业"}


def _published(live, name: str) -> int:
    """A joint item through 表12 (initiator, participant, office) by the services, committed."""
    from sqlalchemy import select

    from models import User, db
    from services import joint_item_queries
    from services import joint_items as svc

    with live.app.app_context():
        user = {a: db.session.execute(select(User).where(User.account == a)).scalar_one()
                for a in ("wangxy", "zhaom", "zhengh")}
        clerk, health, office = user["wangxy"], user["zhaom"], user["zhengh"]
        item = svc.create(clerk, {**FORM, "name": name}, [health.department_id])

        def v(u, step):
            return joint_item_queries.my_steps(u, joint_item_queries.active_instance(item))[step].version

        svc.consult(clerk, item, v(clerk, "consult"), {**FORM, "name": name}, [health.department_id])
        svc.participate(health, item, v(health, "participate"), True)
        svc.own_list(clerk, item, v(clerk, "own_list"), "旅馆业食品安全检查", ["区县级"])
        svc.own_list(health, item, v(health, "own_list"), "公共场所卫生监督检查", ["区县级"])
        steps = joint_item_queries.my_steps(clerk, joint_item_queries.active_instance(item))
        if "collect" in steps:
            svc.collect(clerk, item, steps["collect"].version)
        svc.submit(clerk, item, v(clerk, "submit"))
        svc.review(office, item, v(office, "review"), True)
        db.session.commit()
        return item.id


def _open_from_inbox(page, live, name: str) -> None:
    page.goto(live.url + "/inbox")
    page.locator("tr", has_text=name).get_by_role("link", name="办理").first.click()
    page.wait_for_url(re.compile(r".*/joint-items/\d+$"))


def _public(page, live, text: str):
    page.goto(f"{live.url}/public/items?q={text}")
    return page.locator("#public-items")


def test_edit_a_published_joint_item(browser, live_server):
    live = live_server
    old, new = "浏览器编辑前联合事项", "浏览器编辑后联合事项"
    ident = _published(live, old)
    item_url = f"{live.url}/joint-items/{ident}"

    # 发起部门: 选择拟编辑的抽查事项, modify it and 征求参与部门意见.
    ctx, clerk = _as(browser, live, "wangxy")
    clerk.goto(item_url)
    clerk.locator("form[action$='/edit'] textarea[name=reason]").fill("检查对象范围调整")
    clerk.get_by_role("button", name="选择拟编辑的抽查事项").click()
    expect(clerk.locator(".current-step")).to_have_text("征求参与部门意见")
    clerk.fill("#my-step input[name=name]", new)
    clerk.get_by_role("button", name="发送征求意见").click()
    expect(clerk.locator(".flash-success")).to_have_text("已发送征求意见")
    # Until the office approves, the public list still shows the published version.
    expect(_public(clerk, live, "浏览器编辑")).to_contain_text(old)

    # 参与部门: 确认是否参与 → 参与, then 确定本部门实施清单 (its own list).
    hctx, health = _as(browser, live, "zhaom")
    _open_from_inbox(health, live, old)
    expect(health.locator(".current-step")).to_have_text("确认是否参与")
    health.get_by_role("button", name="参与", exact=True).click()
    expect(health.locator(".current-step")).to_have_text("确定本部门实施清单")
    health.fill("textarea[name=tasks]", "住宿场所卫生监督检查")
    health.check("#my-step input[name=levels][value=区县级]")
    health.get_by_role("button", name="确定").click()
    expect(health.locator(".flash-success")).to_have_text("已确定本部门实施清单")

    # 发起部门: its own list, 归集 when the platform has not, 提交审定.
    clerk.goto(item_url)
    clerk.get_by_role("button", name="确定").click()
    expect(clerk.locator(".flash-success")).to_be_visible()
    if clerk.get_by_role("button", name="归集").count():
        clerk.get_by_role("button", name="归集").click()
    expect(clerk.locator(".current-step")).to_have_text("提交审定")
    clerk.get_by_role("button", name="提交审定").click()
    expect(clerk.locator(".flash-success")).to_have_text("已提交联席会议办公室审定")

    # 联席会议办公室: 审定编辑依据 → 审定通过; the platform publishes the new version.
    octx, office = _as(browser, live, "zhengh")
    _open_from_inbox(office, live, old)
    expect(office.locator(".current-step")).to_have_text("审定编辑依据")
    expect(office.locator("table.parts")).to_contain_text("住宿场所卫生监督检查")
    office.get_by_role("button", name="审定通过").click()
    expect(office.locator(".flash-success")).to_have_text("已审定通过")
    expect(office.locator("h1")).to_contain_text(new)
    expect(office.locator("#my-step")).to_have_count(0)

    table = _public(office, live, "浏览器编辑")
    expect(table.locator("tr", has_text=new)).to_contain_text("第2版")
    expect(table).not_to_contain_text(old)
    for c in (ctx, hctx, octx):
        c.close()


def test_delete_a_published_joint_item(browser, live_server):
    live = live_server
    name = "浏览器待删除联合事项"
    ident = _published(live, name)
    item_url = f"{live.url}/joint-items/{ident}"
    ctx, clerk = _as(browser, live, "wangxy")
    expect(_public(clerk, live, name)).to_contain_text(name)

    # 发起部门: 选择拟删除的抽查事项 → 选定, then 告知参与部门.
    clerk.goto(item_url)
    clerk.locator("form[action$='/delete'] textarea[name=reason]").fill("该联合检查已并入年度计划")
    clerk.get_by_role("button", name="选择拟删除的抽查事项").click()
    expect(clerk.locator(".current-step")).to_have_text("告知参与部门")
    clerk.get_by_role("button", name="告知").click()
    expect(clerk.locator(".flash-success")).to_have_text("已告知参与部门")

    # 参与部门 sees the notice on its list.
    hctx, health = _as(browser, live, "zhaom")
    health.goto(live.url + "/joint-items/")
    expect(health.locator(".notice-delete", has_text=name)).to_be_visible()

    # 发起部门: 提交审定.
    clerk.goto(item_url)
    expect(clerk.locator(".current-step")).to_have_text("提交审定")
    clerk.get_by_role("button", name="提交审定").click()
    expect(clerk.locator(".flash-success")).to_have_text("已提交联席会议办公室审定")

    # 联席会议办公室: 审定删除依据 → 审定通过.
    octx, office = _as(browser, live, "zhengh")
    _open_from_inbox(office, live, name)
    expect(office.locator(".current-step")).to_have_text("审定删除依据")
    office.get_by_role("button", name="审定通过").click()
    expect(office.locator(".flash-success")).to_have_text("已审定通过")
    # Still public until the initiator deletes it.
    expect(_public(office, live, name)).to_contain_text(name)

    # 发起部门: 删除抽查事项 (confirmed); the platform withdraws the publication.
    clerk.on("dialog", lambda dialog: dialog.accept())
    clerk.goto(item_url)
    expect(clerk.locator(".current-step")).to_have_text("删除抽查事项")
    clerk.locator("#my-step").get_by_role("button", name="删除").click()
    expect(clerk.locator(".flash-success")).to_have_text("已删除抽查事项，平台已撤下公布")
    expect(clerk.locator("h1 .badge")).to_have_text("已删除")
    table = _public(clerk, live, name)
    expect(table).to_contain_text("暂无公布的抽查事项")
    expect(table).not_to_contain_text(name)
    for c in (ctx, hctx, octx):
        c.close()
