"""监管认领 in a real browser (seed 004 监管措施规则 §1.2, docs/daily.md): the clerk claims an
entity by name on 监管对象, and it is listed as the department's object (source 认领)."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in

pytestmark = pytest.mark.browser


def _entity(live) -> str:
    from sqlalchemy import select

    from infrastructure.validators import uscc_check_char
    from models import User, db
    from services.entities import create_entity

    tag = uuid.uuid4().hex[:4].upper()
    name = f"浏览器认领{tag}餐饮管理有限公司"
    body = f"91510108MA6T{int(tag, 16) % 100000:05d}"
    with live.app.app_context():
        clerk = db.session.execute(select(User).where(User.account == "wangxy")).scalar_one()
        create_entity(clerk, {"name": name, "uscc": body + uscc_check_char(body), "entity_type": "enterprise",
                              "division_code": "510108001000", "status": "active", "industry_code": "H6210"})
        db.session.commit()
    return name


def test_single_claim_lists_the_entity_as_an_object(browser, live_server):
    name = _entity(live_server)
    context, page = signed_in(browser, live_server, "wangxy")

    page.goto(live_server.url + "/daily/objects")
    page.fill("input[name=query]", name)
    page.get_by_role("button", name="认领", exact=True).click()
    expect(page.locator(".flash-success")).to_contain_text(f"已将“{name}”列为监管对象")
    expect(page.locator("main")).to_contain_text(name)
    # claiming it again is refused in Chinese, nothing doubled
    page.fill("input[name=query]", name)
    page.get_by_role("button", name="认领", exact=True).click()
    expect(page.locator(".flash-error")).to_contain_text("已是本部门的监管对象")
    context.close()
