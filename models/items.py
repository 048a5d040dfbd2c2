"""Inspection items (抽查事项清单, DB5101 7.1.1, 表7–表14) and their parts.

One table holds both lists: a single-department item (单部门, template A.1.1) belongs to its
监管部门; a joint item (部门联合, A.1.2) belongs to its 发起部门 and has one part per department
(CheckItemPart, 本部门实施清单): the initiator's and each participant's own items and levels.

Seed 003 (渝 规范, 建设"一单两库") splits items into key items (重点检查事项: safety, quality,
public interest; no ratio cap) and general items (一般检查事项: a ratio cap).  Seed 001's
一业一单 groups the joint items of one industry: ``industry_code`` is a 国民经济行业分类 code
(a section letter or a prefix) shared by the items of that industry.

An item is published (一公开) every time it changes: ``version`` counts the publications
(models/publication.py keeps each one).  A deleted item stays as a row with status
``deleted`` so that its publications, directories and plans keep their meaning.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.org import Department, User


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class ItemKind(enum.StrEnum):
    SINGLE = "single"
    JOINT = "joint"

    @property
    def label(self) -> str:
        return {"single": "单部门", "joint": "部门联合"}[self.value]


class ItemCategory(enum.StrEnum):
    """事项类别 (A.1.1; seed 003)."""

    KEY = "key"
    GENERAL = "general"

    @property
    def label(self) -> str:
        return {"key": "重点检查事项", "general": "一般检查事项"}[self.value]


class ItemStatus(enum.StrEnum):
    # A joint item under consultation or review (表12) is not yet on any public list.
    DRAFT = "draft"
    PUBLISHED = "published"
    DELETED = "deleted"
    # A joint item whose 表12 the initiator ended at 判断是否终止: never published.
    TERMINATED = "terminated"

    @property
    def label(self) -> str:
        return {"draft": "审定中", "published": "已公布", "deleted": "已删除", "terminated": "已终止"}[self.value]

    @property
    def css(self) -> str:
        return {"draft": "info", "published": "ok", "deleted": "muted", "terminated": "muted"}[self.value]


class CheckItem(db.Model):
    __tablename__ = "check_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ItemKind] = mapped_column(_enum(ItemKind), default=ItemKind.SINGLE)
    status: Mapped[ItemStatus] = mapped_column(_enum(ItemStatus), default=ItemStatus.DRAFT)
    # 监管部门 of a single item, 发起部门 of a joint one.
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    domain: Mapped[str] = mapped_column(String(100), default="")  # 抽查类别 / 抽查领域
    name: Mapped[str] = mapped_column(String(200))  # 抽查事项 / 联合抽查事项
    objects: Mapped[str] = mapped_column(Text, default="")  # 检查对象
    category: Mapped[ItemCategory] = mapped_column(_enum(ItemCategory), default=ItemCategory.GENERAL)
    # Upper bound of the sampling ratio of a general item, in percent; none for a key item.
    ratio_cap: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    methods: Mapped[str] = mapped_column(String(100), default="")  # 检查方式, joined by 、
    inspecting_body: Mapped[str] = mapped_column(String(200), default="")  # 检查主体
    basis: Mapped[str] = mapped_column(Text, default="")  # 检查依据
    lead_office: Mapped[str] = mapped_column(String(100), default="")  # 牵头处室
    levels: Mapped[str] = mapped_column(String(40), default="")  # 实施层级, joined by 、
    industry_code: Mapped[str] = mapped_column(String(10), default="", index=True)  # 一业一单
    note: Mapped[str] = mapped_column(Text, default="")  # 备注
    # A published joint item under 表13 (编辑) or 表14 (删除): the proposed values and parts,
    # as JSON, until the conference office approves; the published row stays as it is.
    pending_edit: Mapped[str | None] = mapped_column(Text)
    # 认领 (表10): the city item a district took into its own list.
    source_id: Mapped[int | None] = mapped_column(ForeignKey("check_item.id"), index=True)
    # 指派 (表11): the lower department or section that carries the item out.
    assigned_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=0)  # publications so far
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)

    department: Mapped[Department] = relationship(foreign_keys=[department_id])
    assigned_department: Mapped[Department | None] = relationship(foreign_keys=[assigned_department_id])
    source: Mapped[CheckItem | None] = relationship(remote_side=[id])
    created_by: Mapped[User | None] = relationship()
    parts: Mapped[list[CheckItemPart]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="CheckItemPart.id"
    )

    __table_args__ = (
        CheckConstraint("ratio_cap IS NULL OR (ratio_cap > 0 AND ratio_cap <= 100)", name="ratio_cap_range"),
        Index("ix_check_item_list", "kind", "status", "department_id"),
    )


class PartRole(enum.StrEnum):
    INITIATOR = "initiator"
    PARTICIPANT = "participant"

    @property
    def label(self) -> str:
        return {"initiator": "发起部门", "participant": "参与部门"}[self.value]


class CheckItemPart(db.Model):
    """One department's part of a joint item: 本部门实施清单 (表12 确定本部门实施清单)."""

    __tablename__ = "check_item_part"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("check_item.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    role: Mapped[PartRole] = mapped_column(_enum(PartRole), default=PartRole.PARTICIPANT)
    tasks: Mapped[str] = mapped_column(Text, default="")  # 本部门抽查事项
    levels: Mapped[str] = mapped_column(String(40), default="")  # 实施层级
    # The department's own single items this part carries out (DB5101 表7 注: a single
    # department's items may serve as a joint item's implementation list), ids joined by ,.
    item_ids: Mapped[str] = mapped_column(String(400), default="")
    declined: Mapped[bool] = mapped_column(Boolean, default=False)
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)

    item: Mapped[CheckItem] = relationship(back_populates="parts")
    department: Mapped[Department] = relationship()

    __table_args__ = (UniqueConstraint("item_id", "department_id"),)
