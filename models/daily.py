"""监管认领, 对象维护 and 日常监管 (seed 004 监管措施规则 §1.2, §1.3, §2; docs/daily.md).

``SupervisedObject`` is the relation department × market entity (监管对象): how it came
(自动 from the department's own permits, 规则 from a confirmed rule suggestion, 认领 by hand,
导入 from a list), since when, its 管理责任者 and, once removed (移出管理对象), why.  An entity
may be supervised by several departments; one row per pair, re-used when a removed object is
claimed again.  ``ClaimRule`` are a department's 认领规则 (name, industry, business-scope
keywords, entity type); ``OfficerRule`` its 分配管理责任者 rules (片区 by address keyword or
division code prefix, or by type, industry or scope).

日常监管: ``SupervisionCategory`` (监管分类) with its cycle, lead time, escalation days and
feedback form; ``CategoryMember`` places an object in a category (by keyword or by hand);
``DailyTask`` is one 日常监管任务 of any origin (周期, 手工, 举报投诉, 上级交办, 外单位移交,
许可后续回访, 案后跟踪) with its 提醒/警示/截止 dates and its escalation level.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
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


class ObjectSource(enum.StrEnum):
    """How an entity became a department's 监管对象."""

    AUTO = "auto"
    RULE = "rule"
    CLAIM = "claim"
    IMPORT = "import"

    @property
    def label(self) -> str:
        return {"auto": "自动", "rule": "规则", "claim": "认领", "import": "导入"}[self.value]


class SupervisedObject(db.Model):
    """监管对象: one department's supervision of one market entity."""

    __tablename__ = "supervised_object"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    entity_id: Mapped[int] = mapped_column(ForeignKey("market_entity.id"), index=True)
    source: Mapped[ObjectSource] = mapped_column(_enum(ObjectSource))
    since: Mapped[date] = mapped_column(Date)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)  # 管理责任者
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    pending_removal: Mapped[str] = mapped_column(String(200), default="")  # 待移出: why the check listed it
    removed_at: Mapped[datetime | None] = mapped_column(DateTime)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    removal_reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    department: Mapped[Department] = relationship()
    entity: Mapped[MarketEntity] = relationship()
    officer: Mapped[User | None] = relationship(foreign_keys=[officer_id])

    __table_args__ = (
        UniqueConstraint("department_id", "entity_id"),
        Index("ix_supervised_object_department_active", "department_id", "active", "entity_id"),
    )

    @property
    def source_label(self) -> str:
        return ObjectSource(self.source).label


class RuleKind(enum.StrEnum):
    NAME = "name"
    INDUSTRY = "industry"
    SCOPE = "scope"
    TYPE = "type"
    ADDRESS = "address"
    DIVISION = "division"

    @property
    def label(self) -> str:
        return {"name": "名称关键字", "industry": "行业代码", "scope": "经营范围关键字", "type": "市场主体类型",
                "address": "地址关键字（片区）", "division": "行政区划代码（片区）"}[self.value]


class ClaimRule(db.Model):
    """认领规则: entities matching it are suggested to the department (列为监管对象)."""

    __tablename__ = "claim_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    kind: Mapped[RuleKind] = mapped_column(_enum(RuleKind))
    value: Mapped[str] = mapped_column(String(100))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    department: Mapped[Department] = relationship()

    __table_args__ = (UniqueConstraint("department_id", "kind", "value"),)


class OfficerRule(db.Model):
    """分配管理责任者: objects matching the rule go to ``officer`` (片区 or attribute rules)."""

    __tablename__ = "officer_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    kind: Mapped[RuleKind] = mapped_column(_enum(RuleKind))
    value: Mapped[str] = mapped_column(String(100))
    area: Mapped[str] = mapped_column(String(100), default="")  # 片区 name
    officer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    department: Mapped[Department] = relationship()
    officer: Mapped[User] = relationship()


class CategoryKind(enum.StrEnum):
    INDUSTRY = "industry"
    AREA = "area"
    CREDIT = "credit"

    @property
    def label(self) -> str:
        return {"industry": "重点/热点行业", "area": "重点区域", "credit": "守法诚信度"}[self.value]


FIELD_TYPES = {"choice": "选择项", "yesno": "是非项", "number": "数值项", "text": "填空项"}


