"""services/documents: 表33 新增公文信息 → 发布公文信息 → 签收公文信息, recall, new version on edit, PDF."""

from __future__ import annotations

import subprocess

import pytest
from sqlalchemy import select

from infrastructure.errors import Conflict, Forbidden
from models import Message, OutboxMessage, Receipt
from models.conference import DocumentStatus
from models.workflow import InstanceStatus, WorkItemStatus
from services import documents, receipts
from tests.conftest import PASSWORD
from tests.factories.conference import PDF_ATTACHMENT, draft, make_conference, published
from workflows import engine


@pytest.fixture()
def setup(org, make_user, session):
    return make_conference(org, make_user, session)


def test_create_starts_table_33_at_the_first_step(org, setup, session):
    document = draft(org, setup.conference, attachments=[PDF_ATTACHMENT])
    assert document.status == DocumentStatus.DRAFT and document.version == 0
    assert [a.name for a in document.attachments] == ["附件1.pdf"]
    assert document.attachments[0].content_type == "application/pdf"
    inst = documents.instance_of(document)
    assert inst.process_table == 33 and inst.current_step == "draft"
    assert inst.subject_type == "official_document" and inst.subject_id == document.id
    assert engine.open_item(org.office_user, inst, "draft") is not None


@pytest.mark.parametrize(("field", "message"), [("doc_no", "请填写文号"), ("title", "请填写公文标题")])
def test_document_without_doc_no_or_title_is_422(org, setup, session, field, message):
    data = {"doc_no": "甲联办〔2026〕9号", "title": "标题", "body": ""}
    data[field] = "  "
    with pytest.raises(documents.Unprocessable, match=message) as exc:
        documents.create_document(org.office_user, setup.conference, data)
    assert exc.value.status == 422 and exc.value.field == field


@pytest.mark.parametrize(("name", "data", "message"), [
    ("通知.pdf", b"MZ\x90\x00not a pdf at all", "内容与扩展名 .pdf 不符"),
    ("通知.docx", b"%PDF-1.4 pretending", "内容与扩展名 .docx 不符"),
    ("通知.exe", b"MZ", "类型不支持"),
    ("空.pdf", b"", "空文件"),
])
def test_attachment_that_lies_about_its_type_is_422(org, setup, session, name, data, message):
    with pytest.raises(documents.Unprocessable, match=message):
        draft(org, setup.conference, attachments=[documents.Upload(name, data)])


def test_doc_no_unique_within_the_conference(org, setup, session):
    draft(org, setup.conference)
    with pytest.raises(Conflict, match="已被本联席会议的其他公文使用"):
        draft(org, setup.conference, title="另一份")


def test_only_office_staff_write_documents(org, setup):
    with pytest.raises(Forbidden):
        documents.create_document(setup.health_liaison, setup.conference, {"doc_no": "x", "title": "y"})
    with pytest.raises(Forbidden):
        documents.create_document(org.office_b_user, setup.conference, {"doc_no": "x", "title": "y"})


def test_publish_pushes_to_chosen_units_and_notifies_their_liaisons(org, setup, session):
    document = published(org, setup)
    assert document.status == DocumentStatus.PUBLISHED and document.version == 1
    assert len(document.content_sha256) == 64
    assert [r.department_id for r in document.recipients] == [org.health_a.id, org.safety_a.id]
    inst = documents.instance_of(document)
    assert inst.current_step == "sign"
    open_units = {i.department_id for i in inst.work_items if i.step_key == "sign" and i.status == WorkItemStatus.OPEN}
    assert open_units == {org.health_a.id, org.safety_a.id}  # not the bureau: not chosen
    # 我的待办 of each chosen liaison, not of the unit left out
    assert any(i.instance_id == inst.id for i in engine.inbox(setup.health_liaison))
    assert not any(i.instance_id == inst.id for i in engine.inbox(setup.bureau_liaison))
    inbox = session.execute(select(Message.user_id)).scalars().all()
    assert sorted(inbox) == sorted([setup.health_liaison.id, setup.safety_liaison.id])
    outbox = {(o.channel, o.address) for o in session.execute(select(OutboxMessage)).scalars()}
    assert outbox == {("sms", "13900000001"), ("sms", "13900000002"), ("email", "health@example.invalid")}


