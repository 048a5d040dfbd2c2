"""Inspection plans (抽查计划, DB5101 7.2.1 表19 and 7.3.1 表21) and the tasks they split into.

A plan is single-department (单部门, 表19: the 监管部门 uploads the plan document and fixes its
elements) or joint (部门联合, 表21: the 发起部门 picks joint items, consults the 参与部门 on
period, count, ratio and level, and the 联席会议办公室 reviews it unless it is 临时).  An
annual plan (年度) carries seed 003's table D.1 and is due, published, by 31 March; an ad-hoc
plan (临时) does not go to the conference office (表21 注).

Seed 003 (制定抽查任务): "同一个抽查计划可以细化成多个抽查任务".  A task names the item whose
object directory it draws from, its period, the departments that take part and its ratio; the
scheme (models/schemes.py), the draws (models/draws.py) and the team (models/teams.py) hang
off the task, and the task's 表20/表22 process instance runs from the scheme to 完成抽查.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

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
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.items import CheckItem
from models.org import Department, User

if TYPE_CHECKING:
    from models.schemes import Scheme


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class PlanKind(enum.StrEnum):
    SINGLE = "single"
    JOINT = "joint"

    @property
    def label(self) -> str:
        return {"single": "单部门", "joint": "部门联合"}[self.value]


class PlanType(enum.StrEnum):
    ANNUAL = "annual"
    AD_HOC = "ad_hoc"

    @property
    def label(self) -> str:
        return {"annual": "年度计划", "ad_hoc": "临时计划"}[self.value]


class PlanStatus(enum.StrEnum):
    DRAFT = "draft"  # 编制中 (表19 建立…计划 / 表21 选择事项, 填写计划信息)
    CONSULTING = "consulting"  # 征求意见中 (表21 反馈意见)
    REVIEW = "review"  # 审定中 (表21 审定计划可行性)
    RETURNED = "returned"  # 退回调整 (表21 调整抽查计划)
    PUBLISHED = "published"  # 已公开

    @property
    def label(self) -> str:
        return {
            "draft": "编制中",
            "consulting": "征求意见中",
            "review": "审定中",
            "returned": "退回调整",
            "published": "已公开",
        }[self.value]

    @property
    def css(self) -> str:
        return {
            "draft": "info",
            "consulting": "info",
            "review": "warn",
            "returned": "warn",
            "published": "ok",
        }[self.value]


class Plan(db.Model):
    """抽查计划: the columns of A.2.1 and D.1."""

    __tablename__ = "inspection_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[PlanKind] = mapped_column(_enum(PlanKind), default=PlanKind.SINGLE)
    plan_type: Mapped[PlanType] = mapped_column(_enum(PlanType), default=PlanType.ANNUAL)
    status: Mapped[PlanStatus] = mapped_column(_enum(PlanStatus), default=PlanStatus.DRAFT)
    year: Mapped[int] = mapped_column(Integer)  # 计划年度
    name: Mapped[str] = mapped_column(String(200))  # 计划名称 / 任务名称 (A.2.1)
    # 监管部门 of a single plan, 发起部门 of a joint one.
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    objects: Mapped[str] = mapped_column(Text, default="")  # 检查对象 / 抽查对象
    methods: Mapped[str] = mapped_column(String(100), default="")  # 检查方式, joined by 、
    levels: Mapped[str] = mapped_column(String(40), default="")  # 实施层级, joined by 、
    ratio: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))  # 抽查比例, percent
    sample_size: Mapped[int | None] = mapped_column(Integer)  # 抽查户数 / 抽取对象数量（户）
    start_date: Mapped[date | None] = mapped_column(Date)  # 起止时间 / 抽查时间
    end_date: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    # 表19 建立…计划: the uploaded 抽查计划文件 (kept in the database, so a backup holds it).
    document_name: Mapped[str] = mapped_column(String(200), default="")
    document_type: Mapped[str] = mapped_column(String(100), default="")
    document_sha256: Mapped[str] = mapped_column(String(64), default="")
    document: Mapped[bytes | None] = mapped_column(LargeBinary)
    version: Mapped[int] = mapped_column(Integer, default=0)  # publications so far
    lock_version: Mapped[int] = mapped_column(Integer, default=1)  # stale-form check
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)

    department: Mapped[Department] = relationship()
    created_by: Mapped[User | None] = relationship()
    items: Mapped[list[PlanItem]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanItem.id"
    )
    parties: Mapped[list[PlanParty]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanParty.id"
    )
    tasks: Mapped[list[Task]] = relationship(back_populates="plan", order_by="Task.id")

    __table_args__ = (
        CheckConstraint("ratio IS NULL OR (ratio >= 0 AND ratio <= 100)", name="ratio_range"),
        CheckConstraint("sample_size IS NULL OR sample_size >= 0", name="sample_size_range"),
        CheckConstraint("start_date IS NULL OR end_date IS NULL OR start_date <= end_date", name="period"),
        Index("ix_inspection_plan_list", "department_id", "year", "status"),
    )


class PlanItem(db.Model):
    """An item the plan covers: 发起部门抽查事项, or a 参与部门's item (A.2.1)."""

    __tablename__ = "inspection_plan_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("inspection_plan.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("check_item.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    levels: Mapped[str] = mapped_column(String(40), default="")  # 实施层级 of this department's part

    plan: Mapped[Plan] = relationship(back_populates="items")
    item: Mapped[CheckItem] = relationship()
    department: Mapped[Department] = relationship()

    __table_args__ = (UniqueConstraint("plan_id", "item_id", "department_id"),)


class PlanParty(db.Model):
    """A department's part in a joint plan: 发起部门 or 参与部门 with its feedback (表21 反馈意见)."""

    __tablename__ = "inspection_plan_party"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("inspection_plan.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    role: Mapped[str] = mapped_column(String(20), default="participant")  # initiator / participant
    agreed: Mapped[bool | None] = mapped_column(Boolean)  # None until it answers
    feedback: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    plan: Mapped[Plan] = relationship(back_populates="parties")
    department: Mapped[Department] = relationship()
    answered_by: Mapped[User | None] = relationship()

    __table_args__ = (UniqueConstraint("plan_id", "department_id"),)


class TaskStatus(enum.StrEnum):
    NEW = "new"  # 待制定方案
    SCHEME = "scheme"  # 方案制定/审核中
    DRAWING = "drawing"  # 抽取检查对象和执法人员
    DISPATCHED = "dispatched"  # 已派发
    INSPECTING = "inspecting"  # 检查中 (records being entered and reviewed)
    PUBLISHED = "published"  # 已公示 (every record's result published; 完成抽查 waits)
    DONE = "done"  # 完成抽查

    @property
    def label(self) -> str:
        return {
            "new": "待制定方案",
            "scheme": "方案审核中",
            "drawing": "抽取中",
            "dispatched": "已派发",
            "inspecting": "检查中",
            "published": "已公示",
            "done": "已完成",
        }[self.value]

    @property
    def css(self) -> str:
        return {"new": "muted", "scheme": "info", "drawing": "warn", "dispatched": "ok", "inspecting": "info",
                "published": "ok", "done": "ok"}[
            self.value
        ]


class Task(db.Model):
    """抽查任务 (seed 003 制定抽查任务: 任务名称、执行时间、参与检查的具体部门)."""

    __tablename__ = "inspection_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("inspection_plan.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))  # 任务名称
    # 监管部门 / 发起部门: its clerks draw the objects, its inspectors lead the team.
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    # The item whose object directory (of ``department_id``) the objects are drawn from.
    item_id: Mapped[int] = mapped_column(ForeignKey("check_item.id"), index=True)
    methods: Mapped[str] = mapped_column(String(100), default="")  # 检查方式, joined by 、
    ratio: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))  # the plan's 抽查比例 for this task
    start_date: Mapped[date] = mapped_column(Date)  # 执行时间
    end_date: Mapped[date] = mapped_column(Date)
    status: Mapped[TaskStatus] = mapped_column(_enum(TaskStatus), default=TaskStatus.NEW)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    plan: Mapped[Plan] = relationship(back_populates="tasks")
    department: Mapped[Department] = relationship()
    item: Mapped[CheckItem] = relationship()
    created_by: Mapped[User | None] = relationship()
    departments: Mapped[list[TaskDepartment]] = relationship(
        back_populates="task", cascade="all, delete-orphan", order_by="TaskDepartment.id"
    )
    scheme: Mapped[Scheme | None] = relationship(back_populates="task", uselist=False)

    __table_args__ = (CheckConstraint("start_date <= end_date", name="period"),)


class TaskDepartment(db.Model):
    """A department taking part in a task, with how many inspectors it sends (表22
    随机抽取执法人员: 发起部门和参与部门根据方案随机抽取执法人员)."""

    __tablename__ = "inspection_task_department"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("inspection_task.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    role: Mapped[str] = mapped_column(String(20), default="participant")  # initiator / participant
    inspectors: Mapped[int] = mapped_column(Integer, default=2)  # 抽取执法人员人数

    task: Mapped[Task] = relationship(back_populates="departments")
    department: Mapped[Department] = relationship()

    __table_args__ = (
        UniqueConstraint("task_id", "department_id"),
        CheckConstraint("inspectors >= 0", name="inspectors_range"),
    )
