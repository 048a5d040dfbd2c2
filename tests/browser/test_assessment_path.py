"""考核 in a real browser (seed 004《应用考核办法》, docs/assessment.md): the 联席会议办公室 computes
the year's scorecard, opens a unit's card, follows its deduction to the record it cites, and
scores 制度健全 with an evidence file."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _late_sanction(live) -> None:
    from sqlalchemy import select

    from infrastructure import clock
    from infrastructure.validators import uscc_check_char
    from models import Department, User, db
    from models.facts import FactSource, Sanction
    from services.entities import create_entity

    year = clock.china_today().year
    with live.app.app_context():
        clerk = db.session.execute(select(User).where(User.account == "wangxy")).scalar_one()
        body = "91510108MA6K00042"
        entity = create_entity(clerk, {"name": "考核浏览器测试有限公司", "uscc": body + uscc_check_char(body),
                                       "entity_type": "enterprise", "division_code": "510108001000",
                                       "status": "active", "industry_code": "H6210"})
        bureau = db.session.execute(select(Department).where(Department.name == "锦华区市场监督管理局")).scalar_one()
        db.session.add(Sanction(source_department_id=bureau.id, source_kind=FactSource.ONLINE, entity_id=entity.id,
                                list_kind="严重违法失信名单", decided_on=date(year, 6, 1),
                                received_at=clock.from_china(datetime(year, 6, 12, 10))))
        db.session.commit()


def test_office_computes_the_scorecard_and_judges_with_evidence(browser, live_server, tmp_path):
    _late_sanction(live_server)
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(live_server.url + "/login")
    page.fill("input[name=account]", "zhengh")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/inbox$"))

    page.goto(live_server.url + "/assessment/")
    page.get_by_role("button", name="计算考核结果").click()
    expect(page.locator(".flash-success")).to_contain_text("考核结果")
    expect(page.locator("main table")).to_contain_text("锦华区市场监督管理局")
    page.get_by_role("link", name="锦华区市场监督管理局").click()
    expect(page.locator("main")).to_contain_text("−5")
    page.get_by_role("link", name=re.compile(r"归集信息·惩戒信息 #\d+")).first.click()
    expect(page.locator("main")).to_contain_text("认定日期")
    expect(page.locator("main")).to_contain_text("考核浏览器测试有限公司")
    page.get_by_role("link", name=re.compile("返回锦华区市场监督管理局评分表")).click()

    page.get_by_role("link", name="修改人工评定").click()
    page.get_by_label("未建立相关制度扣5分。 扣分").select_option("5")
    page.get_by_label("未建立相关制度扣5分。 评定依据").fill("未提交平台使用管理制度")
    evidence = tmp_path / "核查记录.pdf"
    evidence.write_bytes(b"%PDF-1.4\n%%EOF\n")
    page.get_by_label("未建立相关制度扣5分。 佐证材料").set_input_files(str(evidence))
    page.get_by_role("button", name="保存评定").click()
    expect(page.locator(".flash-success")).to_contain_text("已保存1项评定")
    expect(page.locator("main")).to_contain_text("核查记录.pdf")
    context.close()
