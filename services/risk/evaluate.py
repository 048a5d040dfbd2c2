"""Evaluating the rules into the 风险库 (表25 判断是否符合规则 → 纳入风险库; docs/risk.md).

``evaluate`` runs the enabled automatic rules, each one SELECT over the registry (rules_*.py),
either over every entity (a full run: ``flask risk run``, the nightly job) or over some
entities (an incremental run: the entities an import of facts touched, affected.py), and
brings the 风险库 in line with the hits:

* an entity hit with no open warning of the rule → a new warning (first and last seen now);
* an open warning still hit → ``last_seen_at`` now, its evidence replaced when it changed;
* an open warning no longer hit (or of a rule now disabled) → closed, kept with the reason.

A closed warning is never reopened: a later hit opens a new one, so the history shows each
period.  Of two runs of one rule at once, the second waits for the first (the rule's row is
locked on PostgreSQL; SQLite has one writer).  Nothing is committed here.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from infrastructure import clock
from infrastructure.errors import Invalid
from models import RiskRule, RiskWarning
from persistence.bulk import insert_rows, update_rows
from services.risk.builders import BUILDERS
from services.risk.catalogue import AUTOMATIC_CODES, definition
from services.risk.common import Context, among, is_postgres

CHUNK = 5000  # warnings per UPDATE
MAX_EVIDENCE = 20
CLOSED_NOT_MET = "预警条件不再满足"
CLOSED_DISABLED = "预警规则已停用"


@dataclass
class Hit:
    department_id: int | None = None
    evidence: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RuleRun:
    code: str
    name: str
    hits: int = 0
    opened: int = 0
    refreshed: int = 0
    closed: int = 0
    seconds: float = 0.0


@dataclass
class RunResult:
    rules: list[RuleRun] = field(default_factory=list)
    incremental: bool = False
    entities: int | None = None  # how many entities an incremental run was limited to
    seconds: float = 0.0

    def _total(self, name: str) -> int:
        return sum(getattr(r, name) for r in self.rules)

    @property
    def opened(self) -> int:
        return self._total("opened")

    @property
    def closed(self) -> int:
        return self._total("closed")

    @property
    def refreshed(self) -> int:
        return self._total("refreshed")

    @property
    def hits(self) -> int:
        return self._total("hits")

    def summary(self) -> str:
        return f"命中 {self.hits} 户次：新增预警 {self.opened} 条，仍在预警 {self.refreshed} 条，关闭 {self.closed} 条"


def collect(session: Session, code: str, params: dict[str, int], today: date,
            entity_ids: Sequence[int] | None = None) -> dict[int, Hit]:
    """The entities ``code`` hits with these parameters on ``today``, with their evidence."""
    builder = BUILDERS[code]
    rows = session.execute(builder.query(Context(today, params, entity_ids, is_postgres(session))))
    found: dict[int, list[tuple[Any, ...]]] = {}
    for entity_id, kind, fact_id, dept_id, day, text in rows:
        found.setdefault(entity_id, []).append((kind, fact_id, dept_id, day, text))
    hits: dict[int, Hit] = {}
    for entity_id, pieces in found.items():
        pieces.sort(key=lambda p: (p[0], p[1]))
        unique = list({(p[0], p[1]): p for p in pieces}.values())[:MAX_EVIDENCE]
        hits[entity_id] = Hit(
            department_id=next((p[2] for p in unique if p[2] is not None), None),
            evidence=[{"kind": k, "id": i, "label": builder.label(k, _day(d), t or "")} for k, i, _dp, d, t in unique],
        )
    return hits


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _chunks(ids: Sequence[int], size: int = CHUNK) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start:start + size])


def _open_warnings(session: Session, rule: RiskRule, scope: list[int] | None) -> dict[int, tuple[int, Any]]:
    query = select(RiskWarning.entity_id, RiskWarning.id, RiskWarning.evidence).where(
        RiskWarning.rule_id == rule.id, RiskWarning.status == "open")
    if scope is not None:
        query = query.where(among(RiskWarning.entity_id, scope, is_postgres(session)))
    return {entity_id: (wid, evidence) for entity_id, wid, evidence in session.execute(query)}


def close_warnings(session: Session, ids: list[int], now: datetime, reason: str, by_id: int | None = None) -> int:
    """Close the open warnings ``ids`` (history kept); returns how many were closed."""
    closed = 0
    for part in _chunks(ids):
        done = session.execute(
            update(RiskWarning).where(among(RiskWarning.id, part, is_postgres(session)), RiskWarning.status == "open")
            .values(status="closed", closed_at=now, reason=reason, closed_by_id=by_id)
            .execution_options(synchronize_session=False)
        )
        closed += done.rowcount  # type: ignore[attr-defined]
    return closed


def apply_hits(session: Session, rule: RiskRule, hits: dict[int, Hit], scope: list[int] | None,
               now: datetime, run: RuleRun, closing: str = CLOSED_NOT_MET) -> None:
    """Open, refresh and close the rule's warnings (within ``scope``) to match ``hits``."""
    session.execute(select(RiskRule.id).where(RiskRule.id == rule.id).with_for_update())
    existing = _open_warnings(session, rule, scope)
    gone = [wid for entity_id, (wid, _ev) in existing.items() if entity_id not in hits]
    run.closed += close_warnings(session, gone, now, closing)
    changed = [(hits[entity_id].evidence, wid)
               for entity_id, (wid, ev) in existing.items() if entity_id in hits and ev != hits[entity_id].evidence]
    update_rows(RiskWarning.__table__, "id", ["evidence"], changed)
    still = [entity_id for entity_id in existing if entity_id in hits]
    if scope is None:  # after the closing, every open warning of the rule is still hit
        session.execute(update(RiskWarning).where(RiskWarning.rule_id == rule.id, RiskWarning.status == "open")
                        .values(last_seen_at=now).execution_options(synchronize_session=False))
    for part in _chunks(still) if scope is not None else ():
        session.execute(
            update(RiskWarning).where(RiskWarning.rule_id == rule.id, RiskWarning.status == "open",
                                      among(RiskWarning.entity_id, part, is_postgres(session)))
            .values(last_seen_at=now).execution_options(synchronize_session=False))
    run.refreshed += len(still)
    columns = ["entity_id", "rule_id", "department_id", "status", "first_seen_at", "last_seen_at", "evidence", "reason"]
    new = [[entity_id, rule.id, hit.department_id, "open", now, now, hit.evidence, ""]  # JSON: persistence.bulk encodes it
           for entity_id, hit in hits.items() if entity_id not in existing]
    insert_rows(RiskWarning.__table__, columns, new)  # COPY on PostgreSQL
    run.opened += len(new)
    run.hits += len(hits)


