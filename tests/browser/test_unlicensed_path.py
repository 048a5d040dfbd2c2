"""表24 in a real browser, the main path: the conference office issues the 年度工作要点通知; the
member unit's liaison reports its 年度工作计划; the office 汇总 and issues the 年度综合治理工作方案;
the liaison makes the 专项整治方案 and draws its inspector (the shared inspector draw, re-computed
on the page); the inspector records an operator
not in the registry, judges it eligible and willing, 引导办照, and reports; the liaison reports to
the office, whose 汇总查处结果 counts the operator as 已引导办证, exports the Excel and prints the 汇总 PDF."""

from __future__ import annotations

import re
import uuid

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select

from infrastructure.passwords import hash_password
from models import Department, User, UserRole, db, utcnow
from models.conference import Conference, ConferenceMember
from models.roles import Role
from tests.browser.conftest import PASSWORD, screenshot

pytestmark = pytest.mark.browser


def _as(browser, live, account):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    page.goto(live.url + "/login")
    page.fill("input[name=account]", account)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/inbox$"))
    return context, page


def _people(live, tag):
    with live.app.app_context():
        office_user = db.session.execute(select(User).where(User.account == "zhengh")).scalar_one()
        health = db.session.execute(select(Department).where(Department.name == "锦华区卫生健康局")).scalar_one()
        made = []
        for account, name, role in ((f"ul{tag}", "卫健联络员", Role.MEMBER_LIAISON), (f"ui{tag}", "卫健执法员", Role.INSPECTOR)):
            user = User(account=account, name=name, department=health, password_hash=hash_password(PASSWORD),
                        must_change_password=False, password_changed_at=utcnow())
            user.roles = [UserRole(role=str(role))]
            db.session.add(user)
            made.append(user)
        db.session.flush()
        conference = Conference(name=f"锦华区无证无照经营综合治理{tag}", office_id=office_user.department_id)
        conference.members = [ConferenceMember(department_id=health.id, liaison_id=made[0].id)]
        db.session.add(conference)
        db.session.commit()
        return conference.id


def test_notice_plan_operator_guidance_report_and_summary(browser, live_server, tmp_path):
    live = live_server
    tag = uuid.uuid4().hex[:6]
    conference_id = _people(live, tag)

    office_ctx, office = _as(browser, live, "zhengh")
    office.goto(f"{live.url}/unlicensed/new")
    office.select_option("select[name=conference_id]", str(conference_id))
    office.fill("input[name=doc_no]", f"锦联办〔2026〕{tag}号")
    office.click("main button[type=submit]")
    expect(office.locator(".flash-success")).to_contain_text("已下发报送年度工作要点通知")
    cycle_url = office.url

    liaison_ctx, liaison = _as(browser, live, f"ul{tag}")
    liaison.goto(cycle_url)  # a member unit is sent to its own part
    liaison.fill("#annual-plan textarea[name=plan_content]", "全年排查无证无照经营者")
    liaison.click("#annual-plan button")
    expect(liaison.locator(".flash-success")).to_contain_text("已上报年度工作计划")
    unit_url = liaison.url

    office.goto(cycle_url)
    office.fill("textarea[name=plans_summary]", "已汇总")
    office.click("#collect button")
    expect(office.locator(".flash-success")).to_contain_text("已汇总年度工作计划")
    office.fill("#scheme input[name=doc_no]", f"锦联办〔2026〕{tag}-2号")
    office.click("#scheme button")
    expect(office.locator(".flash-success")).to_contain_text("已下发年度综合治理工作方案")

    liaison.goto(unit_url)
    liaison.fill("#campaign textarea[name=campaign_content]", "重点排查餐饮")
    liaison.click("#campaign button")
    expect(liaison.locator(".flash-success")).to_contain_text("已制定专项整治方案")
    liaison.check("#assign input[name=mode][value=draw]")  # 随机抽取 by the shared inspector draw
    liaison.check("#assign input[name=inspectors]")
    liaison.fill("#assign input[name=draw_count]", "1")
    liaison.click("#assign button")
    expect(liaison.locator(".flash-success")).to_contain_text("已指派执法人员")
    expect(liaison.locator("#assign table.draws")).to_contain_text("一致")

    inspector_ctx, inspector = _as(browser, live, f"ui{tag}")
    inspector.goto(unit_url)
    inspector.fill("input[name=operator]", "路边烧烤摊")
    inspector.fill("input[name=address]", "锦华路8号")
    inspector.fill("input[name=person]", "王五")
    inspector.fill("input[name=business]", "餐饮")
    inspector.click("#new-operator button")
    expect(inspector.locator(".flash-success")).to_contain_text("已录入无证无照经营者")
    inspector.click("text=路边烧烤摊")
    inspector.check("input[name=eligible][value=yes]")
    inspector.click("#eligible button")
    inspector.check("input[name=willing][value=yes]")
    inspector.click("#willing button")
    inspector.select_option("select[name=licence_kind]", "办照")
    inspector.check("#guide input[name=guidance_issued]")
    inspector.click("#guide button")
    expect(inspector.locator(".op-status")).to_have_text("引导办证/办照中")
    inspector.goto(unit_url)
    inspector.click("#report button")
    expect(inspector.locator(".flash-success")).to_contain_text("已上报查处结果")

    liaison.goto(unit_url)
    liaison.click("#report button")
    expect(liaison.locator(".flash-success")).to_contain_text("已向联席会议办公室上报查处结果")

    office.goto(cycle_url)
    row = office.locator("table.summary tbody tr").first
    expect(row).to_contain_text("锦华区卫生健康局")
    screenshot(office, "unlicensed_summary")
    with office.expect_download() as info:
        office.click("text=导出查处结果汇总（Excel）")
    path = tmp_path / "summary.xlsx"
    info.value.save_as(path)
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    header = list(rows[1])
    operator_row = next(r for r in rows if r[2] == "路边烧烤摊")
    assert operator_row[header.index("已引导办证")] == "是"
    assert operator_row[header.index("已下达行政指导文书")] == "是"
    office.fill("textarea[name=results_summary]", "全年引导办照1户")
    office.click("#summary button")
    expect(office.locator(".flash-success")).to_contain_text("已汇总查处结果")
    printed = office.request.get(live.url + office.get_by_role("link", name="打印汇总（A3）").get_attribute("href"))
    assert printed.ok and printed.headers["content-type"] == "application/pdf" and printed.body()[:4] == b"%PDF"
    for ctx in (office_ctx, liaison_ctx, inspector_ctx):
        ctx.close()
