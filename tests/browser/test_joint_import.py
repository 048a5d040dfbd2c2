"""The A.1.2 import in a real browser: upload → preview by row and column → annotated copy →
仅导入有效行; the imported item waits at 征求参与部门意见 on the list."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect

from services.templates_catalogue import TEMPLATES
from tests.browser.conftest import signed_in as _as

pytestmark = pytest.mark.browser


def _importer(live) -> str:
    """A clerk of a bureau of its own, so the imported item's open step stays out of the
    other tests' inboxes."""
    from sqlalchemy import select

    from models import Department, User, db
    from models.org import DepartmentLevel
    from models.roles import Role
    from tests.browser.conftest import _dept, _user

    with live.app.app_context():
        if db.session.execute(select(User.id).where(User.account == "liuwl")).first() is None:
            district = db.session.execute(select(Department).where(Department.name == "锦华区")).scalar_one()
            bureau = _dept("锦华区文化广电旅游局", district, DepartmentLevel.BUREAU)
            _user("liuwl", "刘文旅", bureau, Role.CLERK)
            db.session.commit()
    return "liuwl"


def _a12() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = TEMPLATES["A.1.2"].sheet
    ws.append([c.title for c in TEMPLATES["A.1.2"].columns])
    ws.append([1, "浏览器导入联合事项", "旅馆", "锦华区文化广电旅游局", "锦华区卫生健康局", "实地核查", "区县级",
               "旅馆业食品安全检查", "锦华区卫生健康局：公共场所卫生监督检查（区县级）"])
    ws.append([2, "浏览器导入问题事项", "旅馆", "锦华区文化广电旅游局", "不存在的局", "实地核查", "区县级",
               "旅馆业食品安全检查", ""])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_import_preview_annotated_copy_and_valid_rows(browser, live_server):
    live = live_server
    ctx, clerk = _as(browser, live, _importer(live))
    clerk.goto(live.url + "/imports/joint_items/")
    clerk.set_input_files("input[type=file]", files=[{
        "name": "联合事项.xlsx",
        "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "buffer": _a12(),
    }])
    clerk.get_by_role("button", name="上传并校验").click()
    clerk.wait_for_url(re.compile(r".*/imports/joint_items/\d+$"))
    expect(clerk.locator(".stats")).to_contain_text("有效 1 行，有问题 1 行")
    problem = clerk.locator("table.import-problems tr", has_text="第3行")
    expect(problem).to_contain_text("参与部门：未找到参与部门“不存在的局”")

    with clerk.expect_download() as download:
        clerk.get_by_role("link", name="下载问题标注文件").click()
    assert download.value.suggested_filename == "联合事项_问题标注.xlsx"
    ws = load_workbook(io.BytesIO(download.value.path().read_bytes())).worksheets[0]
    assert ws.cell(1, ws.max_column).value == "错误说明"
    assert "不存在的局" in ws.cell(3, ws.max_column).value

    clerk.once("dialog", lambda dialog: dialog.accept())
    clerk.get_by_role("button", name="仅导入有效行（1）").click()
    clerk.wait_for_url(re.compile(r".*/joint-items/$"))
    expect(clerk.locator(".flash-success")).to_contain_text("新增 1 个部门联合抽查事项")
    row = clerk.locator("#joint-results tr", has_text="浏览器导入联合事项")
    expect(row).to_contain_text("征求参与部门意见")
    expect(clerk.locator("#joint-results")).not_to_contain_text("浏览器导入问题事项")
    ctx.close()
