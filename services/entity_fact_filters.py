"""Filters of the entity list on collected facts (信息归集, docs/dossier.md): has a valid permit of a
kind, is on the 经营异常名录, was penalised since a date, is on a 失信 list (itself or its legal
representative).

Each is an ``EXISTS`` subquery correlated on the entity's id, served by the fact tables'
(entity_id, current) indexes (migration 0023): the planner checks the facts of each candidate
entity, so the filter costs what the other filters leave, not a scan of the fact table.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, exists, or_, select

from infrastructure import clock
from models import AbnormalListing, MarketEntity, Officer, Penalty, Permit, Sanction, db

LEGAL_REP = "法定代表人"
VALID = "有效"
MAX_KIND_CHOICES = 200


def valid_permit(kind: str, today: date) -> Any:
    """A current permit of ``kind`` with status 有效 whose validity covers ``today``."""
    return exists().where(
        Permit.entity_id == MarketEntity.id, Permit.current.is_(True), Permit.kind == kind, Permit.status == VALID,
        or_(Permit.valid_from.is_(None), Permit.valid_from <= today),
        or_(Permit.valid_to.is_(None), Permit.valid_to >= today),
    )


def on_abnormal_list() -> Any:
    """Listed and not removed (current version)."""
    return exists().where(AbnormalListing.entity_id == MarketEntity.id, AbnormalListing.current.is_(True),
                          AbnormalListing.removed_on.is_(None))


def penalised_since(day: date) -> Any:
    return exists().where(Penalty.entity_id == MarketEntity.id, Penalty.current.is_(True), Penalty.decided_on >= day)


def _in_force(today: date) -> Any:
    return and_(Sanction.current.is_(True), Sanction.removed_on.is_(None),
                or_(Sanction.valid_until.is_(None), Sanction.valid_until >= today))


def on_credit_blacklist(today: date) -> Any:
    """The entity, or its serving 法定代表人 (an Officer fact), is on a 失信 list in force."""
    own = exists().where(Sanction.entity_id == MarketEntity.id, _in_force(today))
    rep = exists().where(
        Officer.entity_id == MarketEntity.id, Officer.current.is_(True), Officer.role == LEGAL_REP,
        or_(Officer.to_date.is_(None), Officer.to_date >= today),
        exists().where(Sanction.person_id == Officer.person_id, _in_force(today)),
    )
    return or_(own, rep)


def conditions(permit_kind: str, abnormal: bool, since: date | None, blacklisted: bool) -> list[Any]:
    today = clock.china_today()
    found = []
    if permit_kind:
        found.append(valid_permit(permit_kind, today))
    if abnormal:
        found.append(on_abnormal_list())
    if since is not None:
        found.append(penalised_since(since))
    if blacklisted:
        found.append(on_credit_blacklist(today))
    return found


def permit_kinds() -> list[str]:
    """The permit kinds on file, for the filter's suggestions."""
    return list(db.session.execute(
        select(Permit.kind).where(Permit.current.is_(True), Permit.kind != "").distinct()
        .order_by(Permit.kind).limit(MAX_KIND_CHOICES)
    ).scalars())
