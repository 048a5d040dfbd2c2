"""一户一档 in a real browser: from the entity list to the entity's dossier, then the timeline
filtered by kind and by department through htmx (the page itself stays)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, screenshot
from tests.browser.menu_nav import click_menu_entry

pytestmark = pytest.mark.browser

BODY = "91510108MA6BRD001"
NAME = "浏览器档案餐饮有限公司"


def _entity_with_facts(live) -> None:
    from sqlalchemy import select

    from infrastructure.validators import uscc_check_char
    from models import Department, FactSource, MarketEntity, Penalty, Permit, SupervisionRecord, User, db
    from services.entities import create_entity

    with live.app.app_context():
        code = BODY + uscc_check_char(BODY)
        if db.session.execute(select(MarketEntity.id).where(MarketEntity.uscc == code)).first():
            return
        clerk = db.session.execute(select(User).where(User.account == "wangxy")).scalar_one()
        health = db.session.execute(select(Department).where(Department.name == "锦华区卫生健康局")).scalar_one()
        entity = create_entity(clerk, {
            "name": NAME, "uscc": code, "entity_type": "enterprise", "division_code": "510108001000",
            "status": "active", "industry_code": "H6210", "established_on": "2018-04-01",
        })
        common = {"entity_id": entity.id, "source_kind": FactSource.ONLINE}
        db.session.add_all([
            Permit(permit_no="JY-BR-1", name="食品经营许可证", kind="食品经营许可", valid_from=date(2019, 1, 1),
                   source_department_id=clerk.department_id, **common),
            Penalty(decision_no="锦华市监罚〔2024〕1号", decided_on=date(2024, 5, 6), violation="超范围经营",
                    source_department_id=clerk.department_id, **common),
            SupervisionRecord(inspected_on=date(2025, 3, 3), department="锦华区卫生健康局", kind="日常检查",
                              result="未发现问题", source_department_id=health.id, **common),
        ])
        db.session.commit()


def test_open_a_dossier_and_filter_its_timeline(page, live_server):
    _entity_with_facts(live_server)
    page.goto(live_server.url + "/login")
    page.fill("input[name=account]", "wangxy")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/inbox$"))

    click_menu_entry(page, "市场主体库")
    page.fill("input[name=name]", NAME)
    page.get_by_role("link", name=NAME).click()
    page.get_by_role("link", name="一户一档").click()
    expect(page.locator("h1")).to_contain_text("一户一档")
    expect(page.locator("#section-permit")).to_contain_text("JY-BR-1")
    events = page.locator("#timeline-events li")
    expect(events.first).to_contain_text("成立")
    expect(events).to_have_count(4)

    page.select_option("select[name=kind]", "penalty")
    expect(page.locator("#timeline-events li")).to_have_count(1)
    expect(page.locator("#timeline-events")).to_contain_text("受到行政处罚：超范围经营")
    page.select_option("select[name=kind]", "")
    page.select_option("select[name=department]", label="锦华区卫生健康局")
    expect(page.locator("#timeline-events li")).to_have_count(1)
    expect(page.locator("#timeline-events")).to_contain_text("接受监督检查")
    expect(page.locator("#section-penalty")).to_contain_text("锦华市监罚〔2024〕1号")  # the page stayed
    screenshot(page, "dossier_timeline")
