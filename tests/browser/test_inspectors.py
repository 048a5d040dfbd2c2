"""执法检查人员名录库 in a real browser: download nothing, upload a filled A.5 template, see the
preview, 完成新增, the platform matches the existing account, and the person is listed."""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect

from models import Department, db
from models.roles import Role
from services.templates_catalogue import TEMPLATES
from services.validators import id_number_check_char
from tests.browser.conftest import _user, screenshot
from tests.browser.test_main_paths import _sign_in

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
    page.get_by_role("link", name="执法检查人员名录库").click()
    expect(page.locator("h1")).to_have_text("执法检查人员名录库")
    page.get_by_role("link", name="按模板导入").click()
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "A.5.xlsx", "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": buf.getvalue()}],
    )
    page.get_by_role("button", name="上传并校验").click()
    expect(page.locator(".stats")).to_contain_text("有效 1 行")
    page.get_by_role("button", name=re.compile("完成新增")).click()
    expect(page.locator("main")).to_contain_text("有账号：已开通双随机检查权限")
    expect(page.locator("main")).to_contain_text("zhangzf")
    screenshot(page, "inspectors-imported")
    page.get_by_role("link", name="返回名录库").click()
    expect(page.locator("#inspector-results")).to_contain_text("张执法")
    expect(page.locator("#inspector-results")).to_contain_text("已开通")
    page.get_by_role("link", name="张执法").click()
    expect(page.locator("dl.props").first).to_contain_text("5101********")
    expect(page.locator("main")).to_contain_text("执法人员")
