"""Receipts (签收回执): who signed for which exact version of something, for which unit.

Generic over the subject (``subject_type`` + ``subject_id``): official documents (表33) and
the conference's plans and tasks (表32) use the same table.  ``content_sha256`` is the
SHA-256 of the canonical content of the version signed, so a receipt proves what was read; a
changed subject gets a new version and needs a new receipt.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.org import Department, User


class Receipt(db.Model):
    __tablename__ = "receipt"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    content_sha256: Mapped[str] = mapped_column(String(64))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    user_name: Mapped[str] = mapped_column(String(50), default="")
    signed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ip: Mapped[str] = mapped_column(String(45), default="")

    department: Mapped[Department] = relationship()
    user: Mapped[User] = relationship()

    __table_args__ = (UniqueConstraint("subject_type", "subject_id", "version", "department_id"),)
