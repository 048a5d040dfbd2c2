"""The QR code of a printed 检查情况记录表 opens its verification page: the record's PDF is made
with the live server's address, its page rasterized (pdftoppm) and the QR code decoded
(zxing-cpp); Chromium opens the decoded URL without signing in and checks the digest printed on
the paper."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from models import Department, InspectionRecord, TaskObject, db
from services import record_pdf
from tests.browser.conftest import screenshot
from tests.factories.teams import make_task

pytestmark = pytest.mark.browser

SUBJECT = "成都市昇𬌗堃喆餐饮有限公司"


def test_qr_code_opens_the_verification_page(browser, live_server, tmp_path):
    zxingcpp = pytest.importorskip("zxingcpp")
    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils not installed")
    from PIL import Image

    tag = uuid.uuid4().hex[:6]
    app = live_server.app
    with app.app_context():
        bureau = db.session.query(Department).filter_by(name="锦华区市场监督管理局").one()
        task = make_task(SimpleNamespace(bureau_a=bureau), name=f"餐饮抽查任务{tag}")
        obj = TaskObject(task_id=task.id, key=f"place:{tag}")
        db.session.add(obj)
        db.session.flush()
        record = InspectionRecord(record_no=f"2026-JC-B{tag}", task_id=task.id, task_object_id=obj.id,
                                  department_id=bureau.id, subject_name=SUBJECT, inspector_names="王堃、李喆",
                                  items_text="餐饮服务食品安全监督检查", findings="未发现问题")
        db.session.add(record)
        db.session.commit()
        old, app.config["PUBLIC_BASE_URL"] = app.config.get("PUBLIC_BASE_URL"), live_server.url
        try:
            data = record_pdf.record_pdf(record)
        finally:
            app.config["PUBLIC_BASE_URL"] = old
        digest = record_pdf.record_view(record).digest
        record_no = record.record_no
    pdf = tmp_path / "record.pdf"
    pdf.write_bytes(data)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert digest in "".join(text.split())  # the digest the reader will type
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-singlefile", str(pdf), str(tmp_path / "page")], check=True)
    urls = [b.text for b in zxingcpp.read_barcodes(Image.open(tmp_path / "page.png"))]
    assert urls == [f"{live_server.url}/public/records/{record_no}/verify"]

    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(urls[0])
    expect(page.locator("#record-no")).to_have_text(record_no)
    expect(page.locator("#status")).to_contain_text("未公示")
    expect(page.locator("#digest")).to_have_text(digest)
    expect(page.locator("#verify-props")).not_to_contain_text(SUBJECT)
    page.locator("#digest-input").fill(digest)
    page.get_by_role("button", name="核验").click()
    expect(page.locator("#verify-result")).to_contain_text("一致：")
    expect(page.locator("#subject-name")).to_have_text(SUBJECT)
    expect(page.locator("#task-name")).to_have_text(f"餐饮抽查任务{tag}")
    page.locator("#digest-input").fill("0" * 64)
    page.get_by_role("button", name="核验").click()
    expect(page.locator("#verify-result")).to_contain_text("不一致")
    screenshot(page, "record-verify")
    context.close()
