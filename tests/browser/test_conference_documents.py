"""表33 in a real browser: the conference office writes a document with an attachment and
publishes it to a member unit; the unit's liaison sees it in the message centre and in 我的待办,
signs with their password (a wrong one first: refused, nothing signed); the office sees the
receipt and downloads the PDF with its receipt sheet."""

from __future__ import annotations

import re
import subprocess
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from infrastructure.passwords import hash_password
from models import Department, User, UserRole, db, utcnow
from models.roles import Role
from services import conferences
from tests.browser.conftest import PASSWORD, screenshot
from tests.factories.plans import PDF

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


def test_write_publish_sign_receipt_pdf(browser, live_server, tmp_path):
    live = live_server
    tag = uuid.uuid4().hex[:6]
    liaison_account = f"liaison{tag}"
    with live.app.app_context():
        office_user = db.session.execute(select(User).where(User.account == "zhengh")).scalar_one()
        health = db.session.execute(select(Department).where(Department.name == "锦华区卫生健康局")).scalar_one()
        liaison = User(account=liaison_account, name="钱联络", department=health, password_hash=hash_password(PASSWORD),
                       must_change_password=False, password_changed_at=utcnow(), mobile="13900009999")
        liaison.roles = [UserRole(role=str(Role.MEMBER_LIAISON))]
        db.session.add(liaison)
        db.session.flush()
        conference = conferences.create_conference(office_user, office_user.department,
                                                   {"name": f"锦华区打击传销联席会议{tag}"})
        conferences.add_member(office_user, conference, conference.lock_version, health.id, liaison.id)
        db.session.commit()
        conference_id = conference.id
    attachment = tmp_path / "工作方案.pdf"
    attachment.write_bytes(PDF)
    doc_no = f"锦联办〔2026〕{tag}号"

    # the office writes and publishes
    ctx, page = _as(browser, live, "zhengh")
    page.goto(f"{live.url}/conferences/{conference_id}")
    page.click("text=新增公文信息")
    page.fill("input[name=doc_no]", doc_no)
    page.fill("input[name=title]", "关于开展打击传销专项行动的通知")
    page.fill("textarea[name=body]", "各成员单位：\n请按工作方案开展专项行动。")
    page.set_input_files("input[name=attachments]", str(attachment))
    page.click("main form button[type=submit]")
    expect(page.locator("#publish")).to_be_visible()
    expect(page.locator(".current-step")).to_have_text("新增公文信息")
    expect(page.locator("#publish input[name=units]")).to_be_checked()
    page.click("#publish button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text("已发布公文信息")
    expect(page.locator(".current-step")).to_have_text("签收公文信息")
    document_url = page.url
    ctx.close()

    # the liaison: message, 我的待办, sign with the password
    ctx, page = _as(browser, live, liaison_account)
    expect(page.locator("#message-count")).to_have_text("1")
    expect(page.locator("main")).to_contain_text("签收公文信息")
    page.goto(document_url)
    expect(page.locator(".doc-no")).to_have_text(doc_no)
    page.fill("#sign input[name=password]", "wrong-password-1")
    page.click("#sign button[type=submit]")
    expect(page.locator(".flash-error")).to_contain_text("密码不正确")
    page.fill("#sign input[name=password]", PASSWORD)
    page.click("#sign button[type=submit]")
    expect(page.locator(".flashes .flash-success")).to_contain_text("已签收公文信息")
    expect(page.locator(".own-receipt")).to_contain_text("钱联络")
    screenshot(page, "conference-document-signed")
    ctx.close()

    # the office sees the receipt and downloads the PDF
    ctx, page = _as(browser, live, "zhengh")
    page.goto(document_url)
    expect(page.locator("#receipts tr.signed")).to_contain_text("钱联络")
    expect(page.locator("#receipts tr.signed")).to_contain_text("127.0.0.1")
    with page.expect_download() as info:
        page.click("#pdf-link")
    path = tmp_path / "document.pdf"
    info.value.save_as(path)
    data = path.read_bytes()
    assert data.startswith(b"%PDF-")
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    flat = "".join(text.split())
    assert "签收回执单" in flat and "钱联络" in flat and doc_no in flat and "锦华区卫生健康局" in flat
    screenshot(page, "conference-document-receipts")
    ctx.close()
