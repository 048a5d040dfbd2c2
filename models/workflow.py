"""Process instances of the standard's flows, their work items and their history.

The flows themselves are data in ``workflows/``; these tables hold what happened to one
instance: where it stands, who is a party to it, what is waiting for whom, and who did what.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.org import Department, User


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class InstanceStatus(enum.StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    TERMINATED = "terminated"

    @property
    def label(self) -> str:
        return {"active": "办理中", "completed": "已办结", "terminated": "已终止"}[self.value]

    @property
    def css(self) -> str:
        return {"active": "info", "completed": "ok", "terminated": "muted"}[self.value]


class ProcessInstance(db.Model):
    __tablename__ = "process_instance"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_table: Mapped[int] = mapped_column(Integer, index=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[InstanceStatus] = mapped_column(_enum(InstanceStatus), default=InstanceStatus.ACTIVE)
    # Key of the step now open; "" once the instance has ended.
    current_step: Mapped[str] = mapped_column(String(60), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    subject_type: Mapped[str] = mapped_column(String(40), default="")
    subject_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)

    department: Mapped[Department] = relationship()
    created_by: Mapped[User | None] = relationship()
    parties: Mapped[list[InstanceParty]] = relationship(back_populates="instance", cascade="all, delete-orphan")
    work_items: Mapped[list[WorkItem]] = relationship(
        back_populates="instance", cascade="all, delete-orphan", order_by="WorkItem.id"
    )
    history: Mapped[list[ProcessHistory]] = relationship(
        back_populates="instance", cascade="all, delete-orphan", order_by="ProcessHistory.seq"
    )

    __mapper_args__ = {"version_id_col": version}


class InstanceParty(db.Model):
    """A department's relation to one instance: 发起部门, 参与部门, 实施部门, 联席会议办公室 …"""

    __tablename__ = "instance_party"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    relation: Mapped[str] = mapped_column(String(30))
    # A participating department that declined (确认是否参与: 否) stays a party but drops out
    # of the steps every party answers for itself.
    declined: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")

    instance: Mapped[ProcessInstance] = relationship(back_populates="parties")
    department: Mapped[Department] = relationship()

    __table_args__ = (UniqueConstraint("instance_id", "department_id", "relation"),)


class WorkItemStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"
    # Done in an earlier round of a step the flow came back to; the history keeps the record.
    SUPERSEDED = "superseded"

    @property
    def label(self) -> str:
        return {"open": "待办", "done": "已办", "cancelled": "已撤销", "superseded": "已办（前一轮）"}[self.value]


class WorkItem(db.Model):
    """What waits for a lane at a step: one per step, or one per party department on a
    step that every participating department answers for itself."""

    __tablename__ = "work_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    # Copied from the instance so that an inbox filters by (table, step) without a join.
    process_table: Mapped[int] = mapped_column(Integer)
    step_key: Mapped[str] = mapped_column(String(60))
    # The department whose users may act (roles come from the step's lane), or one user.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    lane: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[WorkItemStatus] = mapped_column(_enum(WorkItemStatus), default=WorkItemStatus.OPEN)
    outcome: Mapped[str] = mapped_column(String(60), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(DateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Bumped by every change: a form carries it, and a stale form is refused.
    version: Mapped[int] = mapped_column(Integer, default=1)

    instance: Mapped[ProcessInstance] = relationship(back_populates="work_items")
    department: Mapped[Department | None] = relationship()
    done_by: Mapped[User | None] = relationship(foreign_keys=[done_by_id])

    __table_args__ = (
        Index("ix_work_item_open", "status", "department_id"),
        Index("ix_work_item_instance_step", "instance_id", "step_key"),
    )
    __mapper_args__ = {"version_id_col": version}


class ProcessHistory(db.Model):
    __tablename__ = "process_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    step_key: Mapped[str] = mapped_column(String(60))
    step_name: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    target_step: Mapped[str] = mapped_column(String(60), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_name: Mapped[str] = mapped_column(String(50), default="")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    department_name: Mapped[str] = mapped_column(String(100), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer)

    instance: Mapped[ProcessInstance] = relationship(back_populates="history")

    __table_args__ = (UniqueConstraint("instance_id", "seq"),)
