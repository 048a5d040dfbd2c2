"""许可、处罚、监管: what the approving, penalising and supervising departments report.

监管信息 here is what OTHER departments report of their inspections; the platform's own
published inspection results are not copied in (the dossier reads them from the inspection
tables, docs/collection.md).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db
from models.facts.base import FactBase

PERMIT_STATUSES = ("有效", "注销", "吊销", "撤销", "过期")


class Permit(FactBase, db.Model):
    """行政许可."""

    __tablename__ = "fact_permit"

    permit_no: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(100), default="")
    issuing_department: Mapped[str] = mapped_column(String(200), default="")
    scope: Mapped[str] = mapped_column(Text, default="")
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="有效")
    change_note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        CheckConstraint("entity_id IS NOT NULL", name="entity_required"),
        CheckConstraint("status IN ('有效', '注销', '吊销', '撤销', '过期')", name="status_known"),
        CheckConstraint("valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from", name="valid_to_after_from"),
        Index("ix_fact_permit_permit_no", "permit_no", "current"),
        Index("ix_fact_permit_entity_current", "entity_id", "current"),
    )


class Penalty(FactBase, db.Model):
    """行政处罚; ``amount`` in 元."""

    __tablename__ = "fact_penalty"

    decision_no: Mapped[str] = mapped_column(String(100))
    decided_on: Mapped[date] = mapped_column(Date)
    department: Mapped[str] = mapped_column(String(200), default="")
    violation: Mapped[str] = mapped_column(Text, default="")
    basis: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(100), default="")
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    status: Mapped[str] = mapped_column(String(20), default="")

    __table_args__ = (
        CheckConstraint("entity_id IS NOT NULL", name="entity_required"),
        CheckConstraint("amount IS NULL OR amount >= 0", name="amount_nonnegative"),
        Index("ix_fact_penalty_decision_no", "decision_no", "current"),
        Index("ix_fact_penalty_entity_current", "entity_id", "current"),
    )


class SupervisionRecord(FactBase, db.Model):
    """监管信息 reported by another department (检查、巡查 and their results)."""

    __tablename__ = "fact_supervision"

    inspected_on: Mapped[date] = mapped_column(Date)
    department: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(100), default="")
    result: Mapped[str] = mapped_column(Text, default="")
    handling: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        CheckConstraint("entity_id IS NOT NULL", name="entity_required"),
        Index("ix_fact_supervision_entity_current", "entity_id", "current", "inspected_on"),
    )
