"""企业送达信息共享 (DB5101 ch. 14, 表34): what the 市法院 does through /api/v1.

``CourtLookup`` is one call of the court for an entity's basic information (获取市场主体基本信息);
``CourtCase`` a case of the court about one entity (案号, 法院, 案件类型, 当事人: the current
reading, kept per court account, case number and entity); ``CourtDelivery`` one feedback of the
court about that case (反馈案件信息及送达信息): 送达 or 未送达, the date, the address tried, the case
as the court described it in that call.  Deliveries are never changed: they are the case's
history.  Each row keeps the client (the court's account and credential) and the time received
(UTC); the 表34 instance of the call is linked from the lookup and the delivery.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.api import ApiCredential
from models.base import db, utcnow
from models.entity import MarketEntity
from models.org import User

SERVED, UNSERVED = "served", "unserved"
RESULT_LABELS = {SERVED: "送达", UNSERVED: "未送达"}


class CourtLookup(db.Model):
    """One 获取市场主体基本信息 call of the court."""

    __tablename__ = "court_lookup"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("market_entity.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    credential_id: Mapped[int | None] = mapped_column(ForeignKey("api_credential.id"))
    code: Mapped[str] = mapped_column(String(30))  # the code asked for
    fields: Mapped[str] = mapped_column(String(200), default="")  # the field groups returned
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    entity: Mapped[MarketEntity] = relationship()
    client: Mapped[User] = relationship()
    credential: Mapped[ApiCredential | None] = relationship()

    __table_args__ = (Index("ix_court_lookup_received", "received_at"),)


class CourtCase(db.Model):
    """A case of one court account about one entity, as last described by the court."""

    __tablename__ = "court_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("market_entity.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    case_no: Mapped[str] = mapped_column(String(60))  # 案号
    court_name: Mapped[str] = mapped_column(String(100))  # 法院
    case_kind: Mapped[str] = mapped_column(String(30))  # 案件类型
    parties: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{"name", "role"}]
    status: Mapped[str] = mapped_column(String(10))  # the latest delivery's result, by its date
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)  # first feedback
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)  # latest feedback

    entity: Mapped[MarketEntity] = relationship()
    client: Mapped[User] = relationship()
    deliveries: Mapped[list[CourtDelivery]] = relationship(
        back_populates="case", order_by="(CourtDelivery.served_on, CourtDelivery.id)")

    __table_args__ = (
        UniqueConstraint("client_id", "case_no", "entity_id"),
        CheckConstraint("status IN ('served', 'unserved')", name="status_known"),
    )

    @property
    def status_label(self) -> str:
        return RESULT_LABELS[self.status]

    @property
    def parties_text(self) -> str:
        return "；".join(f"{p.get('role', '')}：{p.get('name', '')}" if p.get("role") else str(p.get("name", ""))
                        for p in self.parties or [])


class CourtDelivery(db.Model):
    """One 反馈案件信息及送达信息 of the court: the result of one attempt to serve the case."""

    __tablename__ = "court_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("court_case.id"), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("market_entity.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    credential_id: Mapped[int | None] = mapped_column(ForeignKey("api_credential.id"))
    result: Mapped[str] = mapped_column(String(10))
    served_on: Mapped[date] = mapped_column(Date)  # 送达日期 (the attempt's date)
    address: Mapped[str] = mapped_column(String(300))  # 送达地址
    note: Mapped[str] = mapped_column(Text, default="")
    case_snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the case as sent with it
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    case: Mapped[CourtCase] = relationship(back_populates="deliveries")
    client: Mapped[User] = relationship()

    __table_args__ = (
        CheckConstraint("result IN ('served', 'unserved')", name="result_known"),
        Index("ix_court_delivery_received", "received_at"),
        Index("ix_court_delivery_case_result", "case_id", "result", "served_on"),
    )

    @property
    def result_label(self) -> str:
        return RESULT_LABELS[self.result]
