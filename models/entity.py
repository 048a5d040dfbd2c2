"""The entity registry (市场主体库): market entities and their tags.

An entity belongs to the registry of the district (区（市）县 node, else the city) whose
division (行政区划) it is registered in: ``department_id`` is that region node, derived from the
division code when the entity is saved (services/entities.py).  Every department of the
district sees the district's registry; a city-level user sees every district's.

Indexes are chosen for the searches of services/entities.py at 1,000,000 rows: exact
统一社会信用代码 and 注册号 (unique), a name prefix, and (division, industry, grade) for the
filtered list, both extended to cover the other filter columns and the scope.  Name, code and division columns use the "C" collation on PostgreSQL so that a
prefix (``LIKE 'x%'`` or a range) can use a plain b-tree index whatever the database's locale;
SQLite compares them bytewise (BINARY) anyway.

The credit-risk grade (企业信用风险分类, seed 002) is internal: it is never rendered on a
public page.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.org import Department


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


def _bytewise(length: int) -> String:
    """A VARCHAR compared bytewise on PostgreSQL too, so prefix searches use the index."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")  # type: ignore[return-value]


class EntityType(enum.StrEnum):
    """市场主体类型 (DB5101 ch. 6)."""

    ENTERPRISE = "enterprise"
    INDIVIDUAL = "individual"
    COOPERATIVE = "cooperative"
    NON_PROFIT = "non_profit"
    NON_MARKET = "non_market"

    @property
    def label(self) -> str:
        return {
            "enterprise": "企业",
            "individual": "个体工商户",
            "cooperative": "农民专业合作社",
            "non_profit": "非营利性主体",
            "non_market": "非市场主体",
        }[self.value]

    @property
    def css(self) -> str:
        return "info"


class EntityStatus(enum.StrEnum):
    """登记状态."""

    ACTIVE = "active"
    REVOKED = "revoked"
    CANCELLED = "cancelled"
    MOVED_OUT = "moved_out"

    @property
    def label(self) -> str:
        return {"active": "存续", "revoked": "吊销", "cancelled": "注销", "moved_out": "迁出"}[self.value]

    @property
    def css(self) -> str:
        return {"active": "ok", "revoked": "err", "cancelled": "muted", "moved_out": "warn"}[self.value]


CREDIT_GRADES = ("A", "B", "C", "D", "E")


class MarketEntity(db.Model):
    """市场主体."""

    __tablename__ = "market_entity"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(_bytewise(200))
    uscc: Mapped[str | None] = mapped_column(_bytewise(18), unique=True)
    reg_no: Mapped[str | None] = mapped_column(_bytewise(30), unique=True)
    entity_type: Mapped[EntityType] = mapped_column(_enum(EntityType))
    legal_rep: Mapped[str] = mapped_column(String(100), default="")
    domicile: Mapped[str] = mapped_column(String(255), default="")
    business_address: Mapped[str] = mapped_column(String(255), default="")
    division_code: Mapped[str] = mapped_column(_bytewise(12))
    division_name: Mapped[str] = mapped_column(String(100), default="")
    industry_code: Mapped[str] = mapped_column(_bytewise(5), default="")
    industry_name: Mapped[str] = mapped_column(String(100), default="")
    business_scope: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[EntityStatus] = mapped_column(_enum(EntityStatus), default=EntityStatus.ACTIVE)
    established_on: Mapped[date | None] = mapped_column(Date)
    # 注册资本（万元）: six decimals keep a hundredth of a yuan.
    registered_capital: Mapped[Decimal | None] = mapped_column(Numeric(18, 6))
    phone: Mapped[str] = mapped_column(String(60), default="")
    # Internal only (seed 002): never on a public page.
    credit_grade: Mapped[str | None] = mapped_column(String(1))
    credit_grade_source: Mapped[str] = mapped_column(String(100), default="")
    credit_grade_on: Mapped[date | None] = mapped_column(Date)
    # The registry the entity belongs to: the 区 (or 市) node of its division.  Deliberately
    # not indexed: a district holds a tenth of a city's entities, so the scope term is never the
    # selective one, and SQLite (without statistics) would choose such an index over the
    # composite one below and walk a whole district.  Departments are never deleted.
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    department: Mapped[Department] = relationship()
    tags: Mapped[list[EntityTag]] = relationship(
        back_populates="entity", cascade="all, delete-orphan", passive_deletes=True, order_by="EntityTag.tag"
    )

    __table_args__ = (
        CheckConstraint("credit_grade IN ('A', 'B', 'C', 'D', 'E')", name="credit_grade_a_to_e"),
        CheckConstraint("uscc IS NOT NULL OR reg_no IS NOT NULL", name="uscc_or_reg_no"),
        # (division, industry, grade) serve the filtered list; the trailing columns make this
        # index and the name index *covering* for the filters and the scope, so a page's ids
        # and the capped count are read from the index alone (bench/entities.py).
        Index(
            "ix_market_entity_division_industry_grade",
            "division_code",
            "industry_code",
            "credit_grade",
            "status",
            "entity_type",
            "department_id",
        ),
        Index("ix_market_entity_name", "name", "department_id"),
        # The risk rules group and join entities by registered address (地址异常预警, 集群注册预警).
        Index("ix_market_entity_domicile", "domicile"),
    )

    @property
    def type_label(self) -> str:
        return self.entity_type.label

    @property
    def tag_names(self) -> list[str]:
        return [t.tag for t in self.tags]

    def __repr__(self) -> str:
        return f"<MarketEntity {self.id} {self.name}>"


class EntityTag(db.Model):
    """A free tag on an entity (e.g. 重点, 餐饮); searched by tag."""

    __tablename__ = "entity_tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("market_entity.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(_bytewise(30))

    entity: Mapped[MarketEntity] = relationship(back_populates="tags")

    __table_args__ = (
        UniqueConstraint("entity_id", "tag"),
        Index("ix_entity_tag_tag", "tag", "entity_id"),
    )
