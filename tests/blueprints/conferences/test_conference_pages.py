"""/conferences pages: conferences and members, 表33 documents (write, publish, sign with the
password, receipts, recall, new version, PDF, attachments), meetings; errors with their status;
another district and a unit that was not chosen get 404."""

from __future__ import annotations

import io
import subprocess

import pytest
from sqlalchemy import select

from models import Message, db
from models.conference import Conference, DocumentStatus, OfficialDocument
from services import documents
from tests.conftest import PASSWORD, csrf_token, sign_in
from tests.factories.conference import draft, make_conference, published
from tests.factories.plans import PDF


@pytest.fixture()
def setup(org, make_user, session):
    return make_conference(org, make_user, session)


def _post(client, url, data, files=None):
    data = {**data, "csrf_token": csrf_token(client, "/conferences/")}
    if files:
        data.update(files)
        return client.post(url, data=data, content_type="multipart/form-data")
    return client.post(url, data=data)


def _doc(doc_no) -> OfficialDocument:
    return db.session.execute(select(OfficialDocument).where(OfficialDocument.doc_no == doc_no)).scalar_one()


def test_index_lists_conferences_and_received_documents(client, org, setup, session):
    published(org, setup)
    session.commit()
    sign_in(client, org.office_user)
    html = client.get("/conferences/").get_data(as_text=True)
    assert setup.conference.name in html and "设立联席会议" in html
    sign_in(client, setup.health_liaison)
    html = client.get("/conferences/").get_data(as_text=True)
    assert "收到的公文" in html and "关于报送工作台账的通知" in html and "待签收" in html
    assert "设立联席会议" not in html
    sign_in(client, org.office_b_user)
    html = client.get("/conferences/").get_data(as_text=True)
    assert setup.conference.name not in html


def test_create_conference_page(client, org, session):
    sign_in(client, org.office_user)
    assert client.get("/conferences/new").status_code == 200
    resp = _post(client, "/conferences/new", {"name": "", "office_id": org.office_a.id})
    assert resp.status_code == 422 and "请填写联席会议名称" in resp.get_data(as_text=True)
    resp = _post(client, "/conferences/new", {"name": "甲区部门联合监管联席会议", "office_id": org.office_a.id})
    assert resp.status_code == 302
    conference = db.session.execute(select(Conference).where(Conference.name == "甲区部门联合监管联席会议")).scalar_one()
    assert conference.office_id == org.office_a.id
    # another district's office is not offered and cannot be forced
    resp = _post(client, "/conferences/new", {"name": "x", "office_id": org.office_b.id})
    assert resp.status_code == 403
    sign_in(client, org.clerk_a)
    assert client.get("/conferences/new").status_code == 403


def test_member_pages(client, org, make_user, setup, session):
    conference = setup.conference
    sign_in(client, org.office_user)
    html = client.get(f"/conferences/{conference.id}").get_data(as_text=True)
    assert "卫健联络员" in html and "保存联络员" in html
    assert "添加成员单位" not in html  # every bureau of the district is a member already
    member = conference.member_for(org.safety_a.id)
    resp = _post(client, f"/conferences/{conference.id}/members/{member.id}",
                 {"lock_version": conference.lock_version, "liaison_id": setup.health_liaison.id})
    assert resp.status_code == 422 and "联络员须为该成员单位" in resp.get_data(as_text=True)
    resp = _post(client, f"/conferences/{conference.id}/members/{member.id}/remove",
                 {"lock_version": conference.lock_version - 1})
    assert resp.status_code == 409
    resp = _post(client, f"/conferences/{conference.id}/members/{member.id}/remove",
                 {"lock_version": conference.lock_version})
    assert resp.status_code == 302
    db.session.refresh(member)
    assert not member.active
    html = client.get(f"/conferences/{conference.id}").get_data(as_text=True)
    assert "添加成员单位" in html and f'<option value="{org.safety_a.id}">' in html
    resp = _post(client, f"/conferences/{conference.id}/members",
                 {"lock_version": conference.lock_version, "department_id": org.safety_a.id,
                  "liaison_id": setup.safety_liaison.id})
    assert resp.status_code == 302
    resp = _post(client, f"/conferences/{conference.id}/edit",
                 {"lock_version": conference.lock_version, "name": "改名后的联席会议", "duties": "新职责"})
    assert resp.status_code == 302
    db.session.refresh(conference)
    assert conference.name == "改名后的联席会议"
    # a member unit's liaison sees the page but may not manage it
    sign_in(client, setup.health_liaison)
    html = client.get(f"/conferences/{conference.id}").get_data(as_text=True)
    assert "添加成员单位" not in html and "成员单位" in html
    resp = _post(client, f"/conferences/{conference.id}/edit", {"lock_version": conference.lock_version, "name": "x"})
    assert resp.status_code == 403


