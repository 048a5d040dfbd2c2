"""专项整治 (DB5101 ch. 8, 表23; seed 004 监管措施规则 §4): a campaign, its object library and
what was found and done about each object (docs/campaigns.md).

- ``Campaign`` (整治行动方案): 依据, 范围, 期间, 监管方式, the initiating department, joint or
  not, whether executing departments may adjust the object library, the leader's approval, the
  publication and its 表23 instance, the 梳理汇总 and the 情况通报.
- ``CampaignParty``: a 参与部门 of a joint campaign (received, passed down, reported, signed
  the 通报).  The initiator is not a row: its part is the campaign's own columns.
- ``CampaignField`` (反馈内容): the items every object's record answers: 选择项, 是非项, 数值项,
  填空项.  The text report and the attachments are on every record.
- ``CampaignObject``: one entity of the library, the department and inspector that handle it,
  and its branch: 是否符合法定条件 → 是否下达责令改正 → 责令改正 (期限 in working days) →
  复查 (已改正 / 逾期不改正) → 立案查处.  ``lock_version`` guards two inspectors at once.
- ``CampaignAttachment``: a file attached to an object's record.
- ``CampaignBulletin`` (情况通报): a document the parties sign for (services/receipts).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
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
from models.entity import MarketEntity
from models.org import Department, User

MODES = ("信用监管", "双随机", "包容审慎", "重点监管")


class CampaignStatus:
    DRAFT = "draft"
    PENDING = "pending"  # 待领导审批
    APPROVED = "approved"  # 审批通过, not yet 发布
    PUBLISHED = "published"
    SUMMARIZED = "summarized"
    NOTIFIED = "notified"
    LABELS = {DRAFT: "草稿", PENDING: "待审批", APPROVED: "已审批待发布", PUBLISHED: "实施中",
              SUMMARIZED: "已汇总", NOTIFIED: "已通报"}


class Campaign(db.Model):
    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    basis: Mapped[str] = mapped_column(Text, default="")  # 依据
    scope: Mapped[str] = mapped_column(Text, default="")  # 范围
    expected: Mapped[str] = mapped_column(Text, default="")  # 预期结果
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    modes: Mapped[list[str]] = mapped_column(JSON, default=list)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)  # 发起部门
    joint: Mapped[bool] = mapped_column(Boolean, default=False)
    parties_may_adjust: Mapped[bool] = mapped_column(Boolean, default=False)
    text_report: Mapped[bool] = mapped_column(Boolean, default=True)  # 文字形式
    library_note: Mapped[str] = mapped_column(Text, default="")  # how the library was built
    status: Mapped[str] = mapped_column(String(12), default=CampaignStatus.DRAFT)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime)
    approval_note: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    deployed_at: Mapped[datetime | None] = mapped_column(DateTime)  # 开展专项整治执法
    deploy_note: Mapped[str] = mapped_column(Text, default="")
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime)  # the initiator's 指派执法人员
    inspectors_reported_at: Mapped[datetime | None] = mapped_column(DateTime)  # its own inspectors
    summary_note: Mapped[str] = mapped_column(Text, default="")
    summarized_at: Mapped[datetime | None] = mapped_column(DateTime)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    department: Mapped[Department] = relationship()
    parties: Mapped[list[CampaignParty]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", order_by="CampaignParty.id")
    fields: Mapped[list[CampaignField]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", order_by="CampaignField.position")
    bulletin: Mapped[CampaignBulletin | None] = relationship(back_populates="campaign", uselist=False,
                                                             cascade="all, delete-orphan")

    @property
    def status_label(self) -> str:
        return CampaignStatus.LABELS.get(self.status, self.status)

    def party_for(self, department_id: int) -> CampaignParty | None:
        return next((p for p in self.parties if p.department_id == department_id), None)


class CampaignParty(db.Model):
    """A 参与部门 of a joint campaign."""

    __tablename__ = "campaign_party"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    received_at: Mapped[datetime | None] = mapped_column(DateTime)  # 接收 (开展专项整治联合执法)
    receive_note: Mapped[str] = mapped_column(Text, default="")
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime)
    inspectors_reported_at: Mapped[datetime | None] = mapped_column(DateTime)
    reported_at: Mapped[datetime | None] = mapped_column(DateTime)  # 上报检查结果 to the initiator
    report_note: Mapped[str] = mapped_column(Text, default="")
    received_bulletin_at: Mapped[datetime | None] = mapped_column(DateTime)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    campaign: Mapped[Campaign] = relationship(back_populates="parties")
    department: Mapped[Department] = relationship()

    __table_args__ = (UniqueConstraint("campaign_id", "department_id"),)


class FieldKind:
    CHOICE = "choice"  # 选择项
    YES_NO = "yes_no"  # 是非项
    NUMBER = "number"  # 数值项
    TEXT = "text"  # 填空项
    LABELS = {CHOICE: "选择项", YES_NO: "是非项", NUMBER: "数值项", TEXT: "填空项"}


class CampaignField(db.Model):
    """One item of the 反馈内容."""

    __tablename__ = "campaign_field"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(10))
    label: Mapped[str] = mapped_column(String(100))
    options: Mapped[list[str]] = mapped_column(JSON, default=list)  # 选择项's choices
    unit: Mapped[str] = mapped_column(String(20), default="")  # 数值项's unit
    required: Mapped[bool] = mapped_column(Boolean, default=False)

    campaign: Mapped[Campaign] = relationship(back_populates="fields")

    @property
    def kind_label(self) -> str:
        return FieldKind.LABELS.get(self.kind, self.kind)

    @property
    def key(self) -> str:
        return f"f{self.id}"


class ObjectStatus:
    PENDING = "pending"  # 待检查
    LAWFUL = "lawful"  # 符合法定条件
    ORDERED = "ordered"  # 已责令改正, 待复查
    CORRECTED = "corrected"  # 复查: 已改正
    CASE = "case"  # 立案查处
    LABELS = {PENDING: "待检查", LAWFUL: "符合法定条件", ORDERED: "责令改正中", CORRECTED: "已改正",
              CASE: "已立案查处"}
    DONE = (LAWFUL, CORRECTED, CASE)


class CampaignObject(db.Model):
    """An entity of a campaign's object library (专项整治对象库) and its record."""

    __tablename__ = "campaign_object"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    entity_id: Mapped[int] = mapped_column(ForeignKey("market_entity.id"), index=True)
    source: Mapped[str] = mapped_column(String(20), default="")  # 信用风险分类 / 风险库 / 主体库筛选 / 导入
    grade: Mapped[str | None] = mapped_column(String(1))  # the grade when it entered the library
    category: Mapped[str] = mapped_column(String(100), default="")  # 对象分类: the industry
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))  # who handles it
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=ObjectStatus.PENDING)
    removed_at: Mapped[datetime | None] = mapped_column(DateTime)  # 已移出对象库 (record kept)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    inspected_on: Mapped[date | None] = mapped_column(Date)
    lawful: Mapped[bool | None] = mapped_column(Boolean)  # 是否符合法定条件
    order_needed: Mapped[bool | None] = mapped_column(Boolean)  # 是否下达责令改正
    order_no: Mapped[str] = mapped_column(String(60), default="")  # 责令改正通知书 文号
    order_problem: Mapped[str] = mapped_column(Text, default="")
    order_days: Mapped[int | None] = mapped_column(Integer)  # 整改期限 (工作日)
    order_on: Mapped[date | None] = mapped_column(Date)
    order_due: Mapped[date | None] = mapped_column(Date, index=True)
    rechecked_on: Mapped[date | None] = mapped_column(Date)
    corrected: Mapped[bool | None] = mapped_column(Boolean)
    case_no: Mapped[str] = mapped_column(String(100), default="")
    case_date: Mapped[date | None] = mapped_column(Date)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # field id → value
    report_text: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reported_at: Mapped[datetime | None] = mapped_column(DateTime)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    campaign: Mapped[Campaign] = relationship()
    entity: Mapped[MarketEntity] = relationship()
    department: Mapped[Department] = relationship()
    inspector: Mapped[User | None] = relationship(foreign_keys=[inspector_id])
    attachments: Mapped[list[CampaignAttachment]] = relationship(
        back_populates="object", cascade="all, delete-orphan", order_by="CampaignAttachment.id")

    __table_args__ = (
        UniqueConstraint("campaign_id", "entity_id"),
        Index("ix_campaign_object_campaign_status", "campaign_id", "status"),
        Index("ix_campaign_object_campaign_department", "campaign_id", "department_id"),
    )

    @property
    def status_label(self) -> str:
        label = ObjectStatus.LABELS.get(self.status, self.status)
        return f"{label}（已移出对象库）" if self.removed_at else label

    @property
    def done(self) -> bool:
        return self.status in ObjectStatus.DONE


class CampaignAttachment(db.Model):
    __tablename__ = "campaign_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    object_id: Mapped[int] = mapped_column(ForeignKey("campaign_object.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    size: Mapped[int] = mapped_column(Integer, default=0)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    object: Mapped[CampaignObject] = relationship(back_populates="attachments")


class CampaignBulletin(db.Model):
    """情况通报 of a campaign: signed for by every 参与部门 (services/receipts)."""

    __tablename__ = "campaign_bulletin"
    receipt_kind = "campaign_bulletin"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), unique=True)
    doc_no: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    issued_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    campaign: Mapped[Campaign] = relationship(back_populates="bulletin")

    is_recalled = False

    def receipt_content(self) -> dict[str, Any]:
        return {"doc_no": self.doc_no, "title": self.title, "body": self.body}

    def receipt_units(self) -> list[Department]:
        return [p.department for p in self.campaign.parties]
