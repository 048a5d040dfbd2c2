"""Uploaded spreadsheets waiting for confirmation (批量导入).

An upload is validated, previewed and only then imported, in a later request that may reach
another worker or host; the file is therefore kept in the database, never in process memory.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.org import Department, User


class ImportStatus(enum.StrEnum):
    PENDING = "pending"
    IMPORTED = "imported"
    DISCARDED = "discarded"

    @property
    def label(self) -> str:
        return {"pending": "待确认", "imported": "已导入", "discarded": "已放弃"}[self.value]

    @property
    def css(self) -> str:
        return {"pending": "warn", "imported": "ok", "discarded": "muted"}[self.value]


class ImportBatch(db.Model):
    """One uploaded file of one kind (e.g. ``users``), owned by the administrator who sent it."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(255), default="")
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default=ImportStatus.PENDING.value)
    result: Mapped[str] = mapped_column(Text, default="")

    created_by: Mapped[User] = relationship()
    department: Mapped[Department] = relationship()

    @property
    def state(self) -> ImportStatus:
        return ImportStatus(self.status)

    def __repr__(self) -> str:
        return f"<ImportBatch {self.id} {self.kind} {self.status}>"
