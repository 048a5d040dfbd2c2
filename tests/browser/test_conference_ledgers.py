"""表32 in a real browser: the conference office builds a plan with a 专项任务 (its ledger type)
and issues it to two member units; each unit's liaison finds it in 我的待办, signs with the
password (a wrong one first: refused), and reports the ledger — one by the form, the other by
importing the A.6 template (preview, then 全部导入); the office sees the matrix (已上报 for
both) and downloads the aggregated Excel and the A3 PDF."""

from __future__ import annotations

import re
import subprocess
import uuid
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select

from infrastructure.passwords import hash_password
from models import Department, User, UserRole, db, utcnow
from models.conference import Conference, ConferenceMember
from models.roles import Role
from tests.browser.conftest import PASSWORD, screenshot
from tests.factories.ledgers import a6_file, a6_row

pytestmark = pytest.mark.browser


def _as(browser, live, account):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(live.url + "/login")
    page.fill("input[name=account]", account)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/inbox$"))
    return context, page


def _sign(page, plan_url):
    page.goto(plan_url)
    page.fill("input[name=password]", "wrong-password")
    page.click(".sign-card button[type=submit]")
    expect(page.locator(".flash-error")).to_contain_text("密码不正确")
    page.fill("input[name=password]", PASSWORD)
    page.click(".sign-card button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text("已签收计划及任务")


def test_plan_sign_report_matrix_and_exports(browser, live_server, tmp_path):
    live = live_server
    tag = uuid.uuid4().hex[:6]
    form_account, import_account = f"lform{tag}", f"limport{tag}"
    with live.app.app_context():
        office_user = db.session.execute(select(User).where(User.account == "zhengh")).scalar_one()
        health = db.session.execute(select(Department).where(Department.name == "锦华区卫生健康局")).scalar_one()
        bureau = db.session.execute(select(Department).where(Department.name == "锦华区市场监督管理局")).scalar_one()
        liaisons = []
        for account, name, dept in ((form_account, "卫健联络员", health), (import_account, "市监联络员", bureau)):
            user = User(account=account, name=name, department=dept, password_hash=hash_password(PASSWORD),
                        must_change_password=False, password_changed_at=utcnow())
            user.roles = [UserRole(role=str(Role.MEMBER_LIAISON))]
            db.session.add(user)
            liaisons.append(user)
        db.session.flush()
        conference = Conference(name=f"锦华区无证无照经营综合治理联席会议{tag}", office_id=office_user.department_id)
        conference.members = [ConferenceMember(department_id=u.department_id, liaison_id=u.id, sort_order=i)
                              for i, u in enumerate(liaisons)]
        db.session.add(conference)
        db.session.commit()
        conference_id = conference.id
    title = f"2026年无证无照经营综合治理计划{tag}"
    due = (date.today() + timedelta(days=20)).isoformat()

    # the office: plan, special task, issue
    ctx, page = _as(browser, live, "zhengh")
    page.goto(f"{live.url}/conference-plans/new")
    page.select_option("select[name=conference_id]", str(conference_id))
    page.fill("input[name=title]", title)
    page.fill("textarea[name=content]", "按季度开展无证无照经营排查")
    page.click("main form button[type=submit]")
    expect(page.locator("h1")).to_have_text(title)
    form = page.locator("#new-task")
    form.locator("input[name=title]").fill("无证无照经营专项排查")
    form.locator("input[name=due_date]").fill(due)
    form.locator("input[name=special]").check()
    form.locator("select[name=ledger_type]").select_option("无证无照线索台账")
    form.locator("input[name=units]").nth(0).check()
    form.locator("input[name=units]").nth(1).check()
    form.locator("button[type=submit]").click()
    expect(page.locator(".task-list")).to_contain_text("无证无照线索台账")
    page.click("text=下发计划及任务")
    expect(page.locator(".flash-success")).to_contain_text("计划已下发至 2 个成员单位")
    plan_url = page.url
    ctx.close()

    # liaison 1: 我的待办 → sign → report by the form
    ctx, page = _as(browser, live, form_account)
    expect(page.locator("main")).to_contain_text("签收计划及任务")
    _sign(page, plan_url)
    page.click("text=填报工作台账")
    page.fill("input[name='经营者/名称']", "浏览器便利店")
    page.fill("input[name='经营地址']", "锦华区建设路1号")
    page.fill("input[name='联系电话']", "028-86123456")
    page.fill("input[name='罚款金额（万元）']", "-1")
    page.click(".ledger-form button[type=submit]")
    expect(page.locator(".flash-error")).to_contain_text("罚款金额不能为负数")
    page.fill("input[name='罚款金额（万元）']", "1.5")
    page.select_option("select[name='已立案查处']", "是")
    page.click(".ledger-form button[type=submit]")
    expect(page.locator(".ledger-rows")).to_contain_text("浏览器便利店")
    page.click("text=上报工作台账")
    expect(page.locator(".flash-success")).to_contain_text("已上报工作台账")
    screenshot(page, "conference_ledger_form")
    ctx.close()

    # liaison 2: sign → import the A.6 template → report
    upload = tmp_path / "台账.xlsx"
    upload.write_bytes(a6_file([a6_row("导入甲超市"), a6_row("导入乙餐馆", fine=0.5)]))
    ctx, page = _as(browser, live, import_account)
    _sign(page, plan_url)
    page.click("text=填报工作台账")
    page.click("text=按模板导入（A.6）")
    page.set_input_files("input[name=file]", str(upload))
    page.click("main form button[type=submit]")
    expect(page.locator(".stats")).to_contain_text("有效 2 行")
    page.click("button[value=all]")
    expect(page.locator(".ledger-rows")).to_contain_text("导入乙餐馆")
    page.click("text=上报工作台账")
    expect(page.locator(".flash-success")).to_contain_text("已上报工作台账")
    ctx.close()

    # the office: the matrix, the aggregation, Excel and PDF
    ctx, page = _as(browser, live, "zhengh")
    page.goto(plan_url)
    page.click("text=签收及上报情况")
    matrix = page.locator(".status-matrix")
    expect(matrix.locator("tr[data-unit='锦华区卫生健康局']")).to_contain_text("已上报")
    expect(matrix.locator("tr[data-unit='锦华区市场监督管理局']")).to_contain_text("已上报")
    screenshot(page, "conference_ledger_matrix")
    page.click("text=工作台账汇总")
    expect(page.locator(".ledger-aggregate")).to_contain_text("合计（3户）")
    with page.expect_download() as info:
        page.click("text=导出Excel")
    xlsx_path = tmp_path / "ledgers.xlsx"
    info.value.save_as(xlsx_path)
    ws = load_workbook(xlsx_path).active
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[1][:3] == ["序号", "填报单位", "经营者/名称"]
    assert rows[-1][2] == "合计（3户）" and float(rows[-1][13]) == 3.25
    with page.expect_download() as info:
        page.click("text=导出PDF（A3）")
    pdf_path = tmp_path / "ledgers.pdf"
    info.value.save_as(pdf_path)
    text = subprocess.run(["pdftotext", "-layout", str(pdf_path), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = "".join(text.split())
    assert "联席会议工作台账汇总表" in flat and "浏览器便利店" in flat and "导入乙餐馆" in flat and "合计（3户）" in flat
    assert "第1页共1页" in flat
    ctx.close()
