"""归集监控 (seed 004 §4.2): per providing department and kind, when facts last came in, how
many are filed (live and replaced versions) and how many wait with a problem.

The timestamps are the ``received_at`` of the facts and of the pending rows, kept as received
(a re-matched fact keeps the time it first came in), so the 考核 of seed 004 (信息归集的及时性)
can score departments from them.  A user sees the departments of their area (the 区, or the
whole city for a city department).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select

from models import Department, User, db
from models.facts import PendingFact
from services.collection.kinds import FACT_KINDS
from services.org import region_root
from services.scope import subtree_ids


@dataclass
class MonitorRow:
    department: Department
    kind_label: str
    kind: str
    last_received: datetime | None = None
    live: int = 0
    replaced: int = 0
    waiting: dict[str, int] = field(default_factory=dict)
    resolved: int = 0

    @property
    def problems(self) -> int:
        return sum(self.waiting.values())


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    return max((t for t in (a, b) if t is not None), default=None)


def monitor(actor: User) -> list[MonitorRow]:
    """One row per (providing department, kind) that has sent anything, by department then kind."""
    area = subtree_ids(region_root(actor.department))
    rows: dict[tuple[int, str], MonitorRow] = {}
    departments: dict[int, Department] = {}

    def row(department_id: int, kind: str) -> MonitorRow:
        if department_id not in departments:
            departments[department_id] = db.session.get(Department, department_id)  # type: ignore[assignment]
        key = (department_id, kind)
        if key not in rows:
            rows[key] = MonitorRow(departments[department_id], FACT_KINDS[kind].label, kind)
        return rows[key]

    for name, kind in FACT_KINDS.items():
        model = kind.model
        found = db.session.execute(
            select(model.source_department_id, func.max(model.received_at),  # type: ignore[attr-defined]
                   func.sum(case((model.current.is_(True), 1), else_=0)), func.count())  # type: ignore[attr-defined]
            .where(model.source_department_id.in_(area))  # type: ignore[attr-defined]
            .group_by(model.source_department_id)  # type: ignore[attr-defined]
        ).all()
        for department_id, last, live, total in found:
            r = row(department_id, name)
            r.last_received, r.live, r.replaced = last, int(live or 0), int(total) - int(live or 0)
    pending = db.session.execute(
        select(PendingFact.source_department_id, PendingFact.kind, PendingFact.reason,
               PendingFact.resolved_at.is_(None), func.count(), func.max(PendingFact.received_at))
        .where(PendingFact.source_department_id.in_(area))
        .group_by(PendingFact.source_department_id, PendingFact.kind, PendingFact.reason,
                  PendingFact.resolved_at.is_(None))
    ).all()
    for department_id, kind, reason, is_open, n, last in pending:
        if kind not in FACT_KINDS:
            continue
        r = row(department_id, kind)
        r.last_received = _later(r.last_received, last)
        if is_open:
            r.waiting[reason] = r.waiting.get(reason, 0) + n
        else:
            r.resolved += n
    order = list(FACT_KINDS)
    return sorted(rows.values(), key=lambda r: (r.department.path, order.index(r.kind)))
