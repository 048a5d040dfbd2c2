"""效能管理 (seed 004 §7; docs/efficiency.md): 效能规则, 督办 and the indexes of the overview.

The unit of work is the process engine's ``WorkItem`` (models/workflow.py): every bound process
of the platform opens one per step and department (or per named person), with its department,
process (业务功能), creation time, completion time and who completed it.  The figures of the
效能 pages are set-based queries over that one table; the indexes below serve them and are
declared here, beside the chapter that needs them, rather than in the engine's module.

``EfficiencyRule`` (效能规则) is data: an open work item of the rule's process (or of every
process) older than ``working_days`` working days is 超期.  ``Urge`` (督办) is a leader's
request on one open work item; ``UrgeRecipient`` lists who was notified and may answer.
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
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.org import Department, User
from models.workflow import ProcessInstance, WorkItem


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


# Items completed in a period, by department and process, with their duration and officer:
# the overview and the workload figures read this index alone.
WORK_ITEM_DONE = Index(
    "ix_work_item_done_cover",
    WorkItem.done_at, WorkItem.department_id, WorkItem.process_table, WorkItem.created_at, WorkItem.done_by_id,
)
# Open items of the departments one sees, with their process and age: 在办 and 超期 (created
# before a rule's cutoff) by department and process, read from the index alone.
WORK_ITEM_OPEN_AGE = Index(
    "ix_work_item_status_department_process_created",
    WorkItem.status, WorkItem.department_id, WorkItem.process_table, WorkItem.created_at,
)
# Items created in a period (工作量 by date, department, process or officer).
WORK_ITEM_CREATED = Index(
    "ix_work_item_created_cover",
    WorkItem.created_at, WorkItem.department_id, WorkItem.process_table, WorkItem.status, WorkItem.done_at,
)


class EfficiencyRule(db.Model):
    """效能规则: 业务办理超过 N 个工作日未办结即为超期 (for one process, or every process)."""

    __tablename__ = "efficiency_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The area (区 or 市 node) whose work the rule watches: persistence.org.region_root.
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # The process (表号) it watches; None: every process.
    process_table: Mapped[int | None] = mapped_column(Integer)
    working_days: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    department: Mapped[Department] = relationship()

    __table_args__ = (CheckConstraint("working_days >= 1 AND working_days <= 365", name="working_days_range"),)


class UrgeStatus(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"

    @property
    def label(self) -> str:
        return {"open": "待回复", "answered": "已回复"}[self.value]

    @property
    def css(self) -> str:
        return {"open": "warn", "answered": "ok"}[self.value]


class Urge(db.Model):
    """督办: a leader's request to finish one open work item, and the assignee's answer."""

    __tablename__ = "urge"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_item_id: Mapped[int] = mapped_column(ForeignKey("work_item.id", ondelete="CASCADE"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    # The work item's department (the scope of the 督办), copied so lists need no join.
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    message: Mapped[str] = mapped_column(Text)
    sent_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    sent_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[UrgeStatus] = mapped_column(_enum(UrgeStatus), default=UrgeStatus.OPEN)
    response: Mapped[str] = mapped_column(Text, default="")
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    responded_at: Mapped[datetime | None] = mapped_column(DateTime)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    work_item: Mapped[WorkItem] = relationship()
    instance: Mapped[ProcessInstance] = relationship()
    department: Mapped[Department] = relationship()
    sent_by: Mapped[User] = relationship(foreign_keys=[sent_by_id])
    responded_by: Mapped[User | None] = relationship(foreign_keys=[responded_by_id])
    recipients: Mapped[list[UrgeRecipient]] = relationship(back_populates="urge", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": lock_version}


class UrgeRecipient(db.Model):
    """Who a 督办 was sent to (the assignee and their leader): they see it in 我的待办."""

    __tablename__ = "urge_recipient"

    urge_id: Mapped[int] = mapped_column(ForeignKey("urge.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True, index=True)

    urge: Mapped[Urge] = relationship(back_populates="recipients")
    user: Mapped[User] = relationship()