def test_publish_checks_units(org, setup, session):
    document = draft(org, setup.conference)
    with pytest.raises(documents.Unprocessable, match="请至少选择一个成员单位"):
        documents.publish_document(org.office_user, document, document.lock_version, [])
    with pytest.raises(documents.Unprocessable, match="不是该联席会议的成员单位"):
        documents.publish_document(org.office_user, document, document.lock_version, [org.station_a.id])
    with pytest.raises(Conflict, match="已被他人处理"):
        documents.publish_document(org.office_user, document, document.lock_version - 1, [org.health_a.id])


def test_each_unit_signs_and_the_last_signature_completes_the_process(org, setup, session):
    document = published(org, setup)
    receipt = documents.sign_document(setup.health_liaison, document, PASSWORD, 1)
    assert receipt.department_id == org.health_a.id and receipt.content_sha256 == document.content_sha256
    assert document.status == DocumentStatus.PUBLISHED
    inst = documents.instance_of(document)
    assert inst.status == InstanceStatus.ACTIVE
    documents.sign_document(setup.safety_liaison, document, PASSWORD, 1)
    assert document.status == DocumentStatus.SIGNED
    assert documents.instance_of(document).status == InstanceStatus.COMPLETED
    with pytest.raises(Conflict, match="已签收"):
        documents.sign_document(setup.safety_liaison, document, PASSWORD, 1)
    # the office hears of each signature in its message centre
    assert session.execute(select(Message).where(Message.user_id == org.office_user.id)).scalars().all()


def test_a_member_unit_that_was_not_chosen_cannot_see_or_sign(org, setup, session):
    document = published(org, setup, units=[org.health_a.id])
    assert not documents.can_view(setup.safety_liaison, document)
    with pytest.raises(Forbidden):
        documents.sign_document(setup.safety_liaison, document, PASSWORD, 1)
    assert not documents.can_view(org.clerk_b, document)
    assert not documents.can_view(org.office_b_user, document)
    # a draft is the office's alone
    other = draft(org, setup.conference, doc_no="甲联办〔2026〕2号")
    assert not documents.can_view(setup.health_liaison, other)


def test_recall_before_all_signed_with_reason(org, setup, session):
    document = published(org, setup)
    documents.sign_document(setup.health_liaison, document, PASSWORD, 1)
    with pytest.raises(documents.Unprocessable, match="请填写撤回理由"):
        documents.recall_document(org.office_user, document, document.lock_version, " ")
    documents.recall_document(org.office_user, document, document.lock_version, "文号有误")
    assert document.status == DocumentStatus.RECALLED and document.recall_reason == "文号有误"
    inst = documents.instance_of(document)
    assert inst.status == InstanceStatus.TERMINATED
    assert not [i for i in inst.work_items if i.status == WorkItemStatus.OPEN]
    assert inst.history[-1].comment == "文号有误"
    with pytest.raises(Conflict, match="已撤回"):
        documents.sign_document(setup.safety_liaison, document, PASSWORD, 1)
    assert session.execute(select(Receipt).where(Receipt.department_id == org.safety_a.id)).first() is None


def test_a_signed_document_cannot_be_recalled(org, setup, session):
    document = published(org, setup, units=[org.health_a.id])
    documents.sign_document(setup.health_liaison, document, PASSWORD, 1)
    with pytest.raises(Conflict, match="全部签收"):
        documents.recall_document(org.office_user, document, document.lock_version, "晚了")


