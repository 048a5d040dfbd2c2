"""联合奖惩 (DB5101 ch. 12, 表29–表31; seed 004 §5): the catalogue, the object lists, the tasks.

A ``SanctionEntry`` is one line of the 联合奖惩事项清单 kept by the 牵头部门 (表30 新增 → 发布,
表31 选择 → 停用 → 修改/删除 → 发布): the 失信/守信 behaviour, the 信息产生机构, the legal basis,
the duration, and its measures (``SanctionMeasure``), each implemented by one department of the
org tree (限制惩戒机构 / 激励部门).  Every published version is a ``Publication`` row
(services/publication.py), so every version stays visible.

A ``SanctionList`` is a 发起部门's 联合奖惩对象名单 (表29): its ``SanctionObject`` rows (a market
entity or a natural person, the catalogue entry it falls under, 认定依据, 认定日期, validity,
and later 在线解除).  Publishing the list generates one ``SanctionTask`` per object × measure ×
implementing department; the department receives it, executes it and records the result.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
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
from models.org import Department


class EntryKind(enum.StrEnum):
    PUNISH = "punish"
    REWARD = "reward"

    @property
    def label(self) -> str:
        return {"punish": "惩戒", "reward": "激励"}[self.value]

    @property
    def behaviour_label(self) -> str:
        return {"punish": "失信行为", "reward": "守信行为"}[self.value]

    @property
    def department_label(self) -> str:
        return {"punish": "限制惩戒机构", "reward": "激励部门"}[self.value]


class EntryStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    SUSPENDED = "suspended"
    DELETED = "deleted"

    @property
    def label(self) -> str:
        return {"draft": "待发布", "published": "已发布", "suspended": "已停用", "deleted": "已删除"}[self.value]


class SanctionEntry(db.Model):
    """One line of the 联合奖惩事项清单."""

    __tablename__ = "sanction_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)  # the 牵头部门
    kind: Mapped[str] = mapped_column(String(10), default=EntryKind.PUNISH)
    behaviour: Mapped[str] = mapped_column(String(200))  # 违法/违规名称 (失信/守信行为)
    nature: Mapped[str] = mapped_column(String(20), default="")  # 失信性质 (a list of 惩戒信息)
    source_agency: Mapped[str] = mapped_column(String(200), default="")  # 信息产生机构
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=EntryStatus.DRAFT, index=True)
    version: Mapped[int] = mapped_column(Integer, default=0)  # the published version in force
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))  # the open 表30/表31
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    department: Mapped[Department] = relationship()
    measures: Mapped[list[SanctionMeasure]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="SanctionMeasure.position"
    )

    __table_args__ = (
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_after_start"),
        CheckConstraint("kind IN ('punish', 'reward')", name="kind_known"),
    )

    @property
    def kind_enum(self) -> EntryKind:
        return EntryKind(self.kind)

    @property
    def status_enum(self) -> EntryStatus:
        return EntryStatus(self.status)


class SanctionMeasure(db.Model):
    """A measure of an entry (措施清单) and the department that implements it."""

    __tablename__ = "sanction_measure"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("sanction_entry.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    content: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)

    entry: Mapped[SanctionEntry] = relationship(back_populates="measures")
    department: Mapped[Department] = relationship()


class ListStatus(enum.StrEnum):
    DRAFT = "draft"
    FORMED = "formed"
    PUBLISHED = "published"

    @property
    def label(self) -> str:
        return {"draft": "编辑中", "formed": "已形成", "published": "已公示"}[self.value]


class SanctionList(db.Model):
    """A 发起部门's 联合奖惩对象名单 (表29)."""

    __tablename__ = "sanction_list"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=ListStatus.DRAFT)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)

    department: Mapped[Department] = relationship()
    objects: Mapped[list[SanctionObject]] = relationship(
        back_populates="sanction_list", cascade="all, delete-orphan", order_by="SanctionObject.id"
    )

    @property
    def status_enum(self) -> ListStatus:
        return ListStatus(self.status)


class SanctionObject(db.Model):
    """One 联合奖惩对象: a market entity or a natural person under one catalogue entry."""

    __tablename__ = "sanction_object"

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("sanction_list.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("sanction_entry.id"), index=True)
    entity_id: Mapped[int | None] = mapped_column(ForeignKey("market_entity.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(18))  # 统一社会信用代码 or 身份证号
    basis: Mapped[str] = mapped_column(Text, default="")  # 认定依据
    decided_on: Mapped[date] = mapped_column(Date)  # 认定日期
    valid_until: Mapped[date | None] = mapped_column(Date)
    fact_id: Mapped[int | None] = mapped_column(Integer)  # the 惩戒信息 fact recorded at publication
    released_at: Mapped[datetime | None] = mapped_column(DateTime)  # 在线解除
    release_reason: Mapped[str] = mapped_column(Text, default="")
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    sanction_list: Mapped[SanctionList] = relationship(back_populates="objects")
    entry: Mapped[SanctionEntry] = relationship()

    __table_args__ = (
        CheckConstraint(
            "(entity_id IS NULL AND person_id IS NOT NULL) OR (entity_id IS NOT NULL AND person_id IS NULL)",
            name="one_subject",
        ),
        CheckConstraint("valid_until IS NULL OR valid_until >= decided_on", name="valid_after_decided"),
        Index("ix_sanction_object_code", "code", "released_at"),
    )

    @property
    def is_person(self) -> bool:
        return self.person_id is not None


class SanctionTaskStatus(enum.StrEnum):
    ISSUED = "issued"
    RECEIVED = "received"
    EXECUTED = "executed"
    RECORDED = "recorded"

    @property
    def label(self) -> str:
        return {"issued": "待接收", "received": "已接收", "executed": "已执行", "recorded": "已录入结果"}[self.value]


class SanctionTask(db.Model):
    """联合奖惩任务: one object × one measure, for the measure's implementing department."""

    __tablename__ = "sanction_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    object_id: Mapped[int] = mapped_column(ForeignKey("sanction_object.id", ondelete="CASCADE"))
    measure_id: Mapped[int] = mapped_column(ForeignKey("sanction_measure.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    status: Mapped[str] = mapped_column(String(20), default=SanctionTaskStatus.ISSUED)
    due_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    received_at: Mapped[datetime | None] = mapped_column(DateTime)
    executed_at: Mapped[datetime | None] = mapped_column(DateTime)
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    result: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(10), default="")  # 平台 / 接口 / 插件

    object: Mapped[SanctionObject] = relationship()
    measure: Mapped[SanctionMeasure] = relationship()
    department: Mapped[Department] = relationship()

    __table_args__ = (
        UniqueConstraint("object_id", "measure_id"),
        Index("ix_sanction_task_department_status", "department_id", "status"),
    )

    @property
    def status_enum(self) -> SanctionTaskStatus:
        return SanctionTaskStatus(self.status)


class SanctionBatchCheck(db.Model):
    """联合惩戒批量验证 (seed 004 §5.3): one uploaded list checked, and the annotated workbook
    with the result per row, kept for its uploader to download."""

    __tablename__ = "sanction_batch_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id", ondelete="SET NULL"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    filename: Mapped[str] = mapped_column(String(255), default="")
    rows: Mapped[int] = mapped_column(Integer, default=0)
    hits: Mapped[int] = mapped_column(Integer, default=0)  # rows in scope
    content: Mapped[bytes] = mapped_column(LargeBinary)
