"""Background jobs (后台任务): long work such as a large import, queued in the database.

The table is the queue: a worker (a thread of a web process, or ``flask jobs run``) claims a
queued row with a conditional UPDATE, so several gunicorn workers and hosts never run one
job twice, and a job survives a restart as a row (persistence/jobs.py recovers one left
``running`` by a dead worker).  Progress (``done`` of ``total``, ``message``) is written in
short transactions of its own so that a page can poll it while the job's own transaction is
still open.
"""

from __future__ import annotations

import enum
import json
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.org import Department, User


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return {"queued": "排队中", "running": "进行中", "done": "已完成", "failed": "失败"}[self.value]

    @property
    def css(self) -> str:
        return {"queued": "info", "running": "warn", "done": "ok", "failed": "error"}[self.value]

    @property
    def active(self) -> bool:
        return self in (JobStatus.QUEUED, JobStatus.RUNNING)


class Job(db.Model):
    """One unit of background work of a registered ``kind`` (persistence/jobs.py)."""

    __tablename__ = "job"
    __table_args__ = (
        Index("ix_job_status_id", "status", "id"),
        Index("ix_job_subject", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.QUEUED.value)
    # What the job works on (e.g. "import_batch", 12): the page of that object finds its job.
    subject_type: Mapped[str] = mapped_column(String(40), default="")
    subject_id: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[str] = mapped_column(Text, default="{}")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(String(200), default="")
    result: Mapped[str] = mapped_column(Text, default="")  # JSON
    error: Mapped[str] = mapped_column(String(500), default="")  # for the user, in Chinese
    worker: Mapped[str] = mapped_column(String(100), default="")  # host:pid of the claimant
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)

    created_by: Mapped[User] = relationship()
    department: Mapped[Department] = relationship()

    @property
    def state(self) -> JobStatus:
        return JobStatus(self.status)

    @property
    def params(self) -> dict[str, Any]:
        return json.loads(self.payload) if self.payload else {}

    @property
    def outcome(self) -> dict[str, Any]:
        return json.loads(self.result) if self.result else {}

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.status}>"