def test_office_writes_publishes_liaison_signs_office_sees_receipt_and_pdf(client, org, setup, session):
    conference = setup.conference
    sign_in(client, org.office_user)
    assert client.get(f"/conferences/{conference.id}/documents/new").status_code == 200
    resp = _post(client, f"/conferences/{conference.id}/documents/new",
                 {"doc_no": "甲联办〔2026〕7号", "title": "关于开展联合检查的通知", "body": "请各单位配合。"},
                 {"attachments": (io.BytesIO(PDF), "方案.pdf")})
    assert resp.status_code == 302
    document = _doc("甲联办〔2026〕7号")
    html = client.get(f"/conferences/documents/{document.id}").get_data(as_text=True)
    assert "发布公文信息" in html and "新增公文信息" in html and "方案.pdf" in html
    attachment = document.attachments[0]
    got = client.get(f"/conferences/documents/{document.id}/attachments/{attachment.id}")
    assert got.status_code == 200 and got.data == PDF
    resp = _post(client, f"/conferences/documents/{document.id}/publish",
                 {"lock_version": document.lock_version, "units": [org.health_a.id, org.safety_a.id]})
    assert resp.status_code == 302
    db.session.refresh(document)
    assert document.status == DocumentStatus.PUBLISHED
    # the liaison: message, 我的待办, sign
    sign_in(client, setup.health_liaison)
    assert client.get("/messages/count").get_data(as_text=True) == "1"
    inbox = client.get("/inbox").get_data(as_text=True)
    assert "签收公文信息" in inbox and f"/conferences/documents/{document.id}" in inbox
    html = client.get(f"/conferences/documents/{document.id}").get_data(as_text=True)
    assert "确认签收" in html and "撤回公文" not in html and "签收情况" not in html
    resp = _post(client, f"/conferences/documents/{document.id}/sign", {"password": "wrong", "version": 1})
    assert resp.status_code == 403 and "密码不正确" in resp.get_data(as_text=True)
    db.session.refresh(setup.health_liaison)
    assert setup.health_liaison.failed_logins == 1  # kept, though the request failed
    resp = _post(client, f"/conferences/documents/{document.id}/sign", {"password": PASSWORD, "version": 1})
    assert resp.status_code == 302
    html = client.get(f"/conferences/documents/{document.id}").get_data(as_text=True)
    assert "本单位已于" in html and "确认签收" not in html
    resp = _post(client, f"/conferences/documents/{document.id}/sign", {"password": PASSWORD, "version": 1})
    assert resp.status_code == 409 and "已签收" in resp.get_data(as_text=True)
    # the office sees who signed, when, from where
    sign_in(client, org.office_user)
    html = client.get(f"/conferences/documents/{document.id}").get_data(as_text=True)
    assert "签收情况" in html and "卫健联络员" in html and "未签收" in html
    pdf = client.get(f"/conferences/documents/{document.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf.data, capture_output=True, check=True).stdout.decode()
    assert "签收回执单" in text and "卫健联络员" in text
    # the office hears of the signature
    assert session.execute(select(Message).where(Message.user_id == org.office_user.id)).first() is not None


def test_document_errors(client, org, setup, session):
    conference = setup.conference
    sign_in(client, org.office_user)
    resp = _post(client, f"/conferences/{conference.id}/documents/new", {"doc_no": "", "title": "标题"})
    assert resp.status_code == 422 and "请填写文号" in resp.get_data(as_text=True)
    resp = _post(client, f"/conferences/{conference.id}/documents/new", {"doc_no": "x号", "title": ""})
    assert resp.status_code == 422 and "请填写公文标题" in resp.get_data(as_text=True)
    resp = _post(client, f"/conferences/{conference.id}/documents/new", {"doc_no": "x号", "title": "t"},
                 {"attachments": (io.BytesIO(b"MZ\x90\x00 an exe"), "通知.pdf")})
    assert resp.status_code == 422 and "内容与扩展名 .pdf 不符" in resp.get_data(as_text=True)
    assert db.session.execute(select(OfficialDocument)).first() is None  # nothing half-written
    document = draft(org, conference)
    session.commit()
    resp = _post(client, f"/conferences/documents/{document.id}/publish", {"lock_version": document.lock_version})
    assert resp.status_code == 422 and "请至少选择一个成员单位" in resp.get_data(as_text=True)
    resp = _post(client, f"/conferences/documents/{document.id}/publish",
                 {"lock_version": document.lock_version + 3, "units": [org.health_a.id]})
    assert resp.status_code == 409
    # a liaison cannot write or publish
    sign_in(client, setup.health_liaison)
    assert client.get(f"/conferences/{conference.id}/documents/new").status_code == 403
    assert client.get(f"/conferences/documents/{document.id}").status_code == 404  # a draft


def test_recall_and_signing_a_recalled_document(client, org, setup, session):
    document = published(org, setup)
    session.commit()
    sign_in(client, org.office_user)
    resp = _post(client, f"/conferences/documents/{document.id}/recall", {"lock_version": document.lock_version,
                                                                           "reason": ""})
    assert resp.status_code == 422 and "请填写撤回理由" in resp.get_data(as_text=True)
    resp = _post(client, f"/conferences/documents/{document.id}/recall",
                 {"lock_version": document.lock_version, "reason": "内容需调整"})
    assert resp.status_code == 302
    sign_in(client, setup.safety_liaison)
    html = client.get(f"/conferences/documents/{document.id}").get_data(as_text=True)
    assert "内容需调整" in html and "确认签收" not in html
    resp = _post(client, f"/conferences/documents/{document.id}/sign", {"password": PASSWORD, "version": 1})
    assert resp.status_code == 409 and "已撤回" in resp.get_data(as_text=True)


def test_edit_republish_needs_signing_again(client, org, setup, session):
    document = published(org, setup, units=[org.health_a.id])
    documents.sign_document(setup.health_liaison, document, PASSWORD, 1)
    session.commit()
    sign_in(client, org.office_user)
    assert client.get(f"/conferences/documents/{document.id}/edit").status_code == 200
    resp = _post(client, f"/conferences/documents/{document.id}/edit",
                 {"lock_version": document.lock_version, "doc_no": document.doc_no, "title": "修改后的标题",
                  "body": "修改后"})
    assert resp.status_code == 302
    resp = _post(client, f"/conferences/documents/{document.id}/publish",
                 {"lock_version": document.lock_version, "units": [org.health_a.id]})
    assert resp.status_code == 302
    sign_in(client, setup.health_liaison)
    html = client.get(f"/conferences/documents/{document.id}").get_data(as_text=True)
    assert "确认签收" in html and "第2版" in html
    resp = _post(client, f"/conferences/documents/{document.id}/sign", {"password": PASSWORD, "version": 1})
    assert resp.status_code == 409 and "最新版本" in resp.get_data(as_text=True)
    # the office: version 2 unsigned, version 1's receipt kept in the history
    sign_in(client, org.office_user)
    html = client.get(f"/conferences/documents/{document.id}").get_data(as_text=True)
    assert "签收情况（第2版）" in html and "未签收" in html
    assert "历次签收记录" in html and "第1版 · 甲区卫生健康局 · 卫健联络员" in html


def test_units_not_chosen_and_other_districts_get_404(client, org, make_user, setup, session):
    document = published(org, setup, units=[org.health_a.id], attachments=[documents.Upload("a.pdf", PDF)])
    session.commit()
    urls = [f"/conferences/documents/{document.id}", f"/conferences/documents/{document.id}.pdf",
            f"/conferences/documents/{document.id}/attachments/{document.attachments[0].id}"]
    for user in (setup.safety_liaison, org.clerk_b, org.office_b_user, org.sysadmin_b):
        sign_in(client, user)
        for url in urls:
            assert client.get(url).status_code in (403, 404), (user.name, url)
        resp = _post(client, f"/conferences/documents/{document.id}/sign", {"password": PASSWORD, "version": 1})
        assert resp.status_code in (403, 404)
    for user in (org.clerk_b, org.office_b_user, org.sysadmin_b):
        sign_in(client, user)
        assert client.get(f"/conferences/{setup.conference.id}").status_code in (403, 404)


def test_meeting_pages_and_minutes_to_document(client, org, setup, session):
    conference = setup.conference
    sign_in(client, org.office_user)
    assert client.get(f"/conferences/{conference.id}/meetings/new").status_code == 200
    resp = _post(client, f"/conferences/{conference.id}/meetings/new",
                 {"title": "", "kind": "regular", "held_at": "2026-03-20T09:30", "agenda": "x",
                  "units": [org.health_a.id]})
    assert resp.status_code == 422 and "请填写会议名称" in resp.get_data(as_text=True)
    resp = _post(client, f"/conferences/{conference.id}/meetings/new",
                 {"title": "专题会商", "kind": "ad_hoc", "held_at": "2026-03-20T09:30", "place": "会议室",
                  "agenda": "研究联合检查方案", "units": [org.health_a.id, org.safety_a.id]})
    assert resp.status_code == 302
    meeting_url = resp.headers["Location"]
    meeting_id = int(meeting_url.rstrip("/").rsplit("/", 1)[-1])
    html = client.get(meeting_url).get_data(as_text=True)
    assert "研究联合检查方案" in html and "临时会议" in html
    from models.conference import ConferenceMeeting

    meeting = db.session.get(ConferenceMeeting, meeting_id)
    resp = _post(client, f"/conferences/meetings/{meeting_id}/minutes",
                 {"lock_version": meeting.lock_version, "minutes": "会议议定：联合检查于四月开展。",
                  f"names_{org.health_a.id}": "张三"})
    assert resp.status_code == 302
    db.session.refresh(meeting)
    resp = _post(client, f"/conferences/meetings/{meeting_id}/publish-minutes",
                 {"lock_version": meeting.lock_version, "doc_no": ""})
    assert resp.status_code == 422 and "请填写文号" in resp.get_data(as_text=True)
    resp = _post(client, f"/conferences/meetings/{meeting_id}/publish-minutes",
                 {"lock_version": meeting.lock_version, "doc_no": "甲联办纪〔2026〕2号"})
    assert resp.status_code == 302
    document = _doc("甲联办纪〔2026〕2号")
    assert document.title == "专题会商会议纪要" and "联合检查于四月开展" in document.body
    html = client.get(f"/conferences/documents/{document.id}").get_data(as_text=True)
    assert "发布公文信息" in html
    # an attending unit sees the meeting; another district does not
    sign_in(client, setup.health_liaison)
    assert client.get(meeting_url).status_code == 200
    sign_in(client, org.office_b_user)
    assert client.get(meeting_url).status_code == 404


def test_system_administrator_manages_conferences_of_its_subtree(client, org, make_user, setup, session):
    from models.roles import Role

    admin_a = make_user(org.district_a, Role.SYSTEM_ADMIN, name="甲区系统管理员")
    conference = setup.conference
    member = conference.member_for(org.bureau_a.id)
    sign_in(client, admin_a)
    assert "联席会议" in client.get("/conferences/").get_data(as_text=True)
    html = client.get(f"/conferences/{conference.id}").get_data(as_text=True)
    assert "保存联络员" in html and "新增公文信息" not in html  # documents are the office's work
    resp = _post(client, f"/conferences/{conference.id}/members/{member.id}",
                 {"lock_version": conference.lock_version, "liaison_id": ""})
    assert resp.status_code == 302
    db.session.refresh(member)
    assert member.liaison_id is None
    resp = _post(client, "/conferences/new", {"name": "甲区第二个联席会议", "office_id": org.office_a.id})
    assert resp.status_code == 302
    assert client.get(f"/conferences/{conference.id}/documents/new").status_code == 403
    sign_in(client, org.sysadmin_b)
    assert client.get(f"/conferences/{conference.id}").status_code == 404
