"""考核 (seed 004《应用考核办法》; docs/assessment.md).

``AssessmentRun``: one computation of a district's yearly scorecards as of a day (at most
12月15日 of the year); ``AssessmentCard``: one unit's card in a run (its five area scores, or
the reason it was not scored); ``AssessmentDeduction``: one finding of a rule, citing the
record that caused it (``record_kind`` + ``record_id``).  ``AssessmentJudgement``: the assessing
office's score of an item that needs human judgement (制度健全 …), with its note and
``AssessmentEvidence`` files.  Runs are kept: a re-run over the same records as of the same day
gives the same deductions and the same digest.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.org import Department, User


class AssessmentRun(db.Model):
    __tablename__ = "assessment_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[date] = mapped_column(Date)
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    region: Mapped[Department] = relationship()
    created_by: Mapped[User | None] = relationship()
    cards: Mapped[list[AssessmentCard]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="AssessmentCard.position")


class AssessmentCard(db.Model):
    __tablename__ = "assessment_card"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("assessment_run.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(10), default="scored")  # scored | no_data
    reason: Mapped[str] = mapped_column(Text, default="")
    # {area code: score}; empty when not scored
    areas: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    total: Mapped[int | None] = mapped_column(Integer)
    records: Mapped[int] = mapped_column(Integer, default=0)  # the unit's records the rules looked at
    pending: Mapped[int] = mapped_column(Integer, default=0)  # human-judged items not yet scored

    run: Mapped[AssessmentRun] = relationship(back_populates="cards")
    department: Mapped[Department] = relationship()
    deductions: Mapped[list[AssessmentDeduction]] = relationship(
        back_populates="card", cascade="all, delete-orphan", order_by="AssessmentDeduction.position")

    @property
    def scored(self) -> bool:
        return self.status == "scored"


class AssessmentDeduction(db.Model):
    __tablename__ = "assessment_deduction"

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("assessment_card.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    item: Mapped[str] = mapped_column(String(10))
    points: Mapped[int] = mapped_column(Integer)  # counted towards the item's cap; 0 once the cap is reached
    record_kind: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[int] = mapped_column(Integer)
    on_date: Mapped[date | None] = mapped_column(Date)
    detail: Mapped[str] = mapped_column(Text, default="")

    card: Mapped[AssessmentCard] = relationship(back_populates="deductions")


class AssessmentJudgement(db.Model):
    __tablename__ = "assessment_judgement"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    item: Mapped[str] = mapped_column(String(10))
    points: Mapped[int] = mapped_column(Integer, default=0)  # the deduction
    note: Mapped[str] = mapped_column(Text, default="")
    judged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    judged_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    department: Mapped[Department] = relationship()
    judged_by: Mapped[User | None] = relationship()
    evidence: Mapped[list[AssessmentEvidence]] = relationship(
        back_populates="judgement", cascade="all, delete-orphan", order_by="AssessmentEvidence.id")

    __table_args__ = (UniqueConstraint("year", "department_id", "item"),)


class AssessmentEvidence(db.Model):
    __tablename__ = "assessment_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    judgement_id: Mapped[int] = mapped_column(ForeignKey("assessment_judgement.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    size: Mapped[int] = mapped_column(Integer, default=0)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    judgement: Mapped[AssessmentJudgement] = relationship(back_populates="evidence")
