"""Deadline reminders (期限提醒) shown in 我的待办.

``flask deadlines remind`` (services/deadlines.py) runs once a day: for each task and 填报部门
with inspection results not yet published (检查任务完成后20个工作日内公示) it keeps one open
reminder of the kind that applies — ``due_soon`` within 3 working days of the deadline,
``overdue`` after it — and closes the reminders that no longer apply (everything published, or
a ``due_soon`` overtaken by ``overdue``).  One row per (task, department, kind): running the
command again the same day changes nothing; a later day refreshes ``reminded_on`` and the count.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.draws import TaskObject
from models.inspections import InspectionRecord
from models.org import Department
from models.plans import Task


class ReminderKind(enum.StrEnum):
    DUE_SOON = "due_soon"  # 即将到期
    OVERDUE = "overdue"  # 已逾期

    @property
    def label(self) -> str:
        return {"due_soon": "即将到期", "overdue": "已逾期"}[self.value]

    @property
    def css(self) -> str:
        return {"due_soon": "warn", "overdue": "err"}[self.value]


class Reminder(db.Model):
    __tablename__ = "reminder"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    task_id: Mapped[int] = mapped_column(ForeignKey("inspection_task.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)  # 填报部门
    due_date: Mapped[date] = mapped_column(Date)  # 公示期限
    pending: Mapped[int] = mapped_column(Integer, default=0)  # results not yet published
    first_on: Mapped[date] = mapped_column(Date)  # first reminded
    reminded_on: Mapped[date] = mapped_column(Date)  # last run that found it still due
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    task: Mapped[Task] = relationship()
    department: Mapped[Department] = relationship()

    __table_args__ = (
        UniqueConstraint("task_id", "department_id", "kind"),
        Index("ix_reminder_open", "department_id", "closed_at"),
    )

    @property
    def reminder_kind(self) -> ReminderKind:
        return ReminderKind(self.kind)


# Covering indexes for the set-based figures (services/deadlines.py expected_results,
# services/statistics.py): the expected results read a task's objects by task and the record
# of each (object, 填报部门) pair, touching only these columns.  Declared here, with the
# queries' chapter, rather than in models/draws.py and models/inspections.py.
Index("ix_task_object_task_removed", TaskObject.task_id, TaskObject.removed)
Index(
    "ix_inspection_record_figures",
    InspectionRecord.task_object_id,
    InspectionRecord.department_id,
    InspectionRecord.status,
    InspectionRecord.result,
)
