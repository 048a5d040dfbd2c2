"""What the 信息归集 pages read: a department's own submissions of a kind, one fact in scope,
its versions, and the form values of a fact (for 更正).

A department sees and corrects only what it submitted itself (``source_department_id``): a
fact of another department, and so of another district, is answered as missing (404).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, or_, select

from models import MarketEntity, User, db
from models.facts import PendingFact, Person
from services.collection.fields import FactKind, Subject


def own_facts(kind: FactKind, actor: User, q: str = "") -> Select[Any]:
    """The live facts of ``kind`` the actor's department submitted, newest first; ``q`` matches
    the fact's identifying field, the entity's name or code, or the person's name."""
    model = kind.model
    query = (
        select(model)
        .outerjoin(MarketEntity, MarketEntity.id == model.entity_id)  # type: ignore[attr-defined]
        .where(model.source_department_id == actor.department_id, model.current.is_(True))  # type: ignore[attr-defined]
        .order_by(model.received_at.desc(), model.id.desc())  # type: ignore[attr-defined]
    )
    q = q.strip()
    if q:
        like = f"%{q}%"
        terms = [getattr(model, kind.title_field).like(like), MarketEntity.name.like(like), MarketEntity.uscc == q.upper()]
        if hasattr(model, "person_id"):
            query = query.outerjoin(Person, Person.id == model.person_id)  # type: ignore[attr-defined]
            terms.append(Person.name.like(like))
        query = query.where(or_(*terms))
    return query


def own_fact(kind: FactKind, actor: User, fact_id: int) -> Any | None:
    """One fact (any version) the actor's department submitted, else None (the page says 404)."""
    fact = db.session.get(kind.model, fact_id)
    if fact is None or fact.source_department_id != actor.department_id:
        return None
    return fact


def versions(kind: FactKind, fact: Any) -> list[Any]:
    """The fact and every version before it, newest first (each row points to the one it replaced)."""
    chain = [fact]
    seen = {fact.id}
    while chain[-1].replaces_id and chain[-1].replaces_id not in seen:
        previous = db.session.get(kind.model, chain[-1].replaces_id)
        if previous is None:
            break
        chain.append(previous)
        seen.add(previous.id)
    newer = fact
    while True:
        following = db.session.execute(
            select(kind.model).where(kind.model.replaces_id == newer.id)  # type: ignore[attr-defined]
        ).scalars().first()
        if following is None or following.id in seen:
            break
        chain.insert(0, following)
        seen.add(following.id)
        newer = following
    return chain


def form_values(kind: FactKind, fact: Any) -> dict[str, Any]:
    """A fact as the form shows it (dates ISO, amounts plain), with its subject's identifiers."""
    values: dict[str, Any] = {}
    for f in kind.fields:
        value = getattr(fact, f.key)
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = format(value.normalize(), "f")
        values[f.key] = "" if value is None else value
    entity = db.session.get(MarketEntity, fact.entity_id) if fact.entity_id else None
    if entity is not None:
        values.update(entity_name=entity.name, uscc=entity.uscc or "", reg_no=entity.reg_no or "")
    person_id = getattr(fact, "person_id", None)
    if person_id and kind.subject in (Subject.ENTITY_AND_PERSON, Subject.ENTITY_OR_PERSON):
        person = db.session.get(Person, person_id)
        if person is not None:
            values.update(person_name=person.name, id_number=person.id_number)
    return values


def counts_by_kind(actor: User, kinds: list[FactKind]) -> dict[str, dict[str, int]]:
    """For the overview: per kind, the department's live facts and its open pending facts."""
    out: dict[str, dict[str, int]] = {}
    for kind in kinds:
        model = kind.model
        live = db.session.execute(
            select(func.count()).select_from(model).where(
                model.source_department_id == actor.department_id, model.current.is_(True))  # type: ignore[attr-defined]
        ).scalar_one()
        out[kind.name] = {"live": live, "pending": 0}
    rows = db.session.execute(
        select(PendingFact.kind, func.count()).where(
            PendingFact.source_department_id == actor.department_id, PendingFact.resolved_at.is_(None)
        ).group_by(PendingFact.kind)
    ).all()
    for name, n in rows:
        if name in out:
            out[name]["pending"] = n
    return out
