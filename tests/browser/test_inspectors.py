"""执法检查人员名录库 in a real browser: download nothing, upload a filled A.5 template, see the
preview, 完成新增, the platform matches the existing account, and the person is listed."""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect

from infrastructure.validators import id_number_check_char
from models import Department, db
from models.roles import Role
from services.templates_catalogue import TEMPLATES
from tests.browser.conftest import _user, screenshot
from tests.browser.conftest import sign_in as _sign_in
from tests.browser.menu_nav import click_menu_entry

pytestmark = pytest.mark.browser


def _id(body: str) -> str:
    first17 = "510108" + body
    return first17 + id_number_check_char(first17)


def test_import_a5_matches_the_account_and_lists_the_inspector(page, live_server):
    id_number = _id("19870402031")
    with live_server.app.app_context():
        bureau = db.session.query(Department).filter_by(name="锦华区市场监督管理局").one()
        _user("zhangzf", "张执法", bureau, Role.CLERK).id_number = id_number
        db.session.commit()
    wb = TEMPLATES["A.5"].workbook()
    ws = wb.worksheets[0]
    row = {
        "序号": 1, "姓名": "张执法", "身份证号": id_number, "电话号码": "13911112222", "单位": "锦华区市场监督管理局",
        "执法检查人员类别": "行政执法类公务员", "执法证编号": "JH0001", "执法证有效期起": "2024-01-01",
        "执法证有效期止": "2030-12-31", "监督检查（执法）事项": "食品经营许可检查", "在岗状态": "在岗",
    }
    for col, title in enumerate(TEMPLATES["A.5"].titles, start=1):
        ws.cell(row=2, column=col, value=row.get(title))
    buf = io.BytesIO()
    wb.save(buf)

    _sign_in(page, live_server, "wangxy")
    page.wait_for_url(re.compile(r".*/inbox$"))
    click_menu_entry(page, "执法检查人员名录库")
    expect(page.locator("h1")).to_have_text("执法检查人员名录库")
    page.get_by_role("link", name="按模板导入").click()
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "A.5.xlsx", "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": buf.getvalue()}],
    )
    page.get_by_role("button", name="上传并校验").click()
    expect(page.locator(".stats")).to_contain_text("有效 1 行")
    page.get_by_role("button", name=re.compile("全部导入")).click()
    expect(page.locator("main")).to_contain_text("有账号：已开通双随机检查权限")
    expect(page.locator("main")).to_contain_text("zhangzf")
    screenshot(page, "inspectors-imported")
    page.get_by_role("link", name="返回名录库").click()
    expect(page.locator("#inspector-results")).to_contain_text("张执法")
    expect(page.locator("#inspector-results")).to_contain_text("已开通")
    page.get_by_role("link", name="张执法").click()
    expect(page.locator("dl.props").first).to_contain_text("5101********")
    expect(page.locator("main")).to_contain_text("执法人员")


def test_edit_then_delete_runs_table_18(page, live_server):
    """表18 维护: the clerk edits one entry (修改执法检查人员) and deletes another, choosing to
    revoke the 执法人员 role with it; each leaves a 表18 instance with the standard's steps."""
    from sqlalchemy import select

    from models import Inspector, ProcessInstance, User
    from services import inspector_enrolment

    with live_server.app.app_context():
        bureau = db.session.query(Department).filter_by(name="锦华区市场监督管理局").one()
        clerk = db.session.query(User).filter_by(account="wangxy").one()
        _user("liuzf18", "刘维护", bureau, Role.INSPECTOR).mobile = "13922220018"
        base = {
            "department_id": bureau.id, "category": "行政执法类公务员", "cert_no": "JH1800",
            "cert_valid_from": "2024-01-01", "cert_valid_to": "2030-12-31", "duty": "on", "matters": "价格检查",
        }
        kept = inspector_enrolment.create_inspector(clerk, {**base, "name": "周修改", "id_number": _id("19880101051"),
                                            "mobile": "13922220017"}).inspector
        gone = inspector_enrolment.create_inspector(clerk, {**base, "name": "刘维护", "id_number": _id("19890202062"),
                                            "mobile": "13922220018"}).inspector
        assert gone.user is not None and gone.user.account == "liuzf18"
        # 周修改 got a new account: decide its role now, so no work item is left in the
        # clerk's inbox for the other browser tests (they count it)
        inspector_enrolment.decide_role(clerk, kept, assign=True)
        db.session.commit()
        kept_id, gone_id = kept.id, gone.id

    _sign_in(page, live_server, "wangxy")
    page.wait_for_url(re.compile(r".*/inbox$"))
    page.goto(f"{live_server.url}/inspectors/")
    page.get_by_role("link", name="周修改").click()
    page.get_by_role("link", name="修改", exact=True).click()
    page.get_by_label("职务").fill("副所长")
    page.get_by_label("业务专长").fill("价格监管、广告监管")
    page.get_by_role("button", name="保存修改").click()
    expect(page.locator("main")).to_contain_text("已保存修改")
    expect(page.locator("main")).to_contain_text("副所长")
    expect(page.locator("main")).to_contain_text("价格监管、广告监管")
    page.get_by_role("link", name="维护执法检查人员：周修改").click()
    history = page.locator("main")
    for step in ("选择拟维护人员", "判断修改/删除", "修改执法检查人员"):
        expect(history).to_contain_text(step)
    expect(history).to_contain_text("已结束")
    screenshot(page, "inspectors-edited")

    page.goto(f"{live_server.url}/inspectors/")
    page.get_by_role("link", name="刘维护").click()
    page.get_by_role("link", name="删除", exact=True).click()
    expect(page.locator("h1")).to_have_text("确认是否删除：刘维护")
    page.get_by_label(re.compile("删除名录并收回执法人员角色")).check()
    page.get_by_role("button", name="确认删除").click()
    expect(page.locator("main")).to_contain_text("已删除执法检查人员“刘维护”（删除名录并收回执法人员角色")
    expect(page.locator("#inspector-results")).to_contain_text("周修改")
    expect(page.locator("#inspector-results")).not_to_contain_text("刘维护")
    screenshot(page, "inspectors-deleted")

    with live_server.app.app_context():
        kept, gone = db.session.get(Inspector, kept_id), db.session.get(Inspector, gone_id)
        assert kept.active and kept.post == "副所长" and kept.specialities == ["价格监管", "广告监管"]
        assert not gone.active and gone.user_id is None and not gone.random_permission
        account = db.session.query(User).filter_by(account="liuzf18").one()
        assert not account.has_role(Role.INSPECTOR) and account.status.value == "active"

        def table_18(subject_id: int) -> list[str]:
            [inst] = db.session.execute(
                select(ProcessInstance).where(
                    ProcessInstance.process_table == 18, ProcessInstance.subject_id == subject_id,
                    ProcessInstance.subject_type == "inspector",
                )
            ).scalars()
            assert inst.status.value == "completed"
            return [h.step_name for h in inst.history if h.action != "start"]

        assert table_18(kept_id) == ["选择拟维护人员", "判断修改/删除", "修改执法检查人员"]
        assert table_18(gone_id) == ["选择拟维护人员", "判断修改/删除", "确认是否删除", "删除执法检查人员"]
