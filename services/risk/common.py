"""What the rules' SQL builders share (docs/risk.md).

A builder is a function of a ``Context`` (the China date the run judges by, the rule's
parameters, and the entities an incremental run is limited to) returning one SELECT whose rows
are pieces of evidence: ``entity_id`` (the entity the rule hits), ``kind`` (the fact kind key,
services/collection/kinds.py, or ``inspection_record``, ``case_filing``, ``entity``),
``fact_id``, ``dept_id`` (the department that provided the fact: the warning's responsible
department is that of its first piece of evidence), ``day`` and ``text`` (for the label).
An entity hit by a rule is an entity with at least one row; the builder never loops in Python.

The fragments here are the readings every rule shares: which abnormal listings are open (out of
order facts included), which 惩戒 listings are in force, and the limit to some entities.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    String,
    and_,
    any_,
    bindparam,
    exists,
    literal,
    literal_column,
    null,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement, Select

from models import AbnormalListing, MarketEntity, Sanction

COLUMNS = ("entity_id", "kind", "fact_id", "dept_id", "day", "text")


def among(column: Any, values: Sequence[Any], postgres: bool) -> ColumnElement[bool]:
    """``column IN (values)``; on PostgreSQL ``column = ANY(:array)``, one parameter: psycopg
    parses a statement with thousands of placeholders slowly, and each length is a new one."""
    values = list(values)
    if postgres:
        return column == any_(array_parameter(column, values))
    if values and all(type(v) is int for v in values):
        # ids (integers, checked above) written into the statement: no limit on their number
        # (SQLite's 32,766 parameters), and no per-value rendering by SQLAlchemy
        return column.op("IN")(literal_column("(" + ",".join(map(str, values)) + ")"))
    return column.in_(values)


def array_parameter(column: Any, values: list[Any]) -> Any:
    """One PostgreSQL array of ``values`` for ``column = ANY(…)``.  Integers are written into the
    statement as an array constant ('{1,2,3}'::integer[]): psycopg dumps a list parameter element
    by element in Python (a second for 10,000 ids under load), and a text parameter cast to an
    array is parsed again for every row (seconds); a constant is parsed once and hashed."""
    if values and all(type(v) is int for v in values):
        return literal_column("'{" + ",".join(map(str, values)) + "}'::integer[]")
    return bindparam(None, values, type_=ARRAY(column.type))


def is_postgres(session: Any) -> bool:
    return session.get_bind().dialect.name == "postgresql"


@dataclass(frozen=True)
class Context:
    today: date
    params: dict[str, int]
    entity_ids: Sequence[int] | None = None  # None: the whole registry
    postgres: bool = False

    def limit(self, column: Any) -> ColumnElement[bool]:
        """``column IN (entities)`` for an incremental run, else TRUE."""
        if self.entity_ids is None:
            return true()
        return among(column, self.entity_ids, self.postgres)

    def member(self, column: Any) -> ColumnElement[bool]:
        """``limit`` as a filter only, for a column reached through an index on another one (e.g.
        the entities of an address): SQLite would otherwise probe the index once per id of the
        list for every row it comes from (seconds for a few thousand ids); ``+ 0`` keeps it off
        the index.  PostgreSQL plans the array as a filter by itself."""
        if self.entity_ids is None or self.postgres:
            return self.limit(column)
        return among(column + 0, self.entity_ids, self.postgres)


@dataclass(frozen=True)
class Builder:
    query: Callable[[Context], Select[Any]]
    label: Callable[[str, date | None, str], str]


def evidence(entity_id: Any, kind: str, fact_id: Any, dept_id: Any, day: Any, text: Any) -> list[Any]:
    """The six labelled columns of an evidence row, typed alike on both databases."""
    return [
        type_coerce(entity_id, Integer).label("entity_id"),
        literal(kind, String).label("kind"),
        type_coerce(fact_id, Integer).label("fact_id"),
        type_coerce(dept_id if dept_id is not None else null(), Integer).label("dept_id"),
        type_coerce(day if day is not None else null(), Date).label("day"),
        type_coerce(text if text is not None else literal(""), String).label("text"),
    ]


def dated(prefix: str) -> Callable[[str, date | None, str], str]:
    """A label "prefix：text（day）"."""

    def label(_kind: str, day: date | None, text: str) -> str:
        body = f"{prefix}：{text}" if text else prefix
        return f"{body}（{day.isoformat()}）" if day else body

    return label


def open_listing(listing: Any) -> ColumnElement[bool]:
    """An abnormal listing in force: the live version has no removal date, and no other version
    of the same listing (same entity, same 列入日期) has one.  A 移出 received before its 列入
    (the 列入 then arrives as a new version without the removal) still counts (docs/risk.md)."""
    removal = aliased(AbnormalListing)
    removed_in_a_version = exists(
        select(removal.id).where(removal.entity_id == listing.entity_id, removal.listed_on == listing.listed_on,
                                 removal.removed_on.is_not(None))
    )
    return and_(listing.current.is_(True), listing.removed_on.is_(None), ~removed_in_a_version)


def listed_entities() -> Select[Any]:
    """The entities on the abnormal list today, with one listing each (the latest open one)."""
    listing = aliased(AbnormalListing)
    return select(listing.entity_id, listing.id, listing.source_department_id, listing.listed_on,
                  listing.reason).where(open_listing(listing))


def sanction_in_force(sanction: Any, today: date) -> ColumnElement[bool]:
    """A 惩戒 listing in force on ``today``: live, decided, not removed, not past its validity."""
    return and_(
        sanction.current.is_(True),
        sanction.decided_on <= today,
        or_(sanction.removed_on.is_(None), sanction.removed_on > today),
        or_(sanction.valid_until.is_(None), sanction.valid_until >= today),
    )


def entity_alias() -> Any:
    return aliased(MarketEntity)


def sanction_alias() -> Any:
    return aliased(Sanction)
