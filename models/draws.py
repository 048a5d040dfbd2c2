"""Random draws (随机抽取, docs/draws.md) and what they produced.

A ``Draw`` is one attempt, kept for ever: the seed, the algorithm version, the parameters
(ratio per grade, cap, 定向 filter, inspectors per department), the population with its
SHA-256 digest (stored compressed, so the draw can be re-run after the directory changed),
the result, who and when.  An object draw's result is copied into ``TaskObject`` rows and
locks at once (seed 003: 名单一经确认不可擅自更改); a change needs the department leader's
approval with a reason (``DrawChange``), and is itself recorded.  Inspector draws are kept the
same way; the team they produce is in models/teams.py.

``GradeRatio`` holds a department's default ratio per credit-risk grade (seed 002: the
lowest for A, the highest for E, up to full coverage), copied into each new scheme.
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
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.org import Department, User
from models.plans import Task


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class DrawDomain(enum.StrEnum):
    OBJECT = "object"  # 随机抽取检查对象
    INSPECTOR = "inspector"  # 随机抽取执法人员

    @property
    def label(self) -> str:
        return {"object": "检查对象", "inspector": "执法人员"}[self.value]


class DrawStatus(enum.StrEnum):
    LOCKED = "locked"  # the task's current list (locked at once)
    SUPERSEDED = "superseded"  # replaced through an approved change; kept

    @property
    def label(self) -> str:
        return {"locked": "已锁定", "superseded": "已更改"}[self.value]


class Draw(db.Model):
    __tablename__ = "draw"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The task drawn for; None for an inspector draw of another subject (below).
    task_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_task.id"), index=True)
    # An inspector draw that is not a task team's (services/inspector_draws.Subject): "campaign"
    # (表23's assignment) or "unlicensed_unit" (表24's member unit); None for a task's draws.
    subject_type: Mapped[str | None] = mapped_column(String(30))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    domain: Mapped[DrawDomain] = mapped_column(_enum(DrawDomain))
    # The department that drew: the task's for objects, each party's for its inspectors.
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer, default=1)  # 1, 2 … per task, domain and department
    status: Mapped[DrawStatus] = mapped_column(_enum(DrawStatus), default=DrawStatus.LOCKED)
    algorithm: Mapped[str] = mapped_column(String(30))  # e.g. zhjg-draw-1
    seed: Mapped[str] = mapped_column(String(64))  # 32 bytes as hex
    params: Mapped[str] = mapped_column(Text, default="{}")  # JSON: ratios, cap, filter …
    quotas: Mapped[str] = mapped_column(Text, default="{}")  # JSON: stratum -> count
    population_size: Mapped[int] = mapped_column(Integer, default=0)
    population_digest: Mapped[str] = mapped_column(String(64))
    # zlib-compressed "key\tstratum\tweight\n" lines in key order.
    population: Mapped[bytes] = mapped_column(LargeBinary)
    result: Mapped[str] = mapped_column(Text, default="{}")  # JSON: stratum -> keys in rank order
    result_size: Mapped[int] = mapped_column(Integer, default=0)
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    drawn_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    # The public record shows no seed and no stratum, only commitments salted with this secret
    # (docs/draws.md): JSON name -> HMAC-SHA256 hex, fixed when ``committed_at`` (the draw's own
    # time; for draws older than migration 0021, the migration's).  None: not committed.
    salt: Mapped[str | None] = mapped_column(String(64))
    commitments: Mapped[str | None] = mapped_column(Text)
    committed_at: Mapped[datetime | None] = mapped_column(DateTime)

    task: Mapped[Task | None] = relationship()
    department: Mapped[Department] = relationship()
    drawn_by: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint("task_id", "domain", "department_id", "attempt"),
        Index("ix_draw_drawn_at", "drawn_at"),
        Index("ix_draw_subject", "subject_type", "subject_id"),
    )


class TaskObject(db.Model):
    """One drawn object of a task (检查对象名单).  ``removed`` is set, never deleted, when an
    approved change takes it off the list."""

    __tablename__ = "task_object"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("inspection_task.id"), index=True)
    draw_id: Mapped[int | None] = mapped_column(ForeignKey("draw.id"), index=True)  # None: added by a change
    key: Mapped[str] = mapped_column(String(40))  # "entity:12", "place:3", "product:7"
    # The object's id by kind, for joins.  No foreign keys, like LibraryMember: a drawn list is a
    # record that outlives the registry row, and PostgreSQL's per-row key checks (each takes a
    # row lock on the referenced entity) made the insert of a 40,000-object list take seconds.
    entity_id: Mapped[int | None] = mapped_column(Integer, index=True)
    place_id: Mapped[int | None] = mapped_column(Integer)
    product_id: Mapped[int | None] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(String(1), default="-")  # stratum drawn in (internal only)
    rank: Mapped[int] = mapped_column(Integer, default=0)  # position within its stratum
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    change_id: Mapped[int | None] = mapped_column(
        ForeignKey("draw_change.id")
    )  # the change that added/removed it
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    task: Mapped[Task] = relationship()

    __table_args__ = (UniqueConstraint("task_id", "key"),)


class ChangeStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return {"pending": "待审批", "approved": "已批准", "rejected": "未批准"}[self.value]

    @property
    def css(self) -> str:
        return {"pending": "warn", "approved": "ok", "rejected": "muted"}[self.value]


class DrawChange(db.Model):
    """A requested change to a locked list: objects taken off or added (seed 003: 经本部门主要负责人
    审批后予以更正), or an inspector replaced (岗位调整、工作冲突、健康状况、执法回避, picked by
    hand, not drawn).  ``details`` is JSON: {"remove": [keys], "add": [keys]} or
    {"replace": team_member_id, "by": inspector_id}."""

    __tablename__ = "draw_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("inspection_task.id"), index=True)
    domain: Mapped[DrawDomain] = mapped_column(_enum(DrawDomain))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    reason_code: Mapped[str] = mapped_column(String(20), default="")  # replacement: 岗位调整 …
    reason: Mapped[str] = mapped_column(Text)
    details: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[ChangeStatus] = mapped_column(_enum(ChangeStatus), default=ChangeStatus.PENDING)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_comment: Mapped[str] = mapped_column(Text, default="")

    task: Mapped[Task] = relationship()
    department: Mapped[Department] = relationship()
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class GradeRatio(db.Model):
    """A department's default 抽查比例 for one credit-risk grade (seed 002), in percent."""

    __tablename__ = "grade_ratio"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    grade: Mapped[str] = mapped_column(String(1))  # A–E, or "-" for ungraded
    ratio: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("department_id", "grade"),
        CheckConstraint("ratio >= 0 AND ratio <= 100", name="ratio_range"),
    )
