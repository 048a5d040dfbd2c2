"""表3 按模板导入 in a real browser, on the import framework: 新增监管对象库 → 按模板导入（A.4.2）
→ the upload form names the library → preview by row and column → 仅导入有效行 → the new
library's page."""

from __future__ import annotations

import io
import re
import uuid

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from infrastructure.validators import uscc_check_char
from services.templates_catalogue import TEMPLATES
from tests.browser.conftest import PASSWORD, screenshot
from tests.browser.registry_data import CODES, seed_browser_registry

pytestmark = pytest.mark.browser


def _a42() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = TEMPLATES["A.4.2"].sheet
    ws.append(list(TEMPLATES["A.4.2"].titles))
    ws.append(["浏览器测试火锅店", CODES[0] + uscc_check_char(CODES[0]), "", "夜宵"])
    unknown = "91510108MA6BR0099"
    ws.append(["不存在的公司", unknown + uscc_check_char(unknown), "", ""])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a42_upload_preview_and_valid_rows_make_a_library(page, live_server):
    seed_browser_registry(live_server)
    name = f"浏览器导入库{uuid.uuid4().hex[:6]}"
    page.goto(live_server.url + "/login")
    page.fill("input[name=account]", "wangxy")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/inbox$"))

    page.goto(live_server.url + "/libraries/new")
    page.get_by_role("link", name="按模板导入（A.4.2）").click()
    page.wait_for_url(re.compile(r".*/imports/library_a42/$"))
    page.fill("input[name=name]", name)
    page.fill("input[name=tags]", "浏览器")
    page.set_input_files("input[type=file]", files=[{
        "name": "名单.xlsx",
        "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "buffer": _a42(),
    }])
    page.get_by_role("button", name="上传并校验").click()
    page.wait_for_url(re.compile(r".*/imports/library_a42/\d+$"))
    expect(page.locator(".stats")).to_contain_text("有效 1 行（1 个市场主体），有问题 1 行")
    expect(page.locator(".context-note")).to_have_text(f"新建监管对象库：{name}（标签：浏览器）")
    expect(page.locator("table.import-problems tr", has_text="第3行")).to_contain_text("社会信用代码：本辖区市场主体库中没有")
    screenshot(page, "library-import-preview")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="仅导入有效行（1）").click()
    page.wait_for_url(re.compile(r".*/libraries/\d+$"))
    expect(page.locator(".flash-success")).to_contain_text(f"已入库：监管对象库“{name}”，共 1 个市场主体")
    expect(page.locator("main")).to_contain_text("浏览器测试火锅店")
