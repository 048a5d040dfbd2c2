"""超期业务统计 (seed 004 §7.2) and the warnings of the 效能规则 (§7.4).

超期 by department × process: the open work items past any active rule of the area, one
GROUP BY.  Each rule's warnings: how many open items break that rule, one conditional sum per
rule in the same pass, so the rules page shows every rule with its count and a link to the
list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select

from models import User, WorkItem, db
from models.workflow import WorkItemStatus
from services.efficiency import rules
from services.efficiency.access import visible_ids
from services.efficiency.overview import names_of


@dataclass
class Cell:
    department_id: int
    department: str
    process_table: int
    process: str
    count: int
    oldest: Any


def by_department_and_process(user: User) -> list[Cell]:
    """CalendarNotCovered when the holiday table lacks a year a rule reaches into."""
    condition = rules.overdue_condition(rules.cutoffs(user))
    query = (select(WorkItem.department_id, WorkItem.process_table, func.count(), func.min(WorkItem.created_at))
             .where(condition, WorkItem.department_id.in_(visible_ids(user)))
             .group_by(WorkItem.department_id, WorkItem.process_table))
    found = list(db.session.execute(query))
    departments = names_of("department", {r[0] for r in found})
    processes = names_of("process", {r[1] for r in found})
    cells = [Cell(d, departments.get(d, "（未知）"), t, processes.get(t, f"表{t}"), int(n), oldest)
             for d, t, n, oldest in found]
    cells.sort(key=lambda c: (-c.count, c.department, c.process_table))
    return cells


def rule_warnings(user: User) -> dict[int, int]:
    """Open items breaking each active rule of the area (rule id → count)."""
    found = rules.cutoffs(user)
    if not found:
        return {}
    sums = [func.sum(case((c.condition(), 1), else_=0)) for c in found]
    row = db.session.execute(select(*sums).where(WorkItem.status == WorkItemStatus.OPEN,
                                                 WorkItem.department_id.in_(visible_ids(user)))).one()
    return {c.rule.id: int(n or 0) for c, n in zip(found, row, strict=True)}
