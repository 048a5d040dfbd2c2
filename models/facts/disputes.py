"""投诉举报、司法涉诉 and 其他信息 (股权冻结 and the rest)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db
from models.facts.base import FactBase

LAWSUIT_ROLES = ("原告", "被告", "第三人", "被执行人")


class Complaint(FactBase, db.Model):
    """投诉举报 about an entity."""

    __tablename__ = "fact_complaint"

    received_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(50), default="")
    subject: Mapped[str] = mapped_column(String(255))
    outcome: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        CheckConstraint("entity_id IS NOT NULL", name="entity_required"),
        Index("ix_fact_complaint_entity_current", "entity_id", "current"),
    )


class Lawsuit(FactBase, db.Model):
    """司法涉诉: a case and the entity's role in it."""

    __tablename__ = "fact_lawsuit"

    case_no: Mapped[str] = mapped_column(String(100))
    filed_on: Mapped[date | None] = mapped_column(Date)
    court: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(10))
    cause: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(50), default="")

    __table_args__ = (
        CheckConstraint("entity_id IS NOT NULL", name="entity_required"),
        CheckConstraint("role IN ('原告', '被告', '第三人', '被执行人')", name="role_known"),
        Index("ix_fact_lawsuit_case_no", "case_no", "current"),
        Index("ix_fact_lawsuit_entity_current", "entity_id", "current"),
    )


class OtherFact(FactBase, db.Model):
    """其他信息: 股权冻结 and anything else a department reports (``category``)."""

    __tablename__ = "fact_other"

    category: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(255))
    content: Mapped[str] = mapped_column(Text, default="")
    occurred_on: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        CheckConstraint("entity_id IS NOT NULL", name="entity_required"),
        Index("ix_fact_other_entity_current", "entity_id", "current"),
    )
