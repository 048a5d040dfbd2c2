"""联席会议计划及任务 and 工作台账 (DB5101 13.1 表32, template A.6).

The 联席会议办公室 builds a plan (建立联席会议计划及任务) with its tasks, each with a due date
and the member units it concerns; a task with a 专项任务要求 (建立专项任务) names the ledger it
asks for (e.g. 打击传销线索台账, 无证无照线索台账).  Each member unit signs for the plan and its
tasks together (签收计划及任务, a password-confirmed receipt), decides whether it has a ledger
(判断有无台账) and reports it per task (上报工作台账): rows of A.6's 13 columns, typed on a form
or imported from the template.  One 表32 process instance runs per (plan, member unit), so each
unit signs and reports at its own pace.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.conference import Conference
from models.org import Department, User
from models.receipts import Receipt


class ConferencePlan(db.Model):
    """联席会议计划 (建立联席会议计划及任务), issued by a conference office to its member units."""

    __tablename__ = "conference_plan"

    receipt_kind = "conference_plan"  # services/receipts.Signable
    is_recalled = False

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id"), index=True)
    # The 联席会议办公室 department that issued it (the conference's office).
    office_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text, default="")
    # 0 while a draft; 1 once issued (下发): the version the member units sign for.
    version: Mapped[int] = mapped_column(Integer, default=0)
    issued_at: Mapped[datetime | None] = mapped_column(DateTime)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    conference: Mapped[Conference] = relationship()
    office: Mapped[Department] = relationship()
    created_by: Mapped[User | None] = relationship()
    tasks: Mapped[list[ConferenceTask]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="ConferenceTask.position"
    )
    units: Mapped[list[PlanUnit]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanUnit.id"
    )

    __table_args__ = (CheckConstraint("version >= 0", name="version_nonnegative"),)

    @property
    def department(self) -> Department:
        """The owner for the data scope: the office."""
        return self.office

    @property
    def issued(self) -> bool:
        return self.version > 0

    @property
    def unit_ids(self) -> list[int]:
        """The member units the tasks concern, in first-mention order."""
        ids = [u.department_id for t in self.tasks for u in t.units]
        return list(dict.fromkeys(ids))

    # services/receipts.Signable
    def receipt_units(self) -> list[Department]:
        return [u.department for u in self.units]

    def receipt_content(self) -> dict[str, object]:
        """What a unit signs for: the plan and every task as issued (专项任务 included)."""
        return {
            "kind": self.receipt_kind,
            "id": self.id,
            "version": self.version,
            "conference": self.conference.name,
            "title": self.title,
            "year": self.year,
            "content": self.content,
            "tasks": [
                {
                    "title": t.title,
                    "content": t.content,
                    "due_date": t.due_date.isoformat(),
                    "special": t.special,
                    "ledger_type": t.ledger_type,
                    "units": sorted(u.department.name for u in t.units),
                }
                for t in self.tasks
            ],
        }


class ConferenceTask(db.Model):
    """A task of a plan; ``special`` marks a 专项任务 with the ledger it requires."""

    __tablename__ = "conference_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("conference_plan.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text, default="")
    due_date: Mapped[date] = mapped_column(Date)
    special: Mapped[bool] = mapped_column(Boolean, default=False)
    # The ledger a special task asks for (台账类型), "" for none.
    ledger_type: Mapped[str] = mapped_column(String(60), default="")

    plan: Mapped[ConferencePlan] = relationship(back_populates="tasks")
    units: Mapped[list[TaskUnit]] = relationship(
        back_populates="task", cascade="all, delete-orphan", order_by="TaskUnit.id"
    )

    @property
    def requires_ledger(self) -> bool:
        return bool(self.ledger_type)


class TaskUnit(db.Model):
    """A member unit a task concerns."""

    __tablename__ = "conference_task_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("conference_task.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)

    task: Mapped[ConferenceTask] = relationship(back_populates="units")
    department: Mapped[Department] = relationship()

    __table_args__ = (UniqueConstraint("task_id", "department_id"),)


class PlanUnit(db.Model):
    """A member unit's part in a plan: its 表32 instance, its receipt, whether it has a ledger."""

    __tablename__ = "conference_plan_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("conference_plan.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    signed_at: Mapped[datetime | None] = mapped_column(DateTime)
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The receipt (services/receipts.py) of the version signed.
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("receipt.id"))
    # 判断有无台账: None until decided.
    has_ledger: Mapped[bool | None] = mapped_column(Boolean)
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime)

    plan: Mapped[ConferencePlan] = relationship(back_populates="units")
    department: Mapped[Department] = relationship()
    signed_by: Mapped[User | None] = relationship()
    receipt: Mapped[Receipt | None] = relationship()

    __table_args__ = (UniqueConstraint("plan_id", "department_id"),)


class LedgerStatus(enum.StrEnum):
    DRAFT = "draft"
    REPORTED = "reported"

    @property
    def label(self) -> str:
        return {"draft": "填报中", "reported": "已上报"}[self.value]


class Ledger(db.Model):
    """工作台账: one member unit's ledger for one task (the period), rows of template A.6."""

    __tablename__ = "conference_ledger"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("conference_task.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=LedgerStatus.DRAFT.value)
    reported_at: Mapped[datetime | None] = mapped_column(DateTime)
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    task: Mapped[ConferenceTask] = relationship()
    department: Mapped[Department] = relationship()
    reported_by: Mapped[User | None] = relationship()
    rows: Mapped[list[LedgerRow]] = relationship(
        back_populates="ledger", cascade="all, delete-orphan", order_by="LedgerRow.position"
    )

    __table_args__ = (UniqueConstraint("task_id", "department_id"),)

    @property
    def reported(self) -> bool:
        return self.status == LedgerStatus.REPORTED.value


class LedgerRow(db.Model):
    """One row of A.6 (联席会议工作台账模板), its 13 columns."""

    __tablename__ = "conference_ledger_row"

    id: Mapped[int] = mapped_column(primary_key=True)
    ledger_id: Mapped[int] = mapped_column(ForeignKey("conference_ledger.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    operator: Mapped[str] = mapped_column(String(200))  # 经营者/名称
    address: Mapped[str] = mapped_column(String(300), default="")  # 经营地址
    business: Mapped[str] = mapped_column(String(200), default="")  # 经营项目
    phone: Mapped[str] = mapped_column(String(40), default="")  # 联系电话
    licence: Mapped[str] = mapped_column(String(100), default="")  # 证照情况
    guidance_issued: Mapped[bool] = mapped_column(Boolean, default=False)  # 已下达行政指导文书
    licensing_guided: Mapped[bool] = mapped_column(Boolean, default=False)  # 已引导办证
    notice_copied: Mapped[bool] = mapped_column(Boolean, default=False)  # 已抄告
    case_filed: Mapped[bool] = mapped_column(Boolean, default=False)  # 已立案查处
    police_transferred: Mapped[bool] = mapped_column(Boolean, default=False)  # 已移送公安机关
    closed: Mapped[bool] = mapped_column(Boolean, default=False)  # 停业关闭
    fine: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))  # 罚款金额（万元）
    filled_on: Mapped[date | None] = mapped_column(Date)  # 填报日期
    source: Mapped[str] = mapped_column(String(20), default="form")  # form / import

    ledger: Mapped[Ledger] = relationship(back_populates="rows")

    __table_args__ = (CheckConstraint("fine IS NULL OR fine >= 0", name="fine_range"),)
