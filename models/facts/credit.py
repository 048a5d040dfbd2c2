"""惩戒 and 经营异常: the lists an entity (or, for 失信, a person) can be put on."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db
from models.facts.base import FactBase, PersonFactMixin

SANCTION_LISTS = ("严重违法失信名单", "失信被执行人", "其他失信名单")


class Sanction(FactBase, PersonFactMixin, db.Model):
    """惩戒信息: one listing of an entity or a natural person (exactly one of the two)."""

    __tablename__ = "fact_sanction"

    list_kind: Mapped[str] = mapped_column(String(20))
    decided_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    deciding_department: Mapped[str] = mapped_column(String(200), default="")
    valid_until: Mapped[date | None] = mapped_column(Date)
    removed_on: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        CheckConstraint(
            "(entity_id IS NULL AND person_id IS NOT NULL) OR (entity_id IS NOT NULL AND person_id IS NULL)",
            name="one_subject",
        ),
        CheckConstraint("list_kind IN ('严重违法失信名单', '失信被执行人', '其他失信名单')", name="list_kind_known"),
        Index("ix_fact_sanction_entity_current", "entity_id", "current"),
    )


class AbnormalListing(FactBase, db.Model):
    """经营异常名录: 列入 (listed_on, reason) and, later, 移出 (removed_on, removal_reason)."""

    __tablename__ = "fact_abnormal"

    listed_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    deciding_department: Mapped[str] = mapped_column(String(200), default="")
    removed_on: Mapped[date | None] = mapped_column(Date)
    removal_reason: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        CheckConstraint("entity_id IS NOT NULL", name="entity_required"),
        CheckConstraint("removed_on IS NULL OR removed_on >= listed_on", name="removed_after_listed"),
        Index("ix_fact_abnormal_entity_current", "entity_id", "current"),
    )