def params_of(rule: RiskRule) -> dict[str, int]:
    """The rule's stored parameters over the catalogue's defaults."""
    return {**definition(rule.code).defaults, **(rule.params or {})}


def _rules(session: Session, codes: Iterable[str] | None) -> list[RiskRule]:
    wanted = set(codes) if codes is not None else set(AUTOMATIC_CODES)
    unknown = wanted - set(AUTOMATIC_CODES)
    if unknown:
        raise Invalid(f"没有可自动运行的预警规则“{sorted(unknown)[0]}”")
    rules = session.execute(select(RiskRule).where(RiskRule.code.in_(wanted)).order_by(RiskRule.id)).scalars()
    return list(rules)


def evaluate(session: Session, *, codes: Iterable[str] | None = None, entity_ids: Iterable[int] | None = None,
             now: datetime | None = None) -> RunResult:
    """Run the automatic rules (``codes``, default all) over the registry, or over ``entity_ids``
    only (an incremental run), and update the 风险库; see the module's docstring."""
    started = time.perf_counter()
    now = now or clock.utcnow()
    today = clock.china_date(now)
    assert today is not None
    scope = sorted(set(entity_ids)) if entity_ids is not None else None
    result = RunResult(incremental=scope is not None, entities=len(scope) if scope is not None else None)
    if scope == []:
        return result
    for rule in _rules(session, codes):
        run = RuleRun(rule.code, rule.name)
        t0 = time.perf_counter()
        # one statement per rule whatever the scope's size (common.among: no parameter limit), so
        # that what a rule computes for the whole registry (an address's listings, the bad agents)
        # is computed once
        hits = collect(session, rule.code, params_of(rule), today, scope) if rule.enabled else {}
        apply_hits(session, rule, hits, scope, now, run, CLOSED_NOT_MET if rule.enabled else CLOSED_DISABLED)
        run.seconds = time.perf_counter() - t0
        result.rules.append(run)
    session.flush()
    result.seconds = time.perf_counter() - started
    return result
