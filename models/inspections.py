"""Inspections (开展双随机检查 → 录入检查结果 → 审核检查结果一致性、规范性 → 公示检查结果 → 完成抽查,
DB5101 表20/表22), the inspection record (检查情况记录表, DB5101 A.3/A.3.1 and seed 003 F.1) and
the published results.

Tables:

- ``inspection_record`` (``InspectionRecord``): one per drawn object of a task (``TaskObject``)
  and 填报部门 (A.3.1 is filled by each department of a joint task; a single task has one
  department), numbered ``record_no`` (``2026-JC-000123``, unique, human readable).  It holds
  the F.1 header snapshotted from the registry when the record is opened (主体名称,
  统一社会信用代码, 所属区县, 证件（照）号码, 法定代表人, 检查地址, 联系电话; a place or product
  object fills what it has), 检查事项 and 记录情况, the A.3.1 header (填报时间 ``filled_on``,
  检查人员 ``inspector_names``), 检查方式 ``method``, the result category ``result``
  (``ResultCategory``: seeds 001 and 003 merged) with ``result_note``, the entity's signature
  (``signer_name``/``signed_at``) or its refusal (``refused`` with ``refusal_witness``,
  ``refusal_recording``, ``refusal_note``: seed 001 录音、录像…见证人), the review (退回 with
  ``return_reason``) and ``status`` (``RecordStatus``).  ``lock_version`` is the stale-form
  check (409); ``version`` counts the publications (``InspectionResultVersion``).
- ``inspection_record_line`` (``InspectionRecordLine``): the A.3.1 rows 检查项目 / 检查内容 /
  检查结果, in ``position`` order.
- ``record_evidence`` (``RecordEvidence``): photos and documents kept in the database (bytes,
  sniffed MIME type, size, SHA-256), at most 10 MB each.
- ``record_confirmation`` (``RecordConfirmation``): a team member's confirmation of the
  record's content (seed 003: 由检查组全体成员签字确认); ``record_lock_version`` is the content
  version confirmed.  Any change of the content deletes the confirmations.
- ``advance_notice`` (``AdvanceNotice``): 提前告知 of one drawn object (书面/电话/传真, when, by
  whom, to whom); refused for the industries where the law forbids it (services/inspections.py
  ``NO_NOTICE_RULES``).
- ``inspection_result_version`` (``InspectionResultVersion``): the immutable published
  versions of a record's result: the public snapshot as JSON and its SHA-256 ``digest``;
  version 1 at 公示检查结果, a correction writes version n+1 with ``corrected_from`` (the
  version it corrects) and ``reason``.  UNIQUE(record_id, version); the public page shows the
  latest.  ``publication_id`` is the matching ``Publication`` row (the feed).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.draws import TaskObject
from models.org import Department, User
from models.plans import Task
from models.teams import TeamMember


def _enum(cls: type[enum.Enum], length: int = 20) -> Enum:
    return Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class ResultCategory(enum.StrEnum):
    """检查结果: the categories of seed 001 (公示抽查检查结果) and seed 003 (形成检查结果) in one
    catalogue.  Seed 003's wordings map onto these: 未开展本次抽查涉及的经营活动 →
    ``NO_ACTIVITY``, 发现问题需进一步整改 → ``ORDERED``, 发现问题需进一步调查处理 → ``FOLLOW_UP``."""

    NO_PROBLEM = "no_problem"
    NOT_DISCLOSED = "not_disclosed"
    FALSE_DISCLOSURE = "false_disclosure"
    UNREACHABLE = "unreachable"
    UNCOOPERATIVE = "uncooperative"
    NO_ACTIVITY = "no_activity"
    CORRECTED = "corrected"
    ORDERED = "ordered"
    FOLLOW_UP = "follow_up"
    QUALIFIED = "qualified"
    UNQUALIFIED = "unqualified"
    DECISION = "decision"
    OTHER = "other"
    # 无法检查: the object could not be inspected (closed, moved, refused entry …); the reason is
    # the record's ``result_note``.  No check rows or entity signature are required then.
    NOT_INSPECTED = "not_inspected"

    @property
    def label(self) -> str:
        return RESULT_LABELS[self.value]

    @property
    def is_problem(self) -> bool:
        """A problem was found: follow-up (后续处理) applies."""
        return self.value in PROBLEM_RESULTS

    @property
    def css(self) -> str:
        if self.value in ("no_problem", "qualified", "no_activity"):
            return "ok"
        return "warn" if self.is_problem else "info"


RESULT_LABELS = {
    "no_problem": "未发现问题",
    "not_disclosed": "未按规定公示应当公示的信息",
    "false_disclosure": "公示信息隐瞒真实情况弄虚作假",
    "unreachable": "通过登记的住所（经营场所）无法联系",
    "uncooperative": "不配合检查情节严重",
    "no_activity": "未发现开展本次抽查涉及的经营活动",
    "corrected": "发现问题已当场改正",
    "ordered": "发现问题依法责令改正",
    "follow_up": "发现问题待后续调查处理",
    "qualified": "合格",
    "unqualified": "不合格",
    "decision": "作出行政决定",
    "other": "其他情况",
    "not_inspected": "无法检查",
}
PROBLEM_RESULTS = frozenset(
    {"not_disclosed", "false_disclosure", "unreachable", "uncooperative", "corrected", "ordered", "follow_up",
     "unqualified", "decision"}
)


class RecordStatus(enum.StrEnum):
    DRAFT = "draft"  # 草稿 (录入检查结果)
    SUBMITTED = "submitted"  # 已提交 (待组长审核)
    RETURNED = "returned"  # 已退回 (修改重新录入)
    APPROVED = "approved"  # 审核通过 (待公示)
    PUBLISHED = "published"  # 已公示

    @property
    def label(self) -> str:
        return {
            "draft": "草稿",
            "submitted": "已提交",
            "returned": "已退回",
            "approved": "审核通过",
            "published": "已公示",
        }[self.value]

    @property
    def css(self) -> str:
        return {"draft": "muted", "submitted": "info", "returned": "warn", "approved": "ok", "published": "ok"}[
            self.value
        ]

    @property
    def editable(self) -> bool:
        return self in (RecordStatus.DRAFT, RecordStatus.RETURNED)


class NoticeMethod(enum.StrEnum):
    WRITTEN = "written"
    PHONE = "phone"
    FAX = "fax"

    @property
    def label(self) -> str:
        return {"written": "书面", "phone": "电话", "fax": "传真"}[self.value]


class InspectionRecord(db.Model):
    """检查情况记录表 (A.3 / A.3.1 / F.1) of one drawn object, filled by one department."""

    __tablename__ = "inspection_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_no: Mapped[str] = mapped_column(String(40), unique=True)  # 2026-JC-000123
    task_id: Mapped[int] = mapped_column(ForeignKey("inspection_task.id"), index=True)
    task_object_id: Mapped[int] = mapped_column(ForeignKey("task_object.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)  # 填报部门
    # The registry entity, when the object is one (no foreign key, like TaskObject).
    entity_id: Mapped[int | None] = mapped_column(Integer, index=True)
    status: Mapped[RecordStatus] = mapped_column(_enum(RecordStatus), default=RecordStatus.DRAFT)
    method: Mapped[str] = mapped_column(String(20), default="")  # 检查方式
    # F.1, snapshotted from the registry when the record is opened (editable while a draft).
    subject_name: Mapped[str] = mapped_column(String(200), default="")  # 主体名称
    uscc: Mapped[str] = mapped_column(String(18), default="")  # 统一社会信用代码
    district: Mapped[str] = mapped_column(String(100), default="")  # 所属区县
    license_no: Mapped[str] = mapped_column(String(60), default="")  # 证件（照）号码
    legal_rep: Mapped[str] = mapped_column(String(100), default="")  # 法定代表人
    address: Mapped[str] = mapped_column(String(255), default="")  # 检查地址
    phone: Mapped[str] = mapped_column(String(60), default="")  # 联系电话
    items_text: Mapped[str] = mapped_column(Text, default="")  # 检查事项
    findings: Mapped[str] = mapped_column(Text, default="")  # 记录情况
    # A.3.1 header: 填报时间, 检查人员 (names, joined by 、).
    filled_on: Mapped[date | None] = mapped_column(Date)
    inspector_names: Mapped[str] = mapped_column(String(400), default="")
    inspected_at: Mapped[datetime | None] = mapped_column(DateTime)  # 检查时间
    result: Mapped[ResultCategory | None] = mapped_column(_enum(ResultCategory))  # 检查结果
    result_note: Mapped[str] = mapped_column(Text, default="")  # 说明 (其他情况, 行政决定 …)
    # 被检查对象签字或盖章, or its refusal recorded by the inspectors.
    signer_name: Mapped[str] = mapped_column(String(100), default="")
    signed_at: Mapped[datetime | None] = mapped_column(DateTime)
    refused: Mapped[bool] = mapped_column(Boolean, default=False)
    refusal_witness: Mapped[str] = mapped_column(String(100), default="")  # 见证人
    refusal_recording: Mapped[str] = mapped_column(String(200), default="")  # 录音、录像编号
    refusal_note: Mapped[str] = mapped_column(Text, default="")  # 现场记录说明
    return_reason: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=0)  # publications so far
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)

    task: Mapped[Task] = relationship()
    task_object: Mapped[TaskObject] = relationship()
    department: Mapped[Department] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    lines: Mapped[list[InspectionRecordLine]] = relationship(
        back_populates="record", cascade="all, delete-orphan", order_by="InspectionRecordLine.position"
    )
    evidence: Mapped[list[RecordEvidence]] = relationship(
        back_populates="record", cascade="all, delete-orphan", order_by="RecordEvidence.id"
    )
    confirmations: Mapped[list[RecordConfirmation]] = relationship(
        back_populates="record", cascade="all, delete-orphan", order_by="RecordConfirmation.id"
    )
    versions: Mapped[list[InspectionResultVersion]] = relationship(
        back_populates="record", order_by="InspectionResultVersion.version"
    )

    __table_args__ = (
        UniqueConstraint("task_object_id", "department_id"),
        CheckConstraint("NOT (refused AND signed_at IS NOT NULL)", name="signed_or_refused"),
        Index("ix_inspection_record_task_status", "task_id", "status"),
    )

    @property
    def result_label(self) -> str:
        return self.result.label if self.result else ""


class InspectionRecordLine(db.Model):
    """A.3.1 row: 检查项目 | 检查内容 | 检查结果."""

    __tablename__ = "inspection_record_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("inspection_record.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    check_item: Mapped[str] = mapped_column(String(200), default="")  # 检查项目
    content: Mapped[str] = mapped_column(Text, default="")  # 检查内容
    outcome: Mapped[str] = mapped_column(Text, default="")  # 检查结果

    record: Mapped[InspectionRecord] = relationship(back_populates="lines")


class RecordEvidence(db.Model):
    """证据材料: a photo or document of a record, kept in the database."""

    __tablename__ = "record_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("inspection_record.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    note: Mapped[str] = mapped_column(String(200), default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    record: Mapped[InspectionRecord] = relationship(back_populates="evidence")
    uploaded_by: Mapped[User | None] = relationship()

    __table_args__ = (CheckConstraint("size >= 0", name="size_range"),)


class RecordConfirmation(db.Model):
    """A team member confirmed the record's content (检查组全体成员签字确认)."""

    __tablename__ = "record_confirmation"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("inspection_record.id", ondelete="CASCADE"), index=True)
    team_member_id: Mapped[int] = mapped_column(ForeignKey("team_member.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    record_lock_version: Mapped[int] = mapped_column(Integer)  # the content confirmed
    confirmed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    record: Mapped[InspectionRecord] = relationship(back_populates="confirmations")
    team_member: Mapped[TeamMember] = relationship()
    user: Mapped[User] = relationship()

    __table_args__ = (UniqueConstraint("record_id", "team_member_id"),)


class AdvanceNotice(db.Model):
    """提前告知 of one drawn object before the on-site visit (seed 003, seed 001)."""

    __tablename__ = "advance_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("inspection_task.id"), index=True)
    task_object_id: Mapped[int] = mapped_column(ForeignKey("task_object.id"), index=True)
    method: Mapped[NoticeMethod] = mapped_column(_enum(NoticeMethod))  # 书面 / 电话 / 传真
    notified_at: Mapped[datetime] = mapped_column(DateTime)  # when the entity was told
    notified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recipient: Mapped[str] = mapped_column(String(100))  # to whom
    content: Mapped[str] = mapped_column(Text, default="")  # 检查时间及配合检查的相关要求
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    task: Mapped[Task] = relationship()
    task_object: Mapped[TaskObject] = relationship()
    notified_by: Mapped[User | None] = relationship()


class InspectionResultVersion(db.Model):
    """One immutable published version of a record's result (公示检查结果; 更正 adds the next)."""

    __tablename__ = "inspection_result_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("inspection_record.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[str] = mapped_column(Text)  # JSON of the public fields, Chinese keys
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of ``snapshot``
    published_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    corrected_from: Mapped[int | None] = mapped_column(Integer)  # the version this one corrects
    reason: Mapped[str] = mapped_column(Text, default="")  # 更正理由
    publication_id: Mapped[int | None] = mapped_column(ForeignKey("publication.id"))

    record: Mapped[InspectionRecord] = relationship(back_populates="versions")
    published_by: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint("record_id", "version"),
        CheckConstraint("version >= 1", name="version_range"),
    )
