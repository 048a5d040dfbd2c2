"""The work lists behind every figure (…可以进一步跟踪到具体的工作清单) and 办理详情 (seed 004 §7.2):
one piece of work from its start to its end.

``Filters`` read the query string the figures link with: department, process, state
(已办结 / 办理中 / 超期 / 全部), a date range on completion or creation, and an officer (who
completed the item, or the named person it waits for).  The list is one query on
``work_item`` joined to its instance, restricted to the departments the user sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import contains_eager

from infrastructure.clock import china_day_start
from infrastructure.errors import Invalid
from models import ProcessHistory, ProcessInstance, Urge, User, WorkItem, db
from models.efficiency import UrgeStatus
from models.workflow import WorkItemStatus
from persistence.workdays import CalendarNotCovered
from services.efficiency import rules
from services.efficiency.access import visible_ids
from services.efficiency.periods import parse_day
from workflows.registry import PROCESSES

STATES = {"done": "已办结", "open": "办理中", "overdue": "超期", "all": "全部"}
PAGE_SIZE = 200


@dataclass(frozen=True)
class Filters:
    department_id: int | None = None
    process_table: int | None = None
    state: str = "all"
    first: Any = None  # China dates, both included
    last: Any = None
    on: str = "done"  # the date the range applies to: done (completion) or created
    officer_id: int | None = None
    rule_id: int | None = None  # 超期 by this rule only

    def args(self) -> dict[str, Any]:
        out: dict[str, Any] = {"state": self.state, "on": self.on}
        for key, value in (("department", self.department_id), ("process", self.process_table),
                           ("from", self.first), ("to", self.last), ("officer", self.officer_id),
                           ("rule", self.rule_id)):
            if value is not None:
                out[key] = value.isoformat() if hasattr(value, "isoformat") else value
        return out


def _int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


def parse_filters(args: Any) -> Filters:
    state = args.get("state", "all")
    if state not in STATES:
        raise Invalid("未知的办理状态")
    first, last = parse_day(args.get("from"), "开始日期"), parse_day(args.get("to"), "结束日期")
    if first and last and last < first:
        raise Invalid("结束日期不能早于开始日期")
    on = args.get("on") or ("done" if state == "done" else "created")
    return Filters(_int(args.get("department")), _int(args.get("process")), state, first, last,
                   "created" if on == "created" else "done", _int(args.get("officer")), _int(args.get("rule")))


def officer_column() -> Any:
    """Who did the item (completed it), or the named person an open item waits for."""
    return func.coalesce(WorkItem.done_by_id, WorkItem.user_id)


def _bounds(f: Filters) -> tuple[datetime | None, datetime | None]:
    start = china_day_start(f.first) if f.first else None
    end = china_day_start(f.last + timedelta(days=1)) if f.last else None
    return start, end


def condition(user: User, f: Filters) -> list[Any]:
    """The WHERE of the filters (CalendarNotCovered for 超期 when the holiday table lacks a year)."""
    where: list[Any] = [WorkItem.department_id.in_(visible_ids(user))]
    if f.department_id is not None:
        where.append(WorkItem.department_id == f.department_id)
    if f.process_table is not None:
        where.append(WorkItem.process_table == f.process_table)
    if f.state == "done":
        where.append(WorkItem.done_at.is_not(None))
    elif f.state == "open":
        where.append(WorkItem.status == WorkItemStatus.OPEN)
    elif f.state == "overdue":
        found = rules.cutoffs(user)
        if f.rule_id is not None:
            found = [c for c in found if c.rule.id == f.rule_id]
        where.append(rules.overdue_condition(found))
    column = WorkItem.done_at if f.on == "done" else WorkItem.created_at
    start, end = _bounds(f)
    if start is not None:
        where.append(column >= start)
    if end is not None:
        where.append(column < end)
    if f.officer_id is not None:
        where.append(officer_column() == f.officer_id)
    return where


@dataclass
class Listing:
    items: list[WorkItem]
    total: int
    urged: set[int]
    overdue: set[int]
    calendar_error: str = ""


def listing(user: User, f: Filters, *, limit: int = PAGE_SIZE) -> Listing:
    try:
        where = condition(user, f)
        overdue_if = rules.overdue_condition(rules.cutoffs(user))
        error = ""
    except CalendarNotCovered as exc:
        if f.state == "overdue":
            raise
        where, overdue_if, error = condition(user, f), rules.overdue_condition([]), exc.message
    total = db.session.execute(select(func.count()).select_from(WorkItem).where(*where)).scalar_one()
    query = (select(WorkItem).join(WorkItem.instance).options(contains_eager(WorkItem.instance))
             .where(*where).order_by(WorkItem.created_at.desc(), WorkItem.id.desc()).limit(limit))
    items = list(db.session.execute(query).scalars())
    ids = [i.id for i in items]
    urged = set(db.session.execute(select(Urge.work_item_id).where(
        Urge.work_item_id.in_(ids), Urge.status == UrgeStatus.OPEN)).scalars()) if ids else set()
    late = set(db.session.execute(select(WorkItem.id).where(WorkItem.id.in_(ids), overdue_if)).scalars()) if ids else set()
    return Listing(items, total, urged, late, error)


def step_name(table: int, key: str) -> str:
    process = PROCESSES.get(table)
    if process is None:
        return key
    try:
        return process.step(key).name
    except KeyError:
        return key


def process_name(table: int) -> str:
    process = PROCESSES.get(table)
    return f"表{table} {process.title}" if process else f"表{table}"


# ------------------------------------------------------------------ 办理详情


@dataclass
class Event:
    at: datetime
    what: str
    who: str
    department: str
    comment: str = ""
    kind: str = "step"  # step, urge, answer


def timeline(instance: ProcessInstance) -> list[Event]:
    """From 发起 to 办结: the engine's history and the 督办 sent and answered, by time."""
    events = [Event(h.at, f"{h.step_name}：{_action(instance.process_table, h)}", h.actor_name, h.department_name,
                    h.comment)
              for h in db.session.execute(select(ProcessHistory).where(ProcessHistory.instance_id == instance.id)
                                          .order_by(ProcessHistory.seq)).scalars()]
    for urge in urges_of(instance):
        step = step_name(urge.work_item.process_table, urge.work_item.step_key)
        events.append(Event(urge.sent_at, f"督办：{step}", urge.sent_by.name, urge.sent_by.department.name,
                            urge.message, "urge"))
        if urge.responded_at is not None and urge.responded_by is not None:
            events.append(Event(urge.responded_at, f"督办回复：{step}", urge.responded_by.name,
                                urge.responded_by.department.name, urge.response, "answer"))
    events.sort(key=lambda e: e.at)
    return events


def _action(table: int, history: ProcessHistory) -> str:
    fixed = {"start": "发起", "auto": "平台自动办理", "skip": "自动跳过", "withdraw": "撤回", "terminate": "终止"}
    if history.action in fixed:
        return fixed[history.action]
    process = PROCESSES.get(table)
    if process is not None:
        for way in process.outgoing(history.step_key):
            if way.outcome == history.action:
                return str(way.button)
    return history.action


def urges_of(instance: ProcessInstance) -> list[Urge]:
    return list(db.session.execute(select(Urge).where(Urge.instance_id == instance.id).order_by(Urge.id)).scalars())


def instance_items(instance: ProcessInstance) -> list[WorkItem]:
    return list(db.session.execute(select(WorkItem).where(WorkItem.instance_id == instance.id)
                                   .order_by(WorkItem.id)).scalars())


def has_open_urge(item: WorkItem) -> bool:
    return db.session.execute(select(exists().where(Urge.work_item_id == item.id,
                                                    Urge.status == UrgeStatus.OPEN))).scalar_one()

