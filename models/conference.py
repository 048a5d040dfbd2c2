"""Joint conferences (联席会议, DB5101 ch. 13, 表32/表33; seed 001 议事会商/吹哨响应).

A ``Conference`` (e.g. 打击传销与无证无照经营联席会议) is run by its office (办公室), a
``Department`` of kind 联席会议办公室; its member units (成员单位) are departments, each with a
liaison (联络员, a ``User``) who signs for what the office sends.  The office writes official
documents (公文, 表33: 新增公文信息 → 发布公文信息 → 签收公文信息), publishes them to chosen
member units (``DocumentRecipient``), and each unit signs for the version it received
(``models.receipts.Receipt``).  A meeting (会商会议) has an agenda, attending units and minutes,
which may be published as a document.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.org import Department, User


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class Conference(db.Model):
    """A joint conference; ``office`` is the department that runs it (联席会议办公室)."""

    __tablename__ = "conference"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    office_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    duties: Mapped[str] = mapped_column(Text, default="")  # 工作职责
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    office: Mapped[Department] = relationship()
    created_by: Mapped[User | None] = relationship()
    members: Mapped[list[ConferenceMember]] = relationship(
        back_populates="conference", cascade="all, delete-orphan", order_by="ConferenceMember.sort_order"
    )

    __table_args__ = (UniqueConstraint("office_id", "name"),)

    @property
    def department(self) -> Department:
        """The owner for the data scope (persistence/scope.in_scope): the office."""
        return self.office

    @property
    def active_members(self) -> list[ConferenceMember]:
        return [m for m in self.members if m.active]

    def member_for(self, department_id: int) -> ConferenceMember | None:
        return next((m for m in self.members if m.department_id == department_id and m.active), None)

    def __repr__(self) -> str:
        return f"<Conference {self.id} {self.name}>"


class ConferenceMember(db.Model):
    """A member unit (成员单位) of a conference and its liaison (联络员)."""

    __tablename__ = "conference_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    liaison_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    duties: Mapped[str] = mapped_column(Text, default="")  # 成员单位职责
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    joined_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    conference: Mapped[Conference] = relationship(back_populates="members")
    department: Mapped[Department] = relationship()
    liaison: Mapped[User | None] = relationship()

    __table_args__ = (UniqueConstraint("conference_id", "department_id"),)


class DocumentStatus(enum.StrEnum):
    DRAFT = "draft"  # 新增公文信息 (or edited after publication, not yet republished)
    PUBLISHED = "published"  # 发布公文信息: with the units to sign
    SIGNED = "signed"  # every recipient has signed the current version
    RECALLED = "recalled"  # 撤回 before all had signed

    @property
    def label(self) -> str:
        return {"draft": "草稿", "published": "已发布", "signed": "已全部签收", "recalled": "已撤回"}[self.value]

    @property
    def css(self) -> str:
        return {"draft": "muted", "published": "warn", "signed": "ok", "recalled": "danger"}[self.value]


class OfficialDocument(db.Model):
    """An official document (公文) of a conference's office, 表33."""

    __tablename__ = "official_document"
    receipt_kind = "official_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id"), index=True)
    doc_no: Mapped[str] = mapped_column(String(100))  # 文号
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[DocumentStatus] = mapped_column(_enum(DocumentStatus), default=DocumentStatus.DRAFT)
    # The published version: 0 until first published, +1 at every (re)publication.
    version: Mapped[int] = mapped_column(Integer, default=0)
    content_sha256: Mapped[str] = mapped_column(String(64), default="")  # of the published version
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("conference_meeting.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    recalled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recalled_at: Mapped[datetime | None] = mapped_column(DateTime)
    recall_reason: Mapped[str] = mapped_column(Text, default="")
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    conference: Mapped[Conference] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])
    recalled_by: Mapped[User | None] = relationship(foreign_keys=[recalled_by_id])
    attachments: Mapped[list[DocumentAttachment]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="DocumentAttachment.id"
    )
    recipients: Mapped[list[DocumentRecipient]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="DocumentRecipient.id"
    )

    __table_args__ = (CheckConstraint("version >= 0", name="version_nonnegative"),)

    @property
    def department(self) -> Department:
        return self.conference.office

    @property
    def is_recalled(self) -> bool:
        return self.status == DocumentStatus.RECALLED

    @property
    def receipt_open(self) -> bool:
        """Signable only as published (not while edited and not yet published again)."""
        return self.status in (DocumentStatus.PUBLISHED, DocumentStatus.SIGNED)

    @property
    def recipient_ids(self) -> set[int]:
        return {r.department_id for r in self.recipients}

    # services/receipts.Signable
    def receipt_units(self) -> list[Department]:
        return [r.department for r in self.recipients]

    def receipt_content(self) -> dict[str, object]:
        """What a unit signs for: the document as published (文号, title, body, attachments)."""
        return {
            "kind": self.receipt_kind,
            "id": self.id,
            "version": self.version,
            "conference": self.conference.name,
            "doc_no": self.doc_no,
            "title": self.title,
            "body": self.body,
            "attachments": [{"name": a.name, "size": a.size, "sha256": a.sha256} for a in self.attachments],
        }


class DocumentAttachment(db.Model):
    """A file attached to a document (kept in the database, like the plan document)."""

    __tablename__ = "document_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("official_document.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    document: Mapped[OfficialDocument] = relationship(back_populates="attachments")


class DocumentRecipient(db.Model):
    """A member unit a document is published to (推送至成员单位)."""

    __tablename__ = "document_recipient"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("official_document.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    added_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    document: Mapped[OfficialDocument] = relationship(back_populates="recipients")
    department: Mapped[Department] = relationship()

    __table_args__ = (UniqueConstraint("document_id", "department_id"),)


class MeetingStatus(enum.StrEnum):
    PLANNED = "planned"
    HELD = "held"  # minutes recorded

    @property
    def label(self) -> str:
        return {"planned": "待召开", "held": "已召开"}[self.value]

    @property
    def css(self) -> str:
        return {"planned": "warn", "held": "ok"}[self.value]


class ConferenceMeeting(db.Model):
    """A meeting of a conference (议事会商): agenda, attending units, minutes."""

    __tablename__ = "conference_meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="regular")  # regular 定期 / ad_hoc 临时
    held_at: Mapped[datetime] = mapped_column(DateTime)
    place: Mapped[str] = mapped_column(String(200), default="")
    agenda: Mapped[str] = mapped_column(Text, default="")
    minutes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[MeetingStatus] = mapped_column(_enum(MeetingStatus), default=MeetingStatus.PLANNED)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    conference: Mapped[Conference] = relationship()
    created_by: Mapped[User | None] = relationship()
    attendees: Mapped[list[MeetingAttendee]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="MeetingAttendee.id"
    )

    @property
    def department(self) -> Department:
        return self.conference.office

    @property
    def kind_label(self) -> str:
        return {"regular": "定期会议", "ad_hoc": "临时会议"}.get(self.kind, self.kind)


class MeetingAttendee(db.Model):
    __tablename__ = "meeting_attendee"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("conference_meeting.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    attendee_names: Mapped[str] = mapped_column(String(200), default="")  # 参会人员

    meeting: Mapped[ConferenceMeeting] = relationship(back_populates="attendees")
    department: Mapped[Department] = relationship()

    __table_args__ = (UniqueConstraint("meeting_id", "department_id"),)
