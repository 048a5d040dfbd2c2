"""一业一评、一业一册 in a real browser: the clerk picks an industry and a year, reads the
evaluation and opens both PDFs."""

from __future__ import annotations

import re
import uuid
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from models import Department, User, db
from tests.browser.conftest import screenshot
from tests.browser.conftest import sign_in as _sign_in
from tests.factories.industry import OK, ORDERED, industry_task

pytestmark = pytest.mark.browser


def test_industry_evaluation_and_handbook(page, live_server):
    tag = uuid.uuid4().hex[:6]
    with live_server.app.app_context():
        org = SimpleNamespace(
            bureau_a=db.session.query(Department).filter_by(name="锦华区市场监督管理局").one(),
            health_a=db.session.query(Department).filter_by(name="锦华区卫生健康局").one(),
            clerk_a=db.session.query(User).filter_by(account="wangxy").one(),
        )
        industry_task(org, industry="K7010", year=2024, results=(OK, ORDERED),
                      lines={1: [(f"物业服务收费公示{tag}", "未公示收费标准")]})
        db.session.commit()

    _sign_in(page, live_server, "wangxy")
    page.wait_for_url(re.compile(r".*/inbox$"))
    page.goto(live_server.url + "/industry/")
    expect(page.locator(".industry-overview")).to_contain_text("K 房地产业")
    page.select_option("select[name=industry]", "K")
    page.fill("input[name=year]", "2024")
    page.get_by_role("button", name="查看一业一评").click()
    expect(page.locator("h1")).to_have_text("2024年度房地产业双随机“一业一查”一业一评")
    expect(page.locator(".industry-categories")).to_contain_text("发现问题依法责令改正")
    expect(page.locator(".industry-problems")).to_contain_text(f"物业服务收费公示{tag}")
    screenshot(page, "industry_evaluation")
    for name in ("一业一评（PDF）", "合规经营指导手册（PDF）"):
        href = page.get_by_role("link", name=name).get_attribute("href")
        resp = page.request.get(live_server.url + href)
        assert resp.status == 200 and resp.body().startswith(b"%PDF"), name

    page.goto(live_server.url + "/industry/evaluation?industry=C&year=2024")
    expect(page.locator("[role=alert]")).to_contain_text("没有已派发的部门联合抽查任务，无法生成一业一评")
