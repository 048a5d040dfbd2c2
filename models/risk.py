"""风险预警 and the 风险库 (表25, 表26, seed 004 §6; docs/risk.md).

``RiskRule`` is one warning rule with its parameters as data (the eight indicators of 表26 and
the seven of seed 004 §6); ``version`` is bumped on every save so two overlapping edits of one
rule are told apart (optimistic lock).  ``RiskRuleChange`` is one proposed change of a rule's
parameters, with the dry run's counts and the department leader's decision; approved changes
are the rule's history.  ``RiskWarning`` is one entry of the 风险库: an entity the rule hit,
from first to last seen, with the facts that made it hit (``evidence``).  A warning closed when
its condition stopped holding stays; a later hit opens a new one, so at most one warning per
(entity, rule) is open (a partial unique index on both databases).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.entity import MarketEntity
from models.org import Department, User

RULE_SOURCES = ("表26", "seed004")
WARNING_STATUSES = ("open", "closed")
CHANGE_STATUSES = ("pending", "approved", "rejected")


class RiskRule(db.Model):
    """风险预警规则 (表26 and seed 004 §6)."""

    __tablename__ = "risk_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    source: Mapped[str] = mapped_column(String(10))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    updated_by: Mapped[User | None] = relationship()

    __table_args__ = (CheckConstraint("source IN ('表26', 'seed004', '表34')", name="source_known"),)

    def __repr__(self) -> str:
        return f"<RiskRule {self.code} v{self.version}>"


class RiskRuleChange(db.Model):
    """A proposed change of one rule, its dry run and the leader's decision."""

    __tablename__ = "risk_rule_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("risk_rule.id"), index=True)
    params_before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    params_after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    enabled_before: Mapped[bool] = mapped_column(Boolean, default=True)
    enabled_after: Mapped[bool] = mapped_column(Boolean, default=True)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    proposed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    would_add: Mapped[int] = mapped_column(Integer, default=0)
    would_remove: Mapped[int] = mapped_column(Integer, default=0)
    base_version: Mapped[int] = mapped_column(Integer)

    rule: Mapped[RiskRule] = relationship()
    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status_known"),
    )

    def __repr__(self) -> str:
        return f"<RiskRuleChange {self.id} rule={self.rule_id} {self.status}>"


class RiskWarning(db.Model):
    """One entry of the 风险库."""

    __tablename__ = "risk_warning"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("market_entity.id"))
    rule_id: Mapped[int] = mapped_column(ForeignKey("risk_rule.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="open")
    first_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # [{"kind": fact kind key, "id": fact id, "label": short Chinese text}, ...]
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    entity: Mapped[MarketEntity] = relationship()
    rule: Mapped[RiskRule] = relationship()
    department: Mapped[Department | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])

    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed')", name="status_known"),
        # At most one open warning per (entity, rule); closed ones are the history.
        Index(
            "uq_risk_warning_open",
            "entity_id",
            "rule_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_risk_warning_entity_rule", "entity_id", "rule_id", "status"),
        # The 风险库 page: by rule and status, newest first.
        Index("ix_risk_warning_rule_status", "rule_id", "status", "first_seen_at"),
        Index("ix_risk_warning_status_seen", "status", "first_seen_at"),
    )

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def __repr__(self) -> str:
        return f"<RiskWarning {self.id} entity={self.entity_id} rule={self.rule_id} {self.status}>"
