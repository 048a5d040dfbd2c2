"""The pending pool (待匹配信息): facts that could not be filed under a subject.

A fact whose entity (or person) is unknown, that repeats one already filed, or that conflicts
with one filed by another department waits here with the reason, never dropped; it is
re-matched when the registry changes (services/collection/pending.py) and reported back to
the providing department (归集反馈).  ``payload`` holds the normalised record as received.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.facts.base import FactSource, fact_enum
from models.org import Department


class PendingReason(enum.StrEnum):
    UNMATCHED = "未匹配"
    DUPLICATE = "重复"
    CONFLICT = "冲突"

    @property
    def label(self) -> str:
        return self.value


class PendingFact(db.Model):
    """One fact waiting for a subject or for a decision."""

    __tablename__ = "pending_fact"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(10))
    detail: Mapped[str] = mapped_column(Text, default="")
    # The identifiers the fact named its subject by (统一社会信用代码 or 注册号, and the name),
    # indexed so a new or changed entity re-matches only the facts that name it.
    subject_code: Mapped[str] = mapped_column(String(30), default="", index=True)
    subject_name: Mapped[str] = mapped_column(String(200), default="", index=True)
    source_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    source_kind: Mapped[FactSource] = mapped_column(fact_enum(FactSource))
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"), index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_fact_table: Mapped[str | None] = mapped_column(String(40))
    resolved_fact_id: Mapped[int | None] = mapped_column(Integer)

    source_department: Mapped[Department] = relationship()

    __table_args__ = (
        CheckConstraint("reason IN ('未匹配', '重复', '冲突')", name="reason_known"),
        # 归集反馈 and the re-match read the open rows of one department (or all) by kind.
        Index("ix_pending_fact_open", "source_department_id", "resolved_at", "kind"),
    )

    @property
    def open(self) -> bool:
        return self.resolved_at is None

    def __repr__(self) -> str:
        return f"<PendingFact {self.id} {self.kind} {self.reason}>"
