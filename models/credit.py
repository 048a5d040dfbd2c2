"""Credit-risk classification (企业信用风险分类, seed 002 §四(三)): the grade of each entity and
how it was reached (docs/credit.md).

- ``credit_scorecard`` (``Scorecard``): one row per card (``default``, ``food``, ``drug``,
  ``special_equipment``) holding its configuration as JSON — the weight of each indicator group
  (summing to 100), the points of each indicator, the industries it applies to and the score
  thresholds of the grades.  No row: the card's defaults in code (services/credit/cards.py).
- ``credit_scorecard_change``: every saved version of a card, who and when.
- ``credit_grade_record`` (``GradeRecord``): per entity, the imported national grade with its
  source and date, the local grade with its score and card, and the grade the draws use
  (``effective_grade``, written into ``market_entity.credit_grade``, the column the draw reads).
- ``credit_score_item`` (``ScoreItem``): the breakdown — which indicator deducted how many
  points from the entity's local score.
- ``credit_score_total``: scratch rows of one scoring run (entity, card, score, grade).
- ``credit_grade_change`` (``GradeChange``): every change of a national, local or effective grade
  with its reason.
- ``credit_grade_basis`` (``GradeBasis``): per registry (区/市 node), which grade the draws of its
  departments use: national, local or the worse of the two.

Grades are internal: never on a public page (seed 002 五(二)).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.org import Department, User

BASES = ("national", "local", "worse")
GRADE_KINDS = ("national", "local", "effective")


class Scorecard(db.Model):
    __tablename__ = "credit_scorecard"

    key: Mapped[str] = mapped_column(String(30), primary_key=True)
    config: Mapped[dict] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ScorecardChange(db.Model):
    __tablename__ = "credit_scorecard_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    card_key: Mapped[str] = mapped_column(String(30), index=True)
    version: Mapped[int] = mapped_column(Integer)
    config: Mapped[dict] = mapped_column(JSON)
    summary: Mapped[str] = mapped_column(Text, default="")  # what changed, in Chinese
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    changed_by: Mapped[User | None] = relationship()


class GradeRecord(db.Model):
    __tablename__ = "credit_grade_record"

    # No foreign key: a million records are written in one statement by the first run, and
    # PostgreSQL's per-row key check (a row lock on the entity each) was most of its time; a full
    # run deletes the records of deleted entities.
    entity_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    national_grade: Mapped[str | None] = mapped_column(String(1))
    national_source: Mapped[str] = mapped_column(String(100), default="")
    national_on: Mapped[date | None] = mapped_column(Date)
    local_grade: Mapped[str | None] = mapped_column(String(1))
    local_score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    local_card: Mapped[str] = mapped_column(String(30), default="")
    computed_at: Mapped[datetime | None] = mapped_column(DateTime)
    effective_grade: Mapped[str | None] = mapped_column(String(1))
    basis: Mapped[str] = mapped_column(String(10), default="national")

    __table_args__ = (
        CheckConstraint("national_grade IN ('A', 'B', 'C', 'D', 'E')", name="national_a_to_e"),
        CheckConstraint("local_grade IN ('A', 'B', 'C', 'D', 'E')", name="local_a_to_e"),
        CheckConstraint("effective_grade IN ('A', 'B', 'C', 'D', 'E')", name="effective_a_to_e"),
    )


class ScoreItem(db.Model):
    __tablename__ = "credit_score_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(Integer)  # no key: rewritten in bulk by every run
    card_key: Mapped[str] = mapped_column(String(30))
    group_key: Mapped[str] = mapped_column(String(20))
    indicator: Mapped[str] = mapped_column(String(30))
    hits: Mapped[int] = mapped_column(Integer, default=1)  # facts counted
    points: Mapped[Decimal] = mapped_column(Numeric(6, 2))  # deducted (capped at the group's weight)
    group_weight: Mapped[Decimal] = mapped_column(Numeric(6, 2))

    __table_args__ = (Index("ix_credit_score_item_entity", "entity_id", "group_key"),)


class ScoreTotal(db.Model):
    __tablename__ = "credit_score_total"

    entity_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    card_key: Mapped[str] = mapped_column(String(30))
    score: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    grade: Mapped[str] = mapped_column(String(1))
    fresh: Mapped[bool] = mapped_column(Boolean, default=False)  # no grade record yet


class GradeChange(db.Model):
    __tablename__ = "credit_grade_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("market_entity.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # national / local / effective
    old_grade: Mapped[str | None] = mapped_column(String(1))
    new_grade: Mapped[str | None] = mapped_column(String(1))
    score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))  # the local score, for a local change
    reason: Mapped[str] = mapped_column(Text, default="")
    changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    __table_args__ = (
        CheckConstraint("kind IN ('national', 'local', 'effective')", name="kind_known"),
        Index("ix_credit_grade_change_entity", "entity_id", "changed_at"),
    )


class GradeBasis(db.Model):
    __tablename__ = "credit_grade_basis"

    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), primary_key=True)
    basis: Mapped[str] = mapped_column(String(10), default="national")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    department: Mapped[Department] = relationship()

    __table_args__ = (CheckConstraint("basis IN ('national', 'local', 'worse')", name="basis_known"),)
