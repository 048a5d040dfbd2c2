"""What every collected fact shares (信息归集, docs/collection.md).

A fact is one piece of information another department holds about a market entity or a
natural person: a permit, a penalty, a 失信 listing …  Every fact table carries the same
provenance columns (the ``FactBase`` mixin): who provided it (``source_department_id``), how
(``source_kind``: 在线填报, 批量导入 or 数据交换), when it was received (UTC) and, for a
correction or a re-import by the kind's natural key, the version it replaced
(``replaces_id``).  Only the live version has ``current`` set; older versions stay for the
history, so a correction never rewrites what was received.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, DateTime, Enum, ForeignKey
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from models.base import utcnow

if TYPE_CHECKING:
    from models.entity import MarketEntity
    from models.facts.persons import Person
    from models.org import Department


def fact_enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class FactSource(enum.StrEnum):
    """归集方式 (seed 004 信息归集方式)."""

    ONLINE = "在线填报"
    IMPORT = "批量导入"
    EXCHANGE = "数据交换"

    @property
    def label(self) -> str:
        return self.value


class FactBase:
    """Provenance and versioning columns of every fact table.

    ``entity_id`` is nullable on every table so the kinds whose subject may be a natural
    person (惩戒) share the mixin; the kinds that always concern an entity say so with a check
    constraint of their own.  Every table indexes (entity_id, current) itself: the dossier
    reads the live facts of one entity.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int | None] = mapped_column(ForeignKey("market_entity.id"))
    source_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    source_kind: Mapped[FactSource] = mapped_column(fact_enum(FactSource))
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"), index=True)

    @declared_attr
    def replaces_id(cls) -> Mapped[int | None]:  # noqa: N805 - declared_attr receives the class
        return mapped_column(ForeignKey(f"{cls.__tablename__}.id"), index=True)  # type: ignore[attr-defined]

    @declared_attr
    def entity(cls) -> Mapped[MarketEntity | None]:  # noqa: N805
        return relationship("MarketEntity")

    @declared_attr
    def source_department(cls) -> Mapped[Department]:  # noqa: N805
        return relationship("Department")

    @property
    def source_label(self) -> str:
        return FactSource(self.source_kind).value


class PersonFactMixin:
    """``person_id`` for the kinds that can concern a natural person."""

    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)

    @declared_attr
    def person(cls) -> Mapped[Person | None]:  # noqa: N805
        return relationship("Person")
