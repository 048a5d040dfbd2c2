"""效能规则 (seed 004 §7.4): rules as data, and the 超期 condition they make.

A rule belongs to an area (the 区 or 市 node of whoever wrote it) and says: a work item of this
process (or of every process) still open after ``working_days`` working days is 超期.  Working
days come from the holiday table (persistence/workdays.py, as services/deadlines.py counts
them): an item created on China day D is due on ``add_workdays(D, N)`` and 超期 once that day
is past.  Deadlines grow with D, so one cutoff per rule turns the rule into a range condition
on ``WorkItem.created_at`` (``WorkCalendar.latest_start_due_before``), one set-based query for
a million items.  An item is 超期 when any active rule of its area says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, false, or_, select

from infrastructure.clock import china_day_start, china_today
from infrastructure.errors import Forbidden, Invalid
from models import EfficiencyRule, User, WorkItem, db
from models.workflow import WorkItemStatus
from persistence import audit
from persistence.org import region_root
from persistence.workdays import WorkCalendar
from services.efficiency.access import RULE_EDITORS
from workflows.registry import PROCESSES


@dataclass(frozen=True)
class Cutoff:
    rule: EfficiencyRule
    before: datetime  # an open item created before this instant breaks the rule

    def condition(self) -> Any:
        created = WorkItem.created_at < self.before
        if self.rule.process_table is None:
            return created
        return and_(WorkItem.process_table == self.rule.process_table, created)


def rules_of(user: User, *, active_only: bool = False) -> list[EfficiencyRule]:
    query = select(EfficiencyRule).where(EfficiencyRule.department_id == region_root(user.department).id)
    if active_only:
        query = query.where(EfficiencyRule.active.is_(True))
    return list(db.session.execute(query.order_by(EfficiencyRule.id)).scalars())


def can_view_rule(user: User, rule: EfficiencyRule) -> bool:
    return rule.department_id == region_root(user.department).id


def cutoff_of(rule: EfficiencyRule, today: date, calendar: WorkCalendar) -> Cutoff:
    last_start = calendar.latest_start_due_before(today, rule.working_days)
    return Cutoff(rule, china_day_start(last_start + timedelta(days=1)))


def cutoffs(user: User, today: date | None = None, calendar: WorkCalendar | None = None) -> list[Cutoff]:
    """The active rules of the user's area with their cutoffs (CalendarNotCovered when the
    holiday table lacks a year they reach into)."""
    today = today or china_today()
    calendar = calendar or WorkCalendar()
    return [cutoff_of(rule, today, calendar) for rule in rules_of(user, active_only=True)]


def overdue_condition(found: list[Cutoff]) -> Any:
    """Open and past at least one rule's cutoff (false without a rule)."""
    if not found:
        return false()
    return and_(WorkItem.status == WorkItemStatus.OPEN, or_(*(c.condition() for c in found)))


def process_choices() -> list[tuple[int, str]]:
    return [(table, f"表{table} {process.title}") for table, process in PROCESSES.items()]


def _require_editor(user: User) -> None:
    if not user.has_role(*RULE_EDITORS):
        raise Forbidden("只有效能监察或联席会议办公室可以维护效能规则")


def _read(form: Any) -> dict[str, Any]:
    name = str(form.get("name", "")).strip()
    if not name:
        raise Invalid("请填写规则名称")
    if len(name) > 100:
        raise Invalid("规则名称不能超过100个字符")
    days_text = str(form.get("working_days", "")).strip()
    if not days_text.isdigit() or not 1 <= int(days_text) <= 365:
        raise Invalid("办理时限应为1至365个工作日")
    table_text = str(form.get("process_table", "")).strip()
    table: int | None = None
    if table_text:
        if not table_text.isdigit() or int(table_text) not in PROCESSES:
            raise Invalid("请选择业务流程")
        table = int(table_text)
    return {"name": name, "working_days": int(days_text), "process_table": table,
            "active": form.get("active", "1") in ("1", "on", "true"), "note": str(form.get("note", "")).strip()[:500]}


def save_rule(user: User, rule: EfficiencyRule | None, form: Any) -> EfficiencyRule:
    """业务规则定义: create (``rule`` None) or change a rule of the user's area."""
    _require_editor(user)
    values = _read(form)
    if rule is None:
        rule = EfficiencyRule(department_id=region_root(user.department).id, created_by_id=user.id, **values)
        db.session.add(rule)
    else:
        for key, value in values.items():
            setattr(rule, key, value)
    db.session.flush()
    audit.record("efficiency_rule_save", object_type="efficiency_rule", object_id=rule.id,
                 summary={"规则": rule.name, "工作日": rule.working_days, "表": rule.process_table or "全部",
                          "启用": rule.active}, user=user)
    return rule


def delete_rule(user: User, rule: EfficiencyRule) -> None:
    _require_editor(user)
    audit.record("efficiency_rule_delete", object_type="efficiency_rule", object_id=rule.id,
                 summary={"规则": rule.name}, user=user)
    db.session.delete(rule)
    db.session.flush()
