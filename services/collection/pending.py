"""The pending pool (待处理信息): re-matching waiting facts when the registry changes.

A fact that found no subject (未匹配) is tried again when an entity is created, changed or
imported (services/entities.py and the registry import call ``rematch_entities``) and by
``flask collection rematch``.  A fact that now finds its subject is filed exactly as if it had
just arrived (services/collection/ingest.py) but keeps its original received time, and the
pending row is closed with a pointer to the fact; one that would now be 重复 or 冲突 stays
open with the new reason.  Nothing is committed here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select

from models import Department, ImportBatch, User, db, utcnow
from models.facts import PendingFact, PendingReason
from services.collection.ingest import (
    PENDING,
    SAME,
    Filing,
    LiveFacts,
    Source,
    decide,
    match_subject,
    write_fact,
)
from services.collection.kinds import FACT_KINDS
from services.collection.match import Matcher
from services.notice.feedback import after_permits
from services.risk.affected import after_facts

CHUNK = 500


@dataclass
class RematchResult:
    tried: int = 0
    filed: int = 0
    still_pending: int = 0


def open_unmatched(codes: Iterable[str] = (), names: Iterable[str] = (), *, everything: bool = False) -> list[PendingFact]:
    """The open 未匹配 facts naming one of ``codes`` or ``names`` (all of them with ``everything``).

    A few identifiers (an entity saved on its form) are looked up by the indexed columns; for a
    registry import the pool, usually far smaller, is read once and compared here rather than
    sending a million codes to the database."""
    waiting = PendingFact.resolved_at.is_(None), PendingFact.reason == PendingReason.UNMATCHED.value
    if everything:
        return list(db.session.execute(select(PendingFact).where(*waiting).order_by(PendingFact.id)).scalars())
    code_set, name_set = {c for c in codes if c}, {n for n in names if n}
    if len(code_set) + len(name_set) <= CHUNK:  # a form's entity: two indexed lookups
        named = or_(PendingFact.subject_code.in_(sorted(code_set)), PendingFact.subject_name.in_(sorted(name_set)))
        ids = list(db.session.execute(select(PendingFact.id).where(*waiting, named)).scalars())
    else:  # a registry import: one pass over the pool
        ids = [
            row.id
            for row in db.session.execute(
                select(PendingFact.id, PendingFact.subject_code, PendingFact.subject_name).where(*waiting)
            )
            if row.subject_code in code_set or row.subject_name in name_set
        ]
    found: list[PendingFact] = []
    for start in range(0, len(ids), CHUNK):
        part = ids[start:start + CHUNK]
        found.extend(db.session.execute(select(PendingFact).where(PendingFact.id.in_(part))).scalars())
    return sorted(found, key=lambda p: p.id)


def rematch(pending_rows: Iterable[PendingFact]) -> RematchResult:
    """Try each waiting fact again (as its provider, with its original received time)."""
    result = RematchResult()
    matchers: dict[int, Matcher] = {}
    filed: dict[str, list[Any]] = {}
    for pending in pending_rows:
        kind = FACT_KINDS.get(pending.kind)
        if kind is None or pending.resolved_at is not None:
            continue
        result.tried += 1
        checked = kind.check(pending.payload)
        if not checked.valid:
            result.still_pending += 1
            continue
        department = db.session.get(Department, pending.source_department_id)
        assert department is not None  # departments are never deleted
        matcher = matchers.setdefault(department.id, Matcher(department))
        values = dict(checked.values)
        match = match_subject(kind, values, matcher)
        if not match.ok:
            pending.reason, pending.detail = match.reason, match.detail
            result.still_pending += 1
            continue
        live = LiveFacts(kind)
        live.load([Filing(PENDING, values)])
        filing = decide(kind, values, live, department)
        if filing.status == PENDING:
            pending.reason, pending.detail = filing.reason, filing.detail
            result.still_pending += 1
            continue
        if filing.status != SAME:
            matcher.create_persons([values])
        fact = filing.previous if filing.status == SAME else write_fact(kind, filing, _source(pending, department), live)
        pending.resolved_at = utcnow()
        pending.resolved_fact_table, pending.resolved_fact_id = kind.table, fact.id
        result.filed += 1
        if filing.status != SAME:
            filed.setdefault(kind.name, []).append(fact)
    db.session.flush()
    for kind_name, facts in filed.items():
        after_facts(db.session, kind_name, facts)  # the risk rules over the entities touched
        if kind_name == "permit":  # 双告知's 发证反馈 (services/notice/feedback.py)
            after_permits(f.entity_id for f in facts)
    return result


def _source(pending: PendingFact, department: Department) -> Source:
    actor = db.session.get(User, pending.created_by_id) if pending.created_by_id else None
    batch = db.session.get(ImportBatch, pending.batch_id) if pending.batch_id else None
    return Source(pending.source_kind, department, actor, batch, pending.received_at)


def rematch_entities(codes: Iterable[str], names: Iterable[str]) -> RematchResult:
    """Re-match the waiting facts that name these 统一社会信用代码/注册号 or names (new or changed entities)."""
    rows = open_unmatched(codes, names)
    return rematch(rows) if rows else RematchResult()


def rematch_all() -> RematchResult:
    return rematch(open_unmatched(everything=True))
