"""双告知 (seed 004 监管措施规则 §1.1, docs/notice.md): the 先照后证 catalogue, its approval
departments mapped to the org tree, the 抄告 (notice) of each matched item to each approval
department, its 接收回执 and 发证反馈, the scope checks and the 发证验证 results.

* ``LicenceItem``: one item of the 上海市市场主体先照后证事项经营范围规范表述目录 (序号, 项目名称,
  审批部门 as written, 经营范围规范表述 as written and as phrases one a line).
* ``ApprovalAuthority``: a department name as the catalogue writes it ("市农委");
  ``LicenceItemAuthority`` links items and names; ``AuthorityMapping`` maps a name, within one
  area (区 or 市 node), to a department of the org tree.
* ``ScopeNotice``: one per entity × item × approval department (unique), with the receipt
  (time, person) and the feedback (已发证 with permit number and date, 不予发证 with a reason).
* ``ScopeCheck``: the last matching of an entity's 经营范围 (how many items matched); an entity
  whose scope matched nothing is listed for review.
* ``PermitVerification``: one 发证验证 of an entity (single or from an uploaded list).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.entity import MarketEntity
from models.org import Department, User


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class NoticeStatus(enum.StrEnum):
    """发证反馈."""

    PENDING = "pending"
    ISSUED = "issued"
    REFUSED = "refused"

    @property
    def label(self) -> str:
        return {"pending": "未反馈", "issued": "已发证", "refused": "不予发证"}[self.value]

    @property
    def css(self) -> str:
        return {"pending": "warn", "issued": "ok", "refused": "err"}[self.value]


class LicenceItem(db.Model):
    """先照后证事项."""

    __tablename__ = "licence_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    section_no: Mapped[int] = mapped_column(Integer)
    section: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    departments_text: Mapped[str] = mapped_column(String(200), default="")
    scope_text: Mapped[str] = mapped_column(Text, default="")
    # the phrases matched against a scope, one a line (services/notice/matching.py)
    phrases: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    authorities: Mapped[list[ApprovalAuthority]] = relationship(
        secondary="licence_item_authority", order_by="ApprovalAuthority.id"
    )

    @property
    def phrase_list(self) -> list[str]:
        return [p for p in self.phrases.splitlines() if p.strip()]


class ApprovalAuthority(db.Model):
    """审批部门 as the catalogue names it."""

    __tablename__ = "approval_authority"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class LicenceItemAuthority(db.Model):
    __tablename__ = "licence_item_authority"

    item_id: Mapped[int] = mapped_column(ForeignKey("licence_item.id", ondelete="CASCADE"), primary_key=True)
    authority_id: Mapped[int] = mapped_column(ForeignKey("approval_authority.id"), primary_key=True, index=True)


class AuthorityMapping(db.Model):
    """A catalogue name → the org unit that receives its notices in one area."""

    __tablename__ = "approval_authority_mapping"

    id: Mapped[int] = mapped_column(primary_key=True)
    authority_id: Mapped[int] = mapped_column(ForeignKey("approval_authority.id"))
    region_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    authority: Mapped[ApprovalAuthority] = relationship()
    department: Mapped[Department] = relationship(foreign_keys=[department_id])

    __table_args__ = (UniqueConstraint("authority_id", "region_id"),)


class ScopeNotice(db.Model):
    """抄告: one matched item of one entity, to one approval department."""

    __tablename__ = "scope_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("market_entity.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("licence_item.id"))
    authority_id: Mapped[int] = mapped_column(ForeignKey("approval_authority.id"))
    # the receiving org unit (NULL while the name is not mapped in the entity's area)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    # the registering side: who registered or changed the entity, told of 不予发证
    from_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    phrase: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    received_at: Mapped[datetime | None] = mapped_column(DateTime)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[NoticeStatus] = mapped_column(_enum(NoticeStatus), default=NoticeStatus.PENDING)
    permit_no: Mapped[str] = mapped_column(String(100), default="")
    issued_on: Mapped[date | None] = mapped_column(Date)
    refusal_reason: Mapped[str] = mapped_column(Text, default="")
    feedback_at: Mapped[datetime | None] = mapped_column(DateTime)
    feedback_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # 信息归集: the permit that set 已发证 automatically
    permit_id: Mapped[int | None] = mapped_column(ForeignKey("fact_permit.id"))

    entity: Mapped[MarketEntity] = relationship()
    item: Mapped[LicenceItem] = relationship()
    authority: Mapped[ApprovalAuthority] = relationship()
    department: Mapped[Department | None] = relationship(foreign_keys=[department_id])
    from_department: Mapped[Department | None] = relationship(foreign_keys=[from_department_id])
    received_by: Mapped[User | None] = relationship(foreign_keys=[received_by_id])
    feedback_by: Mapped[User | None] = relationship(foreign_keys=[feedback_by_id])

    __table_args__ = (
        UniqueConstraint("entity_id", "item_id", "authority_id"),
        Index("ix_scope_notice_department_status", "department_id", "status", "id"),
        Index("ix_scope_notice_entity_status", "entity_id", "status"),
    )


class ScopeCheck(db.Model):
    """The last matching of one entity's 经营范围 against the catalogue."""

    __tablename__ = "scope_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("market_entity.id"), unique=True)
    matched: Mapped[int] = mapped_column(Integer, default=0)
    from_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    checked_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    entity: Mapped[MarketEntity] = relationship()

    __table_args__ = (Index("ix_scope_check_matched", "matched", "entity_id"),)


class PermitVerification(db.Model):
    """发证验证 of one entity: 已发证 or not (未发证 / 不予发证 / 无抄告) at the time."""

    __tablename__ = "permit_verification"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("market_entity.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text, default="")
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    checked_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    checked_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    entity: Mapped[MarketEntity] = relationship()
    department: Mapped[Department] = relationship()