class SupervisionCategory(db.Model):
    """监管分类 of a department, with its cycle and its tasks' escalation days."""

    __tablename__ = "supervision_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[CategoryKind] = mapped_column(_enum(CategoryKind))
    keywords: Mapped[str] = mapped_column(Text, default="")  # one a line or separated by ，/,
    cycle_days: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[date] = mapped_column(Date)  # the first period's first day; periods follow every cycle_days
    lead_days: Mapped[int] = mapped_column(Integer, default=7)  # 时间提前量 (calendar days)
    remind_days: Mapped[int] = mapped_column(Integer, default=5)  # working days after the start
    warn_days: Mapped[int] = mapped_column(Integer, default=10)
    due_days: Mapped[int] = mapped_column(Integer, default=15)
    form: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # the feedback form's fields
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    department: Mapped[Department] = relationship()

    __table_args__ = (
        UniqueConstraint("department_id", "name"),
        CheckConstraint("cycle_days > 0", name="cycle_positive"),
        CheckConstraint("remind_days <= warn_days AND warn_days <= due_days", name="ladder_ordered"),
    )

    @property
    def keyword_list(self) -> list[str]:
        text = self.keywords.replace("，", "\n").replace(",", "\n").replace("、", "\n")
        return [w.strip() for w in text.splitlines() if w.strip()]


class CategoryMember(db.Model):
    """A supervised object placed in a category (by keyword, or by hand)."""

    __tablename__ = "category_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("supervision_category.id", ondelete="CASCADE"))
    object_id: Mapped[int] = mapped_column(ForeignKey("supervised_object.id", ondelete="CASCADE"), index=True)
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("category_id", "object_id"),)


class TaskOrigin(enum.StrEnum):
    CYCLE = "cycle"
    MANUAL = "manual"
    COMPLAINT = "complaint"
    ASSIGNED = "assigned"
    TRANSFER = "transfer"
    PERMIT_VISIT = "permit_visit"
    PENALTY_TRACK = "penalty_track"

    @property
    def label(self) -> str:
        return {"cycle": "周期任务", "manual": "手工任务", "complaint": "举报投诉", "assigned": "上级交办",
                "transfer": "外单位移交", "permit_visit": "许可后续回访", "penalty_track": "案后跟踪"}[self.value]


class TaskStatus(enum.StrEnum):
    PENDING_APPROVAL = "pending_approval"
    UNASSIGNED = "unassigned"
    ASSIGNED = "assigned"
    CLAIMED = "claimed"
    RETURNED = "returned"
    DONE = "done"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return {"pending_approval": "待审批", "unassigned": "待分派", "assigned": "待认领", "claimed": "已认领",
                "returned": "已退回", "done": "已完成", "rejected": "审批未通过"}[self.value]


OPEN_STATUSES = (TaskStatus.ASSIGNED.value, TaskStatus.CLAIMED.value)


class Escalation(enum.IntEnum):
    NONE = 0
    REMINDED = 1  # 提醒: the officer
    WARNED = 2  # 警示: the 主管领导
    OVERDUE = 3  # 截止: 上级领导 and 效能监察

    @property
    def label(self) -> str:
        return {0: "", 1: "提醒", 2: "警示", 3: "已超截止时间"}[int(self)]


class DailyTask(db.Model):
    """日常监管任务."""

    __tablename__ = "daily_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    origin: Mapped[TaskOrigin] = mapped_column(_enum(TaskOrigin))
    title: Mapped[str] = mapped_column(String(200))
    entity_id: Mapped[int | None] = mapped_column(ForeignKey("market_entity.id"), index=True)
    object_id: Mapped[int | None] = mapped_column(ForeignKey("supervised_object.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("supervision_category.id"))
    level: Mapped[str] = mapped_column(String(20), default="")  # 监管级别 / 紧急程度
    area: Mapped[str] = mapped_column(String(200), default="")  # 区域范围
    items: Mapped[str] = mapped_column(Text, default="")  # 监管事项
    requirements: Mapped[str] = mapped_column(Text, default="")  # 监管要求
    source_ref: Mapped[str] = mapped_column(String(200), default="")  # the complaint, the 交办 document …
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    status: Mapped[TaskStatus] = mapped_column(_enum(TaskStatus))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    return_reason: Mapped[str] = mapped_column(Text, default="")
    remind_on: Mapped[date | None] = mapped_column(Date)
    warn_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    escalation: Mapped[int] = mapped_column(Integer, default=0)
    escalated_on: Mapped[date | None] = mapped_column(Date)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    result_note: Mapped[str] = mapped_column(Text, default="")
    done_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    department: Mapped[Department] = relationship()
    entity: Mapped[MarketEntity | None] = relationship()
    category: Mapped[SupervisionCategory | None] = relationship()
    officer: Mapped[User | None] = relationship(foreign_keys=[officer_id])

    __mapper_args__ = {"version_id_col": lock_version}
    __table_args__ = (
        # one cycle task per category × object × period: the daily generation is idempotent
        UniqueConstraint("category_id", "object_id", "period_start", name="uq_daily_task_cycle"),
        Index("ix_daily_task_officer_status", "officer_id", "status"),
        Index("ix_daily_task_department_status", "department_id", "status", "escalation"),
    )

    @property
    def escalation_label(self) -> str:
        return Escalation(self.escalation).label
