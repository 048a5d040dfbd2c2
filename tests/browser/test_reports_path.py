"""灵活报表 in a real browser (seed 004 §8.2, docs/reports.md): the clerk defines a report by
fields and 分派 it to two child units; one unit's clerk fills it online and 上报; the clerk sees
the 汇总 and the 已报 / 未报 figures."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _units(live, tag: str) -> str:
    """Two child units of the bureau, the first with a clerk; returns the clerk's account."""
    from sqlalchemy import select

    from models import Department, User, UserRole, db, utcnow
    from models.org import DepartmentLevel
    from models.roles import Role
    from persistence.org import place_department

    with live.app.app_context():
        bureau = db.session.execute(select(Department).where(Department.name == "锦华区市场监督管理局")).scalar_one()
        units = []
        for name in (f"报表一所{tag}", f"报表二所{tag}"):
            unit = Department(name=name, parent=bureau, level=DepartmentLevel.STATION, region_code="510108")
            db.session.add(unit)
            db.session.flush()
            place_department(unit, bureau)
            units.append(unit)
        wangxy = db.session.execute(select(User).where(User.account == "wangxy")).scalar_one()
        clerk = User(account=f"rpt{tag}", name="报表经办人", department=units[0], password_hash=wangxy.password_hash,
                     must_change_password=False, password_changed_at=utcnow())
        clerk.roles = [UserRole(role=str(Role.CLERK))]
        db.session.add(clerk)
        db.session.commit()
    return f"rpt{tag}"


def _sign_in(browser, live, account: str):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(live.url + "/login")
    page.fill("input[name=account]", account)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/inbox$"))
    return context, page


def test_define_assign_fill_online_and_see_the_summary(browser, live_server):
    tag = uuid.uuid4().hex[:4]
    account = _units(live_server, tag)
    name = f"浏览器测试报表{tag}"
    clerk_context, page = _sign_in(browser, live_server, "wangxy")
    expect(page.locator("nav a[href='/reports/']")).to_have_count(1)  # the menu entry
    page.goto(live_server.url + "/reports/")
    page.get_by_role("link", name="制定报表").click()
    page.fill("#f-name", name)
    page.select_option("#f-kind", "once")
    page.fill("#f-start", "2026-12-01")
    page.fill("#f-end", "2026-12-31")
    page.fill("#f-due", "2026-12-31")
    page.fill("#f-fields", "检查户次\n发现问题数")
    expect(page.locator("#mark-help")).to_contain_text("{{数值:项目名称}}")
    page.get_by_role("button", name="制定报表").click()
    expect(page.locator(".flash-success")).to_contain_text("已制定报表")
    page.get_by_label(f"报表一所{tag}").check()
    page.get_by_label(f"报表二所{tag}").check()
    page.get_by_role("button", name="分派").click()
    expect(page.locator(".flash-success")).to_contain_text("已分派给 2 个下级单位")
    report_url = page.url

    unit_context, unit = _sign_in(browser, live_server, account)
    unit.goto(live_server.url + "/reports/")
    unit.locator("#report-pending tr", has_text=name).get_by_role("link", name="填报").click()
    unit.get_by_label("检查户次").fill("二十")
    unit.get_by_role("button", name="保存").click()
    expect(unit.locator(".flash-error")).to_contain_text("应为数字")
    expect(unit.get_by_label("检查户次")).to_have_value("二十")
    unit.get_by_label("检查户次").fill("20")
    unit.get_by_label("发现问题数").fill("3")
    unit.once("dialog", lambda dialog: dialog.accept())
    unit.get_by_role("button", name="上报").click()
    expect(unit.locator("#submission-state")).to_have_text("正常报")
    unit_context.close()

    page.goto(report_url)
    row = page.locator("#report-stats tr[data-period=once]")
    expect(row.locator("a.stat-已报").first).to_have_text("1")
    expect(row.locator("a.stat-未报")).to_have_text("1")
    page.get_by_role("link", name="报表汇总").click()
    expect(page.locator("#summary-table tr", has_text="检查户次").locator("td.total")).to_have_text("20")
    clerk_context.close()