def test_an_edited_document_is_a_new_version_signed_again(org, setup, session):
    document = published(org, setup)
    documents.sign_document(setup.health_liaison, document, PASSWORD, 1)
    first_hash = document.content_sha256
    documents.update_document(org.office_user, document, document.lock_version,
                              {"doc_no": document.doc_no, "title": document.title, "body": "修改后的正文"})
    assert document.status == DocumentStatus.DRAFT
    new = documents.instance_of(document)
    assert new.current_step == "draft" and new.status == InstanceStatus.ACTIVE
    # nobody signs a document being changed
    assert not receipts.can_sign(setup.safety_liaison, document)
    with pytest.raises(Conflict, match="尚未重新发布"):
        documents.sign_document(setup.safety_liaison, document, PASSWORD, 1)
    documents.publish_document(org.office_user, document, document.lock_version, [org.health_a.id, org.safety_a.id])
    assert document.version == 2 and document.content_sha256 != first_hash
    assert receipts.can_sign(setup.health_liaison, document)  # its version-1 receipt does not count
    with pytest.raises(Conflict, match="最新版本"):
        documents.sign_document(setup.health_liaison, document, PASSWORD, 1)
    receipt = documents.sign_document(setup.health_liaison, document, PASSWORD, 2)
    assert receipt.version == 2 and receipt.content_sha256 == document.content_sha256
    versions = session.execute(
        select(Receipt.version).where(Receipt.subject_id == document.id, Receipt.department_id == org.health_a.id)
    ).scalars().all()
    assert sorted(versions) == [1, 2]


def test_editing_a_published_document_terminates_the_running_round(org, setup, session):
    from models import ProcessInstance

    document = published(org, setup)
    documents.update_document(org.office_user, document, document.lock_version,
                              {"doc_no": document.doc_no, "title": "新标题", "body": document.body})
    rounds = session.execute(
        select(ProcessInstance).where(ProcessInstance.subject_id == document.id, ProcessInstance.process_table == 33)
        .order_by(ProcessInstance.id)
    ).scalars().all()
    assert [r.status for r in rounds] == [InstanceStatus.TERMINATED, InstanceStatus.ACTIVE]
    assert not any(i.status == WorkItemStatus.OPEN for i in rounds[0].work_items)


def test_stale_edit_is_409_and_changes_nothing(org, setup, session):
    document = draft(org, setup.conference)
    with pytest.raises(Conflict):
        documents.update_document(org.office_user, document, document.lock_version + 5,
                                  {"doc_no": "新文号", "title": "新标题"})


def test_pdf_has_the_document_and_its_receipt_sheet(app, org, setup, session, tmp_path):
    document = published(org, setup, body="第一段正文。\n第二段：堃喆昇。")
    documents.sign_document(setup.health_liaison, document, PASSWORD, 1)
    data = documents.pdf(document)
    assert data.startswith(b"%PDF-")
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
    assert "关于报送工作台账的通知" in text and "甲联办〔2026〕1号" in text
    assert "签收回执单" in text and "卫健联络员" in text and "未签收" in text
    assert org.health_a.name in text and org.safety_a.name in text
    assert "堃喆昇" in text
    assert "第1页共1页" in "".join(text.split())
    path = tmp_path / "document.pdf"
    path.write_bytes(data)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "Noto-Serif-CJK-SC" in line or "FangSong" in line]
    assert cjk and all(" yes " in line for line in cjk)  # the CJK face, embedded


def test_a_recalled_document_is_published_again_only_after_an_edit(org, setup, session):
    document = published(org, setup)
    documents.recall_document(org.office_user, document, document.lock_version, "重发")
    with pytest.raises(Conflict, match="请先修改"):
        documents.publish_document(org.office_user, document, document.lock_version, [org.health_a.id])
    documents.update_document(org.office_user, document, document.lock_version,
                              {"doc_no": document.doc_no, "title": document.title, "body": "更正后"})
    documents.publish_document(org.office_user, document, document.lock_version, [org.health_a.id])
    assert document.status == DocumentStatus.PUBLISHED and document.version == 2 and not document.recall_reason
    assert documents.sign_document(setup.health_liaison, document, PASSWORD, 2).version == 2
    assert document.status == DocumentStatus.SIGNED
