"""Work items of known age for the 效能管理 tests: 表7 (单部门事项新增) instances started by a
clerk, their first work item backdated, optionally completed at a given time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models import EfficiencyRule, WorkItem, db
from models.workflow import WorkItemStatus
from workflows import engine

# Tuesday 8 December 2026, 10:00 in China (02:00 UTC): the tests' "now".
NOW = datetime(2026, 12, 8, 2, 0)


def work(user: Any, title: str, created: datetime, done: datetime | None = None) -> WorkItem:
    """An instance of 表7 whose 新增 step arrived at ``created`` (UTC) and, with ``done``, was
    completed then by ``user``."""
    inst = engine.start(7, user, title=title)
    item = inst.work_items[0]
    item.created_at = created
    inst.created_at = created
    db.session.flush()
    if done is not None:
        engine.complete(user, item.id, "next", version=item.version)
        item = db.session.get(WorkItem, item.id)
        item.done_at = done
        db.session.flush()
    assert item.status == (WorkItemStatus.DONE if done else WorkItemStatus.OPEN)
    return item


def rule(org: Any, days: int = 5, *, table: int | None = None, name: str = "环节办理超过5个工作日") -> EfficiencyRule:
    row = EfficiencyRule(department_id=org.district_a.id, name=name, process_table=table, working_days=days)
    db.session.add(row)
    db.session.flush()
    return row
