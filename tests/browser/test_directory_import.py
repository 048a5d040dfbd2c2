"""表15 按模板导入 in a real browser, on the import framework: an item's 选择新增方式 page lists
the five templates → B.2 上传 (the page names the item) → preview with the create/update
counts and the problem row → 仅导入有效行 → the directory's page with the new place."""

from __future__ import annotations

import io
import re
import uuid

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect
from sqlalchemy import select

from models import User, db
from services.templates_catalogue import TEMPLATES
from tests.browser.conftest import PASSWORD
from tests.factories.directories import make_item

pytestmark = pytest.mark.browser


def _b2(place: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = TEMPLATES["B.2"].sheet
    ws.append(list(TEMPLATES["B.2"].titles))
    ws.append([place, "锦华区", "锦华区", "锦华区商业管理公司", "", "李四", "居民身份证", "", "商场", "", "2019-05-01",
               "50年", "锦华区二环路1号", "", "锦华区", "法人", "510108"])
    ws.append(["", "锦华区", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""])  # no name, no address
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_b2_upload_preview_and_valid_rows_join_the_items_directory(page, live_server):
    tag = uuid.uuid4().hex[:6]
    with live_server.app.app_context():
        clerk = db.session.execute(select(User).where(User.account == "wangxy")).scalar_one()
        item_id = make_item(clerk.department, f"浏览器导入事项{tag}").id
        db.session.commit()
    page.goto(live_server.url + "/login")
    page.fill("input[name=account]", "wangxy")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/inbox$"))

    page.goto(f"{live_server.url}/directories/new/mode?item={item_id}")
    row = page.locator("#template-import tr", has_text="B.2 检查对象名录库样表（场地场所）")
    row.get_by_role("link", name="上传").click()
    page.wait_for_url(re.compile(rf".*/imports/directory_b2/\?item_id={item_id}$"))
    expect(page.locator(".context-note")).to_contain_text(f"抽查事项：浏览器导入事项{tag}")
    page.set_input_files("input[type=file]", files=[{
        "name": "场所.xlsx",
        "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "buffer": _b2(f"浏览器体育馆{tag}"),
    }])
    page.get_by_role("button", name="上传并校验").click()
    page.wait_for_url(re.compile(r".*/imports/directory_b2/\d+$"))
    expect(page.locator(".stats")).to_contain_text("有效 1 行（其中 1 个将新加入名录库，0 个已在名录库中；将新建场地场所 1 个")
    expect(page.locator("table.import-problems tr", has_text="第3行")).to_contain_text("场地场所")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="仅导入有效行（1）").click()
    page.wait_for_url(re.compile(r".*/directories/\d+$"))
    expect(page.locator(".flash-success")).to_contain_text("已入库：新增 1 个检查对象，新建场地场所 1 个")
    expect(page.locator("main")).to_contain_text(f"浏览器体育馆{tag}")
