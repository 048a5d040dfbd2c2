"""出资、人员、集群注册地址: who owns, who runs and where an entity is registered."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db
from models.facts.base import FactBase, PersonFactMixin

CAPITAL_METHODS = ("货币", "非货币")
CAPITAL_ORIGINS = ("年报", "即时信息")
OFFICER_ROLES = ("法定代表人", "董事", "监事", "经理", "执行董事")


class CapitalContribution(FactBase, PersonFactMixin, db.Model):
    """出资: one shareholder's subscription and payment, amounts in 万元.

    ``person_id`` is set when the shareholder is a natural person known by ID number.
    """

    __tablename__ = "fact_capital"

    shareholder: Mapped[str] = mapped_column(String(200))
    shareholder_id_no: Mapped[str | None] = mapped_column(String(18))
    subscribed_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 6))
    paid_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 6))
    due_date: Mapped[date | None] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(10), default="货币")
    year: Mapped[int | None] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(String(10), default="年报")

    __table_args__ = (
        CheckConstraint("entity_id IS NOT NULL", name="entity_required"),
        CheckConstraint("method IN ('货币', '非货币')", name="method_known"),
        CheckConstraint("origin IN ('年报', '即时信息')", name="origin_known"),
        CheckConstraint("subscribed_amount IS NULL OR subscribed_amount >= 0", name="subscribed_nonnegative"),
        CheckConstraint("paid_amount IS NULL OR paid_amount >= 0", name="paid_nonnegative"),
        Index("ix_fact_capital_entity_current", "entity_id", "current"),
    )


class Officer(FactBase, PersonFactMixin, db.Model):
    """人员: a natural person's office in an entity (法定代表人, 董事 …) from/to."""

    __tablename__ = "fact_officer"

    role: Mapped[str] = mapped_column(String(10))
    from_date: Mapped[date | None] = mapped_column(Date)
    to_date: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        CheckConstraint("entity_id IS NOT NULL AND person_id IS NOT NULL", name="entity_and_person"),
        CheckConstraint("role IN ('法定代表人', '董事', '监事', '经理', '执行董事')", name="role_known"),
        CheckConstraint("to_date IS NULL OR from_date IS NULL OR to_date >= from_date", name="to_after_from"),
        Index("ix_fact_officer_entity_current", "entity_id", "current"),
    )


class ClusterAddress(FactBase, db.Model):
    """集群注册地址 and 托管机构.

    A row without an entity marks an address as a cluster-registration address (with its
    托管机构); a row with an entity says that entity is registered there through that agent.
    """

    __tablename__ = "fact_cluster_address"

    address: Mapped[str] = mapped_column(String(255))
    agent_name: Mapped[str] = mapped_column(String(200), default="")
    agent_code: Mapped[str] = mapped_column(String(18), default="")

    __table_args__ = (
        Index("ix_fact_cluster_address_address", "address", "current"),
        Index("ix_fact_cluster_address_entity_current", "entity_id", "current"),
        # 集群注册预警 finds the rows naming a bad 托管机构 by code, or (no code) by name (0048)
        Index("ix_fact_cluster_address_agent", "agent_code", "agent_name", "current"),
    )
