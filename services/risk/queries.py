"""Reading the 风险库: one entity's warnings (the dossier) and the open warnings of some entities
(a task's drawn objects, the pre-visit dossier)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import case, select
from sqlalchemy.orm import Session, selectinload

from models import RiskWarning
from services.risk.common import among, is_postgres

CHUNK = 5000


def entity_warnings(session: Session, entity_id: int, *, include_closed: bool = True) -> list[RiskWarning]:
    """The entity's warnings: open ones first, then the newest first."""
    query = select(RiskWarning).where(RiskWarning.entity_id == entity_id)
    if not include_closed:
        query = query.where(RiskWarning.status == "open")
    query = query.options(selectinload(RiskWarning.rule), selectinload(RiskWarning.department)).order_by(
        case((RiskWarning.status == "open", 0), else_=1), RiskWarning.first_seen_at.desc(), RiskWarning.id.desc())
    return list(session.execute(query).scalars())


def open_warnings_of(session: Session, entity_ids: Iterable[int]) -> dict[int, list[RiskWarning]]:
    """The open warnings of each of ``entity_ids`` (absent: none), oldest first."""
    ids = sorted(set(entity_ids))
    found: dict[int, list[RiskWarning]] = {}
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(RiskWarning).where(among(RiskWarning.entity_id, ids[start:start + CHUNK], is_postgres(session)),
                                      RiskWarning.status == "open")
            .options(selectinload(RiskWarning.rule)).order_by(RiskWarning.first_seen_at, RiskWarning.id)
        ).scalars()
        for warning in rows:
            found.setdefault(warning.entity_id, []).append(warning)
    return found
