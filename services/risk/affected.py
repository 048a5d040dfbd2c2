"""Which entities an import of facts touches, for the incremental run after it.

Besides the entities the facts are about: the persons' offices (a 失信 listing of a person
touches the entities the person serves), and for the address rules the neighbours — an
abnormal listing touches the other entities of its entity's address and those registered
through it as a 托管机构; a cluster-address row touches the entities of its address.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ClusterAddress, MarketEntity, Officer
from services.risk.catalogue import rules_reading
from services.risk.common import among, is_postgres
from services.risk.evaluate import RunResult, evaluate

CHUNK = 5000
NEIGHBOUR_KINDS = ("abnormal", "cluster_address")


def _chunks(values: Sequence[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), CHUNK):
        yield list(values[start:start + CHUNK])


def _served_by(session: Session, person_ids: set[int]) -> set[int]:
    found: set[int] = set()
    pg = is_postgres(session)
    for part in _chunks(sorted(person_ids)):
        found.update(session.execute(select(Officer.entity_id).where(
            among(Officer.person_id, part, pg), Officer.current.is_(True))).scalars())
    return found


def _neighbours(session: Session, entity_ids: set[int], addresses: set[str]) -> set[int]:
    """The entities sharing an address with ``entity_ids`` or at ``addresses``, and the tenants of
    ``entity_ids`` acting as 托管机构."""
    found: set[int] = set()
    codes: set[str] = set()
    pg = is_postgres(session)
    for part in _chunks(sorted(entity_ids)):
        rows = session.execute(select(MarketEntity.domicile, MarketEntity.uscc).where(among(MarketEntity.id, part, pg)))
        for domicile, uscc in rows:
            if domicile:
                addresses.add(domicile)
            if uscc:
                codes.add(uscc)
    for part in _chunks(sorted(codes)):
        for entity_id, address in session.execute(select(ClusterAddress.entity_id, ClusterAddress.address).where(
                among(ClusterAddress.agent_code, part, pg), ClusterAddress.current.is_(True))):
            if entity_id is None:
                addresses.add(address)
            else:
                found.add(entity_id)
    for part in _chunks(sorted(addresses)):
        found.update(session.execute(select(MarketEntity.id).where(among(MarketEntity.domicile, part, pg))).scalars())
    return found


def touched_entities(session: Session, kind: str, facts: Iterable[Any]) -> set[int]:
    """The entities whose warnings the facts of ``kind`` may change."""
    facts = list(facts)
    ids = {f.entity_id for f in facts if getattr(f, "entity_id", None)}
    persons = {f.person_id for f in facts if getattr(f, "person_id", None)}
    if persons:
        ids |= _served_by(session, persons)
    if kind in NEIGHBOUR_KINDS:
        addresses = {f.address for f in facts if kind == "cluster_address" and f.address}
        ids |= _neighbours(session, set(ids), addresses)
    return ids


def after_facts(session: Session, kind: str, facts: Iterable[Any]) -> RunResult:
    """The incremental run after facts of ``kind`` were filed (services/collection/ingest.py): the
    rules that read ``kind`` over the entities the facts touch."""
    codes = rules_reading(kind)
    if not codes:
        return RunResult(incremental=True, entities=0)
    return evaluate(session, codes=codes, entity_ids=touched_entities(session, kind, facts))
