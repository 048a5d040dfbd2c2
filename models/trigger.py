"""触发式双随机监管 (DB5101 11.2, 表28; docs/trigger.md).

``TriggerRule`` is one 触发式规则 of a 监管部门: a source kind (services/trigger/sources.py)
with its parameters as data, a weight (each hit counts that many times in the draw), a validity
window of China dates and an active flag; ``version`` is bumped on every save (optimistic lock)
and every save leaves a ``TriggerRuleChange`` (the rule's history).  ``extraction_id`` is the
extraction its current 表28 instance went into.

The 触发式对象库 is ``TriggerHit`` (which rule hits which entity now, replaced by every build)
and ``TriggerObject`` (one entry per department and entity, from first to last seen, with the
combined weight 1 + Σ rule weights); an entry no longer hit is closed, never deleted, and a later
hit opens a new one (a partial unique index on both databases).  ``TriggerObjectEvent`` is each
entry's history (opened, weight changed, closed).

``TriggerExtraction`` is 提取监管对象: the entries a department took into one task, frozen with
their weights (``TriggerExtractionMember``); the task's object draw uses them as its weighted
population.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.org import Department, User


class TriggerRule(db.Model):
    """触发式规则."""

    __tablename__ = "trigger_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    source: Mapped[str] = mapped_column(String(30))  # a source kind's key
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    weight: Mapped[int] = mapped_column(Integer, default=1)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    extraction_id: Mapped[int | None] = mapped_column(Integer)  # no FK: the extraction table comes later
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    department: Mapped[Department] = relationship()
    created_by: Mapped[User | None] = relationship()

    __table_args__ = (CheckConstraint("weight > 0", name="weight_positive"),)

    def __repr__(self) -> str:
        return f"<TriggerRule {self.id} {self.source} v{self.version}>"


class TriggerRuleChange(db.Model):
    """One save of a rule (created, edited): what it was and what it became."""

    __tablename__ = "trigger_rule_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("trigger_rule.id"), index=True)
    action: Mapped[str] = mapped_column(String(10))  # create, edit
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    changed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    changed_by: Mapped[User] = relationship()


class TriggerHit(db.Model):
    """One rule hitting one entity, as of the last build (the library's "rules that hit")."""

    __tablename__ = "trigger_hit"

    department_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    weight: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_trigger_hit_rule", "rule_id", "entity_id"),)


class TriggerObject(db.Model):
    """One entry of the 触发式对象库."""

    __tablename__ = "trigger_object"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    entity_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="open")
    weight: Mapped[int] = mapped_column(Integer, default=1)
    rule_count: Mapped[int] = mapped_column(Integer, default=0)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed')", name="status_known"),
        Index(
            "uq_trigger_object_open", "department_id", "entity_id", unique=True,
            sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'"),
        ),
        Index("ix_trigger_object_dept_status", "department_id", "status", "weight"),
    )


class TriggerObjectEvent(db.Model):
    """An entry's history: opened, its weight changed, closed."""

    __tablename__ = "trigger_object_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    object_id: Mapped[int] = mapped_column(ForeignKey("trigger_object.id"), index=True)
    event: Mapped[str] = mapped_column(String(10))  # open, change, close
    weight: Mapped[int] = mapped_column(Integer)
    rule_count: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class TriggerExtraction(db.Model):
    """提取监管对象: entries of the library taken into one task, with their weights frozen."""

    __tablename__ = "trigger_extraction"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("inspection_task.id"), unique=True)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    size: Mapped[int] = mapped_column(Integer, default=0)
    weight_total: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    department: Mapped[Department] = relationship()
    created_by: Mapped[User] = relationship()


class TriggerExtractionMember(db.Model):
    __tablename__ = "trigger_extraction_member"

    extraction_id: Mapped[int] = mapped_column(ForeignKey("trigger_extraction.id"), primary_key=True)
    entity_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    weight: Mapped[int] = mapped_column(Integer)
