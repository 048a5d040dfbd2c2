"""监测并生成触发式对象库: the set-based build and the library's pages (docs/trigger.md).

``build`` judges every rule in force (active, today's China date inside its validity window,
its source kind known) and, in a handful of INSERT … SELECT and UPDATE statements on either
database, never a loop over entities:

1. replaces the hits (``trigger_hit``) of the departments built: one INSERT … SELECT per rule,
   the rule's source query limited to the entities of the rule's area, with the rule's weight;
2. an entity hit by at least one rule of a department has one open entry in that department's
   library, its combined weight **1 + Σ the weights of the rules that hit it** (an entity hit by
   no rule would weigh 1, as everybody does in an ordinary draw; a hit of weight 2 makes it
   three times as likely to be ranked first), its rule count, first seen (when the entry
   opened) and last seen (the last build that found it);
3. entries whose weight or rule count changed get a ``change`` event, new ones an ``open``
   event, and entries no longer hit are closed (``close`` event; the row stays).

Re-running with the same data changes nothing but ``last_seen_at``.  Services never commit.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, exists, func, insert, literal, or_, select, true, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from infrastructure import clock
from models import Department, MarketEntity, utcnow
from models.trigger import TriggerHit, TriggerObject, TriggerObjectEvent, TriggerRule
from persistence.org import region_root
from persistence.scope import subtree_ids
from services.trigger import sources


@dataclass
class BuildResult:
    rules: int
    hits: int
    opened: int
    changed: int
    closed: int
    open_total: int
    seconds: float

    def summary(self) -> str:
        return (f"规则{self.rules}条，命中{self.hits}次；新增{self.opened}户，权重变化{self.changed}户，"
                f"移出{self.closed}户；在库{self.open_total}户")


def rules_in_force(session: Session, today: date, department_ids: Iterable[int] | None = None) -> list[TriggerRule]:
    query = select(TriggerRule).where(
        TriggerRule.active.is_(True), TriggerRule.valid_from <= today,
        or_(TriggerRule.valid_until.is_(None), TriggerRule.valid_until >= today),
        TriggerRule.source.in_(list(sources.SOURCES)),
    )
    if department_ids is not None:
        query = query.where(TriggerRule.department_id.in_(list(department_ids)))
    return list(session.execute(query.order_by(TriggerRule.id)).scalars())


def _area_entities(session: Session, department_id: int) -> Select[Any]:
    department = session.get(Department, department_id)
    assert department is not None
    return select(MarketEntity.id).where(MarketEntity.department_id.in_(subtree_ids(region_root(department))))


def _mine(column: Any, department_ids: list[int] | None) -> Any:
    return column.in_(department_ids) if department_ids is not None else true()


def _hits(session: Session, rules: list[TriggerRule], today: date, department_ids: list[int] | None) -> int:
    conn = session.connection().execution_options(preserve_rowcount=True)  # Core: counts, no ORM
    conn.execute(delete(TriggerHit).where(_mine(TriggerHit.department_id, department_ids)))
    total = 0
    areas: dict[int, Select[Any]] = {}
    for rule in rules:
        area = areas.get(rule.department_id)
        if area is None:
            area = areas[rule.department_id] = _area_entities(session, rule.department_id)
        found = sources.SOURCES[rule.source].query(sources.Context(rule.params or {}, today, area)).subquery()
        rows = select(literal(rule.department_id), found.c.entity_id, literal(rule.id), literal(rule.weight))
        total += conn.execute(
            insert(TriggerHit).from_select(["department_id", "entity_id", "rule_id", "weight"], rows)
        ).rowcount or 0
    return total


def _same_entry(hit: Any = TriggerHit) -> Any:
    return and_(hit.department_id == TriggerObject.department_id, hit.entity_id == TriggerObject.entity_id)


def _reconcile(session: Session, now: datetime, department_ids: list[int] | None) -> tuple[int, int, int]:
    """Steps 2 and 3 of the build: (opened, changed, closed)."""
    conn = session.connection().execution_options(preserve_rowcount=True)  # psycopg: INSERT … SELECT counts
    is_open = and_(TriggerObject.status == "open", _mine(TriggerObject.department_id, department_ids))
    weight = select(1 + func.sum(TriggerHit.weight)).where(_same_entry()).scalar_subquery()
    count = select(func.count()).where(_same_entry()).scalar_subquery()
    hit = exists().where(_same_entry())
    event_cols = ["object_id", "event", "weight", "rule_count", "at"]
    changed = conn.execute(insert(TriggerObjectEvent).from_select(event_cols, select(
        TriggerObject.id, literal("change"), weight, count, literal(now)
    ).where(is_open, hit, or_(TriggerObject.weight != weight, TriggerObject.rule_count != count)))).rowcount or 0
    conn.execute(update(TriggerObject).where(is_open, hit)
                    .values(weight=weight, rule_count=count, last_seen_at=now))
    closed = conn.execute(insert(TriggerObjectEvent).from_select(event_cols, select(
        TriggerObject.id, literal("close"), TriggerObject.weight, TriggerObject.rule_count, literal(now)
    ).where(is_open, ~hit))).rowcount or 0
    conn.execute(update(TriggerObject).where(is_open, ~hit).values(status="closed", closed_at=now)
                    )
    agg = (select(TriggerHit.department_id, TriggerHit.entity_id, (1 + func.sum(TriggerHit.weight)).label("w"),
                  func.count().label("n"))
           .where(_mine(TriggerHit.department_id, department_ids))
           .group_by(TriggerHit.department_id, TriggerHit.entity_id).subquery())
    fresh = select(agg.c.department_id, agg.c.entity_id, literal("open"), agg.c.w, agg.c.n, literal(now),
                   literal(now)).where(~exists().where(
                       TriggerObject.status == "open", TriggerObject.department_id == agg.c.department_id,
                       TriggerObject.entity_id == agg.c.entity_id))
    opened = conn.execute(insert(TriggerObject).from_select(
        ["department_id", "entity_id", "status", "weight", "rule_count", "first_seen_at", "last_seen_at"], fresh
    )).rowcount or 0
    conn.execute(insert(TriggerObjectEvent).from_select(event_cols, select(
        TriggerObject.id, literal("open"), TriggerObject.weight, TriggerObject.rule_count, literal(now)
    ).where(is_open, TriggerObject.first_seen_at == now,
            ~exists().where(TriggerObjectEvent.object_id == TriggerObject.id))))
    return opened, changed, closed


def build(session: Session, *, department_ids: Iterable[int] | None = None, today: date | None = None) -> BuildResult:
    """监测并生成触发式对象库 for the given departments (None: every department)."""
    started = time.perf_counter()
    today = today or clock.china_today()
    ids = None if department_ids is None else sorted(set(department_ids))
    now = utcnow()
    session.flush()
    rules = rules_in_force(session, today, ids)
    hits = _hits(session, rules, today, ids)
    opened, changed, closed = _reconcile(session, now, ids)
    open_total = session.execute(
        select(func.count()).select_from(TriggerObject)
        .where(TriggerObject.status == "open", _mine(TriggerObject.department_id, ids))
    ).scalar_one()
    for obj in [o for o in session.identity_map.values() if isinstance(o, TriggerObject | TriggerHit)]:
        session.expire(obj)
    return BuildResult(len(rules), hits, opened, changed, closed, open_total, time.perf_counter() - started)
