"""信用沙盒触发式监管 (DB5101 11.1, 表27; docs/sandbox.md).

``SandboxEntity`` is one entity of a department's 信用沙盒主体库 (removed ones stay, with the
reason); ``SandboxItem`` one trigger of its 信用沙盒事项清单 (a condition over the collected facts
and the 风险库, its parameters as data, and the level of the clue it forms: 提示 or 预警).
``SandboxClue`` is one 提示线索/预警线索: an entity × item while the condition holds (at most one
open per pair, a partial unique index on both databases), with its state 生成 → 已推送 → 已告知 →
已整改/未整改 and its history (``SandboxClueEvent``).  ``SandboxPartner`` is a 第三方合作机构's
webhook (its account is an interface client), ``SandboxDelivery`` one push of a clue to one
partner (retried with backoff), ``SandboxSms`` one short message to the entity (sent or skipped),
``SmsOptOut`` a number that asked for none, ``SandboxRun`` one day's monitoring.
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
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.entity import MarketEntity
from models.org import Department, User

LEVELS = ("提示", "预警")
CLUE_STATES = ("生成", "已推送", "已告知", "已整改", "未整改")
DELIVERY_STATUSES = ("pending", "delivered", "failed")
SMS_STATUSES = ("sent", "skipped", "failed")


class SandboxEntity(db.Model):
    """An entity of a department's 信用沙盒主体库."""

    __tablename__ = "sandbox_entity"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    entity_id: Mapped[int] = mapped_column(ForeignKey("market_entity.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str] = mapped_column(String(10), default="检索")  # 检索 / 筛选 / 导入
    added_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    removed_at: Mapped[datetime | None] = mapped_column(DateTime)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    removal_reason: Mapped[str] = mapped_column(Text, default="")

    department: Mapped[Department] = relationship()
    entity: Mapped[MarketEntity] = relationship()
    added_by: Mapped[User | None] = relationship(foreign_keys=[added_by_id])
    removed_by: Mapped[User | None] = relationship(foreign_keys=[removed_by_id])

    __table_args__ = (
        UniqueConstraint("department_id", "entity_id"),
        Index("ix_sandbox_entity_department_active", "department_id", "active", "entity_id"),
    )


class SandboxItem(db.Model):
    """A trigger of the 信用沙盒事项清单."""

    __tablename__ = "sandbox_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    condition: Mapped[str] = mapped_column(String(20))  # services/sandbox/items.CONDITIONS
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    level: Mapped[str] = mapped_column(String(2))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    department: Mapped[Department] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    __table_args__ = (CheckConstraint("level IN ('提示', '预警')", name="level_known"),)


class SandboxClue(db.Model):
    """A 提示线索 or 预警线索: one entity × one item while the condition holds."""

    __tablename__ = "sandbox_clue"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    entity_id: Mapped[int] = mapped_column(ForeignKey("market_entity.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("sandbox_item.id"))
    level: Mapped[str] = mapped_column(String(2))
    state: Mapped[str] = mapped_column(String(10), default="生成")
    formed_on: Mapped[date] = mapped_column(Date)  # the China date of the run that formed it
    formed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    run_id: Mapped[int | None] = mapped_column(Integer)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    close_reason: Mapped[str] = mapped_column(String(100), default="")
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    feedback: Mapped[str] = mapped_column(Text, default="")

    department: Mapped[Department] = relationship()
    entity: Mapped[MarketEntity] = relationship()
    item: Mapped[SandboxItem] = relationship()
    events: Mapped[list[SandboxClueEvent]] = relationship(
        back_populates="clue", cascade="all, delete-orphan", order_by="SandboxClueEvent.id"
    )

    __table_args__ = (
        CheckConstraint("level IN ('提示', '预警')", name="level_known"),
        CheckConstraint("state IN ('生成', '已推送', '已告知', '已整改', '未整改')", name="state_known"),
        Index("uq_sandbox_clue_open", "entity_id", "item_id", unique=True,
              sqlite_where=text("closed_at IS NULL"), postgresql_where=text("closed_at IS NULL")),
        Index("ix_sandbox_clue_department", "department_id", "id"),
        Index("ix_sandbox_clue_item_open", "item_id", "closed_at"),
        Index("ix_sandbox_clue_state", "state", "id"),
    )

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class SandboxClueEvent(db.Model):
    """One line of a clue's history."""

    __tablename__ = "sandbox_clue_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    clue_id: Mapped[int] = mapped_column(ForeignKey("sandbox_clue.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    state: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(100), default="智慧监管平台")

    clue: Mapped[SandboxClue] = relationship(back_populates="events")


class SandboxPartner(db.Model):
    """A 第三方合作机构's webhook; its account is an interface client of the department."""

    __tablename__ = "sandbox_partner"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    webhook_url: Mapped[str] = mapped_column(String(500), default="")
    secret: Mapped[str] = mapped_column(String(64))  # the HMAC key; shown once when set
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    department: Mapped[Department] = relationship()


class SandboxDelivery(db.Model):
    """One signed push of a clue to one partner's webhook."""

    __tablename__ = "sandbox_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    clue_id: Mapped[int] = mapped_column(ForeignKey("sandbox_clue.id", ondelete="CASCADE"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("sandbox_partner.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    clue: Mapped[SandboxClue] = relationship()
    partner: Mapped[SandboxPartner] = relationship()
    department: Mapped[Department] = relationship()

    __table_args__ = (
        UniqueConstraint("clue_id", "partner_id"),
        CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status_known"),
        Index("ix_sandbox_delivery_due", "status", "next_attempt_at"),
        Index("ix_sandbox_delivery_department", "department_id", "status"),
    )


class SandboxSms(db.Model):
    """One short message to a clue's entity: sent, skipped (退订, 频次, 无手机号) or failed."""

    __tablename__ = "sandbox_sms"

    id: Mapped[int] = mapped_column(primary_key=True)
    clue_id: Mapped[int] = mapped_column(ForeignKey("sandbox_clue.id", ondelete="CASCADE"), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("market_entity.id"))
    phone: Mapped[str] = mapped_column(String(20), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(100), default="")
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("status IN ('sent', 'skipped', 'failed')", name="status_known"),
        Index("ix_sandbox_sms_entity_at", "entity_id", "status", "at"),
    )


class SmsOptOut(db.Model):
    """A mobile number that asked for no short messages (退订)."""

    __tablename__ = "sms_opt_out"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SandboxRun(db.Model):
    """One day's monitoring (``flask sandbox monitor`` runs once a China day unless forced)."""

    __tablename__ = "sandbox_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_on: Mapped[date] = mapped_column(Date, unique=True)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    opened: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
