"""监测形成提示/预警线索 (表27; docs/sandbox.md, "The monitor").

For every item of every department, one UPDATE closes the open clues whose entity no longer
meets the condition (or left the library, or whose item was switched off), and one
INSERT … SELECT forms a clue for every active library entity that meets it and has none open:
set-based SQL over the whole library, the same on SQLite and PostgreSQL.  The partial unique
index (one open clue per entity × item) makes a re-run, or a run racing another, unable to
form a duplicate.  ``run`` does it once a China day (``SandboxRun``), ``evaluate`` whenever
called.  Nothing here commits.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, insert, literal, select, update
from sqlalchemy.orm import Session

from infrastructure import clock
from models import SandboxClue, SandboxClueEvent, SandboxEntity, SandboxItem, SandboxRun, utcnow
from services.sandbox.conditions import CONDITIONS

CLOSED_NOT_MET = "触发条件不再满足"
CLOSED_DISABLED = "事项已停用"
PLATFORM = "智慧监管平台"


@dataclass
class MonitorResult:
    items: int = 0
    opened: int = 0
    closed: int = 0
    seconds: float = 0.0
    skipped: bool = False
    per_item: dict[int, tuple[int, int]] = field(default_factory=dict)

    def summary(self) -> str:
        if self.skipped:
            return "今日已监测，未重复运行"
        return f"监测{self.items}个事项，新增线索{self.opened}条，关闭{self.closed}条"


def hits(item: SandboxItem, today: date) -> Select[Any]:
    """The entity ids of the item's library that meet its condition today."""
    condition = CONDITIONS[item.condition].build(SandboxEntity.entity_id, dict(item.params or {}), today)
    return select(SandboxEntity.entity_id).where(SandboxEntity.department_id == item.department_id,
                                                 SandboxEntity.active.is_(True), condition)


def _still_met(item: SandboxItem, today: date) -> ColumnElement[bool]:
    """For one open clue (correlated): its entity is still in the library and meets the item."""
    member = exists().where(SandboxEntity.department_id == item.department_id,
                            SandboxEntity.entity_id == SandboxClue.entity_id, SandboxEntity.active.is_(True))
    return and_(member, CONDITIONS[item.condition].build(SandboxClue.entity_id, dict(item.params or {}), today))


def _close(session: Session, item: SandboxItem, today: date | None, now: datetime) -> int:
    """Close the item's open clues no longer met (all of them when ``today`` is None: the item is
    off).  The condition is evaluated for the open clues only, not the whole library; the history
    line first, then the clues, both with the same predicate in the same transaction."""
    which = [SandboxClue.item_id == item.id, SandboxClue.closed_at.is_(None)]
    if today is not None:
        which.append(~_still_met(item, today))
    reason = CLOSED_NOT_MET if today is not None else CLOSED_DISABLED
    session.execute(insert(SandboxClueEvent).from_select(
        ["clue_id", "at", "state", "note", "actor"],
        select(SandboxClue.id, literal(now), SandboxClue.state, literal(f"线索关闭：{reason}"), literal(PLATFORM))
        .where(*which)))
    return session.execute(update(SandboxClue).where(*which).values(closed_at=now, close_reason=reason)
                           .execution_options(synchronize_session=False)).rowcount or 0


def _open(session: Session, item: SandboxItem, found: Select[Any], today: date, now: datetime, run_id: int | None) -> int:
    open_already = exists().where(SandboxClue.item_id == item.id, SandboxClue.entity_id == SandboxEntity.entity_id,
                                  SandboxClue.closed_at.is_(None))
    new = found.where(~open_already).with_only_columns(
        literal(item.department_id), SandboxEntity.entity_id, literal(item.id), literal(item.level), literal("生成"),
        literal(today), literal(now), literal(run_id), literal(""), literal(""))
    # psycopg reports no row count for this INSERT … SELECT: count what RETURNING gives.
    opened = len(session.execute(insert(SandboxClue).from_select(
        ["department_id", "entity_id", "item_id", "level", "state", "formed_on", "formed_at", "run_id",
         "close_reason", "feedback"], new).returning(SandboxClue.id)).all())
    if opened:
        note = f"形成{item.level}线索：{item.name}（{CONDITIONS[item.condition].describe(item.params or {})}）"
        has_event = exists().where(SandboxClueEvent.clue_id == SandboxClue.id)
        session.execute(insert(SandboxClueEvent).from_select(
            ["clue_id", "at", "state", "note", "actor"],
            select(SandboxClue.id, literal(now), literal("生成"), literal(note[:1000]), literal(PLATFORM))
            .where(SandboxClue.item_id == item.id, SandboxClue.formed_at == now, ~has_event)))
    return opened


def evaluate(session: Session, *, today: date | None = None, run_id: int | None = None) -> MonitorResult:
    """Bring every item's clues in line with its condition today."""
    started = time.perf_counter()
    today = today or clock.china_today()
    now = utcnow()
    result = MonitorResult()
    for item in session.execute(select(SandboxItem).order_by(SandboxItem.id)).scalars():
        if not item.enabled or item.condition not in CONDITIONS:
            result.closed += _close(session, item, None, now)
            continue
        found = hits(item, today)
        closed = _close(session, item, today, now)
        opened = _open(session, item, found, today, now, run_id)
        result.items += 1
        result.opened += opened
        result.closed += closed
        result.per_item[item.id] = (opened, closed)
    result.seconds = time.perf_counter() - started
    return result


def run(session: Session, *, force: bool = False, today: date | None = None) -> MonitorResult:
    """The day's monitoring: once a China day (a second call that day changes nothing unless
    ``force``; a forced re-run forms no duplicate either)."""
    today = today or clock.china_today()
    existing = session.execute(select(SandboxRun).where(SandboxRun.run_on == today)).scalar_one_or_none()
    if existing is not None and not force:
        return MonitorResult(skipped=True)
    if existing is None:
        existing = SandboxRun(run_on=today, started_at=utcnow())
        session.add(existing)
        session.flush()  # a concurrent run of the same day waits here, then fails the unique key
    result = evaluate(session, today=today, run_id=existing.id)
    existing.opened += result.opened
    existing.closed += result.closed
    return result
