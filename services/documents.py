"""Official documents of a joint conference (公文, DB5101 13.2 表33).

表33: 新增公文信息 (the office writes the document: 文号, title, body, attachments) →
发布公文信息 (published to the member units the office chooses, 推送至成员单位: their liaisons
are notified) → 签收公文信息 (each unit's liaison signs with their password,
services/receipts).  The document is the subject (``official_document``) of one 表33 instance
per round: created with the document (its 成员单位 parties are the conference's members; those
not chosen at publication are marked declined, so only the chosen units get a 签收 work item in
我的待办), advanced by publication and by each signature, completed when every unit has signed.

The office may recall a published document before every unit has signed (reason required):
the round's instance is terminated, nothing more can be signed.  Editing a published, signed
or recalled document starts a new round (the old instance, if still running, is terminated;
status back to 草稿); publishing it again gives a new version with a new hash, and every unit
signs again.  Forms carry ``lock_version`` (409 when stale).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import selectinload

from infrastructure import clock
from infrastructure.errors import Conflict, Forbidden
from models import Department, ProcessInstance, User, db, utcnow
from models.conference import (
    Conference,
    DocumentAttachment,
    DocumentRecipient,
    DocumentStatus,
    OfficialDocument,
)
from models.receipts import Receipt
from models.workflow import InstanceStatus
from persistence import audit, notifications
from services import receipts
from services.conferences import Unprocessable, can_manage, is_office_staff
from services.plan_elements import DOCUMENT_TYPES, MAX_DOCUMENT_BYTES, sniff
from workflows import engine
from workflows.lanes import MEMBER

SUBJECT = OfficialDocument.receipt_kind
TABLE = 33
STALE = "该公文已被他人处理或已发生变化，请刷新页面查看最新状态"
MAX_ATTACHMENTS = 10
ATTACHMENT_KINDS = {"pdf": "pdf", "doc": "ole", "xls": "ole", "docx": "docx", "xlsx": "xlsx", "ofd": "ofd"}
FIELD_TITLES = {"doc_no": "文号", "title": "公文标题", "body": "正文"}
LIMITS = {"doc_no": 100, "title": 200, "body": 20000}


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


# ------------------------------------------------------------------ checks


def clean_fields(data: Mapping[str, Any]) -> dict[str, str]:
    values: dict[str, str] = {}
    for key, title in FIELD_TITLES.items():
        value = str(data.get(key) or "").strip()
        if key != "body" and not value:
            raise Unprocessable(f"请填写{title}", field=key)
        if len(value) > LIMITS[key]:
            raise Unprocessable(f"{title}不能超过{LIMITS[key]}个字符", field=key)
        values[key] = value
    return values


def clean_attachment(upload: Upload) -> tuple[str, str, bytes]:
    """(file name, MIME type, bytes) of an acceptable attachment; else 422 with the reason."""
    name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1].strip()[:200]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in ATTACHMENT_KINDS:
        raise Unprocessable(f"附件“{name}”的类型不支持：只能上传 PDF、Word（doc/docx）、Excel（xls/xlsx）或 OFD 文件",
                            field="attachments")
    if not upload.data:
        raise Unprocessable(f"附件“{name}”是空文件", field="attachments")
    if len(upload.data) > MAX_DOCUMENT_BYTES:
        raise Unprocessable(f"附件“{name}”超过{MAX_DOCUMENT_BYTES // 1024 // 1024}MB", field="attachments")
    if sniff(upload.data) != ATTACHMENT_KINDS[ext]:
        raise Unprocessable(f"附件“{name}”的内容与扩展名 .{ext} 不符，请上传真实的{ext.upper()}文件", field="attachments")
    return name, DOCUMENT_TYPES[ext], upload.data


def _clean_uploads(uploads: Iterable[Upload | None]) -> list[tuple[str, str, bytes]]:
    return [clean_attachment(u) for u in uploads if u is not None and u.filename]


def _attach(user: User, document: OfficialDocument, files: Sequence[tuple[str, str, bytes]]) -> None:
    if len(document.attachments) + len(files) > MAX_ATTACHMENTS:
        raise Unprocessable(f"每份公文最多{MAX_ATTACHMENTS}个附件", field="attachments")
    for name, mime, data in files:
        document.attachments.append(DocumentAttachment(
            name=name, content_type=mime, size=len(data), sha256=hashlib.sha256(data).hexdigest(), data=data,
            uploaded_by_id=user.id,
        ))


# ------------------------------------------------------------------ who sees what


def is_recipient(user: User, document: OfficialDocument) -> bool:
    """The user works in (or below) a unit the document was published to."""
    return document.status != DocumentStatus.DRAFT and any(
        user.department.is_within(r.department) for r in document.recipients
    )


def can_view(user: User, document: OfficialDocument) -> bool:
    return can_manage(user, document.conference) or is_recipient(user, document)


def can_edit(user: User, document: OfficialDocument) -> bool:
    return is_office_staff(user, document.conference)


def can_publish(user: User, document: OfficialDocument) -> bool:
    return can_edit(user, document) and document.status == DocumentStatus.DRAFT


def can_recall(user: User, document: OfficialDocument) -> bool:
    return can_edit(user, document) and document.status == DocumentStatus.PUBLISHED


def office_documents(conference: Conference) -> list[OfficialDocument]:
    return list(db.session.execute(
        select(OfficialDocument).where(OfficialDocument.conference_id == conference.id)
        .options(selectinload(OfficialDocument.recipients)).order_by(OfficialDocument.id.desc())
    ).scalars())


def received_query(user: User) -> Select[tuple[OfficialDocument]]:
    """Documents published to the user's unit (or a unit above the user's department)."""
    return (
        select(OfficialDocument)
        .where(
            OfficialDocument.status != DocumentStatus.DRAFT,
            exists().where(
                DocumentRecipient.document_id == OfficialDocument.id,
                DocumentRecipient.department_id.in_(user.department.ancestors()),
            ),
        )
        .order_by(OfficialDocument.published_at.desc(), OfficialDocument.id.desc())
    )


def received(user: User) -> list[OfficialDocument]:
    return list(db.session.execute(received_query(user)).scalars())


def instance_of(document: OfficialDocument) -> ProcessInstance | None:
    """The current round's 表33 instance (the latest one)."""
    return db.session.execute(
        select(ProcessInstance)
        .where(ProcessInstance.subject_type == SUBJECT, ProcessInstance.subject_id == document.id)
        .order_by(ProcessInstance.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def _active_instance(document: OfficialDocument) -> ProcessInstance | None:
    inst = instance_of(document)
    return inst if inst is not None and inst.status == InstanceStatus.ACTIVE else None


def document_path(document: OfficialDocument) -> str:
    return f"/conferences/documents/{document.id}"


# ------------------------------------------------------------------ verbs


def _lock(document: OfficialDocument, lock_version: int | None) -> None:
    db.session.execute(
        select(OfficialDocument).where(OfficialDocument.id == document.id).with_for_update()
        .execution_options(populate_existing=True)
    )
    if lock_version is None or document.lock_version != lock_version:
        raise Conflict(STALE)
    document.lock_version += 1


def _check_staff(user: User, conference: Conference) -> None:
    if not is_office_staff(user, conference):
        raise Forbidden("只有该联席会议办公室的工作人员可以办理公文")


def _doc_no_taken(conference: Conference, doc_no: str, own_id: int | None = None) -> bool:
    query = select(OfficialDocument.id).where(
        OfficialDocument.conference_id == conference.id, OfficialDocument.doc_no == doc_no
    )
    if own_id is not None:
        query = query.where(OfficialDocument.id != own_id)
    return db.session.execute(query).first() is not None


def _start_round(user: User, document: OfficialDocument) -> ProcessInstance:
    """A 表33 instance at 新增公文信息, with every member unit as a (for now declined) party."""
    members = [m.department_id for m in document.conference.active_members]
    if not members:
        raise Unprocessable("该联席会议尚无成员单位，请先添加成员单位")
    inst = engine.start(
        TABLE, user, title=f"{document.doc_no} {document.title}"[:200], parties={MEMBER: members},
        subject_type=SUBJECT, subject_id=document.id,
    )
    return inst


def create_document(
    user: User, conference: Conference, data: Mapping[str, Any], uploads: Iterable[Upload | None] = (),
    *, meeting_id: int | None = None,
) -> OfficialDocument:
    """新增公文信息: a draft of the office, with the round's 表33 instance started."""
    _check_staff(user, conference)
    fields = clean_fields(data)
    files = _clean_uploads(uploads)
    if _doc_no_taken(conference, fields["doc_no"]):
        raise Conflict(f"文号“{fields['doc_no']}”已被本联席会议的其他公文使用", field="doc_no")
    document = OfficialDocument(conference=conference, created_by=user, meeting_id=meeting_id, **fields)
    db.session.add(document)
    _attach(user, document, files)
    db.session.flush()
    _start_round(user, document)
    audit.record("create", object_type=SUBJECT, object_id=document.id,
                 summary={"文号": document.doc_no, "标题": document.title, "附件": len(files)}, user=user)
    return document


def update_document(
    user: User, document: OfficialDocument, lock_version: int | None, data: Mapping[str, Any],
    uploads: Iterable[Upload | None] = (), remove_attachment_ids: Iterable[Any] = (),
) -> OfficialDocument:
    """Edit the document.  A published, signed or recalled one goes back to 草稿 in a new round
    (to be published again as a new version that every unit signs again)."""
    _check_staff(user, document.conference)
    fields = clean_fields(data)
    files = _clean_uploads(uploads)
    try:
        remove = {int(i) for i in remove_attachment_ids}
    except (TypeError, ValueError):
        raise Unprocessable("要删除的附件无效", field="attachments") from None
    if remove - {a.id for a in document.attachments}:
        raise Unprocessable("要删除的附件不属于该公文", field="attachments")
    if _doc_no_taken(document.conference, fields["doc_no"], document.id):
        raise Conflict(f"文号“{fields['doc_no']}”已被本联席会议的其他公文使用", field="doc_no")
    _lock(document, lock_version)
    was = document.status
    changes = {FIELD_TITLES[k]: v for k, v in fields.items() if getattr(document, k) != v}
    for key, value in fields.items():
        setattr(document, key, value)
    for attachment in [a for a in document.attachments if a.id in remove]:
        document.attachments.remove(attachment)
    _attach(user, document, files)
    document.updated_at = utcnow()
    if was != DocumentStatus.DRAFT:
        active = _active_instance(document)
        if active is not None:
            engine.terminate(user, active, "公文已修改，须重新发布并重新签收", label="修改公文")
        document.status = DocumentStatus.DRAFT
        _start_round(user, document)
    db.session.flush()
    audit.record("update", object_type=SUBJECT, object_id=document.id,
                 summary={**changes, "新增附件": len(files), "删除附件": len(remove),
                          "原状态": was.label} if (changes or files or remove) else "未改变", user=user)
    return document


def publish_document(
    user: User, document: OfficialDocument, lock_version: int | None, unit_ids: Iterable[Any],
) -> OfficialDocument:
    """发布公文信息: to the chosen member units, as a new version; their liaisons are notified."""
    _check_staff(user, document.conference)
    try:
        chosen = list(dict.fromkeys(int(i) for i in unit_ids))
    except (TypeError, ValueError):
        raise Unprocessable("成员单位选择无效", field="units") from None
    if not chosen:
        raise Unprocessable("请至少选择一个成员单位", field="units")
    members = {m.department_id: m for m in document.conference.active_members}
    if set(chosen) - set(members):
        raise Unprocessable("所选单位不是该联席会议的成员单位", field="units")
    _lock(document, lock_version)
    if document.status != DocumentStatus.DRAFT:
        raise Conflict("只有草稿状态的公文可以发布；已发布或已撤回的公文请先修改，再重新发布")
    inst = _active_instance(document)
    if inst is None or inst.current_step != "draft":
        inst = _start_round(user, document)
    known = {p.department_id: p for p in inst.parties if p.relation == MEMBER}
    for dept_id in members:
        party = known.get(dept_id)
        if party is None and dept_id in chosen:
            from models import InstanceParty

            inst.parties.append(InstanceParty(department_id=dept_id, relation=MEMBER))
        elif party is not None:
            party.declined = dept_id not in chosen
    # Old rows go first (the unit of work would insert before deleting: UNIQUE(document, unit)).
    document.recipients.clear()
    db.session.flush()
    document.recipients.extend(DocumentRecipient(department_id=d) for d in chosen)
    db.session.flush()
    for recipient in document.recipients:
        db.session.refresh(recipient, ["department"])
    document.version += 1
    document.status = DocumentStatus.PUBLISHED
    document.published_by = user
    document.published_at = utcnow()
    document.recall_reason, document.recalled_at, document.recalled_by_id = "", None, None
    document.content_sha256 = receipts.content_hash(document)
    engine.advance(user, inst, "draft", "next")
    engine.advance(user, inst, "publish", "next")
    liaisons = [members[d].liaison for d in chosen]
    notifications.notify(
        liaisons, f"请签收公文：{document.doc_no}《{document.title}》",
        f"{document.conference.name}办公室发布了公文{document.doc_no}（第{document.version}版），请登录平台签收。",
        document_path(document),
    )
    audit.record("publish", object_type=SUBJECT, object_id=document.id,
                 summary={"文号": document.doc_no, "版本": document.version, "内容摘要": document.content_sha256,
                          "成员单位": "、".join(r.department.name for r in document.recipients)}, user=user)
    return document


def sign_document(user: User, document: OfficialDocument, password: str, version: int | None) -> Receipt:
    """签收公文信息 for the user's unit (password re-checked; see services/receipts)."""
    receipt = receipts.sign(user, document, password, version=version,
                            label=f"公文{document.doc_no}《{document.title}》")
    inst = _active_instance(document)
    if inst is not None and inst.current_step == "sign":
        engine.advance(user, inst, "sign", "next")
    if receipts.all_signed(document):
        document.status = DocumentStatus.SIGNED
    if document.published_by is not None:
        notifications.notify(
            [document.published_by], f"{receipt.department.name}已签收公文{document.doc_no}",
            f"{receipt.user_name}于{clock.format_china(receipt.signed_at)}签收《{document.title}》（第{document.version}版）。", document_path(document),
            channels=("inbox",),
        )
    return receipt


def recall_document(user: User, document: OfficialDocument, lock_version: int | None, reason: str) -> None:
    """撤回 a published document before every unit has signed (reason required)."""
    _check_staff(user, document.conference)
    reason = (reason or "").strip()
    if not reason:
        raise Unprocessable("请填写撤回理由", field="reason")
    if len(reason) > 2000:
        raise Unprocessable("撤回理由不能超过2000个字符", field="reason")
    _lock(document, lock_version)
    if document.status == DocumentStatus.SIGNED:
        raise Conflict("各成员单位已全部签收，不能撤回")
    if document.status != DocumentStatus.PUBLISHED:
        raise Conflict("只有已发布、尚未全部签收的公文可以撤回")
    active = _active_instance(document)
    if active is not None:
        engine.terminate(user, active, reason, label="撤回公文")
    document.status = DocumentStatus.RECALLED
    document.recalled_by = user
    document.recalled_at = utcnow()
    document.recall_reason = reason
    notifications.notify(
        receipts_liaisons(document), f"公文已撤回：{document.doc_no}《{document.title}》",
        f"撤回理由：{reason}", document_path(document),
    )
    audit.record("recall", object_type=SUBJECT, object_id=document.id,
                 summary={"文号": document.doc_no, "版本": document.version, "理由": reason}, user=user)


def receipts_liaisons(document: OfficialDocument) -> list[User]:
    units = {r.department_id for r in document.recipients}
    return [m.liaison for m in document.conference.active_members if m.department_id in units and m.liaison]


# ------------------------------------------------------------------ the PDF


def pdf(document: OfficialDocument) -> bytes:
    """The document and its receipt sheet (each unit, who signed, when), A4 with 第 X 页 共 Y 页."""
    from infrastructure import pdf as pdf_service

    sheet = receipts.receipt_sheet(document) if document.version else []
    return pdf_service.render(
        "pdf/official_document.html", title=document.title, document=document, sheet=sheet,
        paragraphs=[p for p in document.body.splitlines() if p.strip()],
    )


def unit_departments(document: OfficialDocument) -> list[Department]:
    return [r.department for r in document.recipients]
