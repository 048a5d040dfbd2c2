"""The rules computed from the platform's records (items D2, D3, R1, R2; docs/assessment.md).

Each rule is one set-based query for every unit of the district and the year, then a pass
over the rows with one working-day calendar (persistence/workdays.py: lookups, no walk):
nothing depends on the time of the run but ``as_of``, the day the records are read as of, so
a re-run as of the same day over the same records finds the same records.  A record entered,
received or answered after ``as_of`` is read as not (yet) there.

A finding names its record (``record_kind``, ``record_id``), the day it was due and what was
late.  ``activity`` counts every record the rules and the no-data check looked at, per unit.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from infrastructure import clock
from models import Message, User, db
from models.facts import (
    FACT_MODELS,
    AbnormalListing,
    FactSource,
    Penalty,
    Permit,
    Sanction,
    SupervisionRecord,
)
from models.notice import NoticeStatus, ScopeNotice
from models.sanctions import SanctionTask
from persistence.workdays import CalendarNotCovered, WorkCalendar
from services.assessment.items import (
    ENTRY_WORKDAYS,
    FEEDBACK_WORKDAYS,
    OTHER_FEEDBACK_WORKDAYS,
    RESPONSE_WORKDAYS,
)
from services.risk.digest import LINK_PREFIX

FACT_LABELS = {"permit": "行政许可", "penalty": "行政处罚", "supervision": "监管信息", "sanction": "联合惩戒信息",
               "abnormal": "预警信息（经营异常名录）"}


@dataclass(frozen=True)
class Finding:
    unit_id: int
    item: str
    record_kind: str
    record_id: int
    on_date: date  # the day the record was due
    detail: str


@dataclass
class Window:
    """The year read as of a day: records of [start, as_of], stored times before ``end``."""

    year: int
    as_of: date
    units: dict[int, int]  # department id -> its unit (the bureau it belongs to)
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    _due: dict[tuple[date, int], date] = field(default_factory=dict)
    _offset: timedelta | None = None

    @property
    def start(self) -> date:
        return date(self.year, 1, 1)

    @property
    def begin(self) -> datetime:
        return clock.china_day_start(self.start)

    @property
    def end(self) -> datetime:
        return clock.china_day_start(self.as_of + timedelta(days=1))

    def day(self, at: datetime) -> date:
        """The China day of a stored (naive UTC) time.  China keeps one offset all year (no
        summer time since 1991), so it is read from infrastructure.clock once per run."""
        if self._offset is None:
            noon = datetime(self.year, 7, 1, 12)
            self._offset = clock.to_china(noon) - noon  # type: ignore[operator]
        return (at + self._offset).date()

    def known(self, at: datetime | None) -> date | None:
        """The China day of a stored time, or None when it is not before ``end``."""
        return self.day(at) if at is not None and at < self.end else None

    def due(self, day: date, workdays: int) -> date:
        """The deadline; ``date.max`` when it falls in a later year the holiday table does not
        cover yet: then it is after ``as_of`` in any case, and nothing is late by it."""
        key = (day, workdays)
        found = self._due.get(key)
        if found is None:
            try:
                found = self.calendar.add_workdays(day, workdays)
            except CalendarNotCovered as exc:
                if exc.year <= self.year:
                    raise
                found = date.max
            self._due[key] = found
        return found


# ------------------------------------------------------------------ D2, D3: entered late


def _late_facts(w: Window, item: str, models: Iterable[tuple[str, Any, Any]], exchange_only: bool) -> tuple[
        list[Finding], Counter[int]]:
    findings: list[Finding] = []
    seen: Counter[int] = Counter()
    for kind, model, produced in models:
        query = select(model.id, model.source_department_id, produced, model.received_at).where(
            model.replaces_id.is_(None), model.source_department_id.in_(list(w.units)),
            produced >= w.start, produced <= w.as_of, model.received_at < w.end)
        if exchange_only:
            query = query.where(model.source_kind == FactSource.EXCHANGE)
        for ident, dept, day, received_at in db.session.execute(query):
            unit = w.units[dept]
            seen[unit] += 1
            due = w.due(day, ENTRY_WORKDAYS)
            entered = w.day(received_at)
            if entered > due:
                findings.append(Finding(unit, item, f"fact_{kind}", ident, due,
                                        f"{FACT_LABELS[kind]}产生于{day.isoformat()}，应于{due.isoformat()}前归集，"
                                        f"{entered.isoformat()}才归集"))
    return findings, seen


def system_data_late(w: Window) -> tuple[list[Finding], Counter[int]]:
    """D2: facts from a unit's own system (归集方式 数据交换) entered more than 5 working days
    after the day they arose (许可有效期起, 处罚决定日期, 检查日期)."""
    models = (("permit", Permit, Permit.valid_from), ("penalty", Penalty, Penalty.decided_on),
              ("supervision", SupervisionRecord, SupervisionRecord.inspected_on))
    return _late_facts(w, "D2", models, exchange_only=True)


def sanction_warning_late(w: Window) -> tuple[list[Finding], Counter[int]]:
    """D3: 联合惩戒信息 (惩戒信息, 认定日期) and 预警信息 (经营异常名录, 列入日期) entered more
    than 5 working days after the day they arose, however they were entered."""
    models = (("sanction", Sanction, Sanction.decided_on), ("abnormal", AbnormalListing, AbnormalListing.listed_on))
    return _late_facts(w, "D3", models, exchange_only=False)


# ------------------------------------------------------------------ R1: received late


def _receipt(w: Window, unit: int, kind: str, ident: int, label: str, sent_at: datetime,
             answered_at: datetime | None) -> Finding | None:
    sent = w.day(sent_at)
    due = w.due(sent, RESPONSE_WORKDAYS)
    answered = w.known(answered_at)
    if answered is None and due >= w.as_of:
        return None  # not due yet on the day of the assessment
    if answered is not None and answered <= due:
        return None
    what = "未接收响应" if answered is None else f"{answered.isoformat()}才接收响应"
    return Finding(unit, "R1", kind, ident, due, f"{label}于{sent.isoformat()}送达，应于{due.isoformat()}前接收，{what}")


def late_receipts(w: Window) -> tuple[list[Finding], Counter[int]]:
    """R1: 双告知抄告 and 联合惩戒任务 not received, and 预警 day digests not opened by any clerk
    of the unit, within 1 working day of being sent."""
    findings: list[Finding] = []
    seen: Counter[int] = Counter()
    sources: tuple[tuple[str, str, Any], ...] = (
        ("scope_notice", "双告知抄告", ScopeNotice), ("sanction_task", "联合惩戒任务", SanctionTask))
    for kind, label, model in sources:
        query = select(model.id, model.department_id, model.created_at, model.received_at).where(
            model.department_id.in_(list(w.units)), model.created_at >= w.begin, model.created_at < w.end)
        for ident, dept, sent_at, received_at in db.session.execute(query):
            seen[w.units[dept]] += 1
            found = _receipt(w, w.units[dept], kind, ident, label, sent_at, received_at)
            if found:
                findings.append(found)
    digests = (
        select(func.min(Message.id), User.department_id, func.min(Message.created_at), func.min(Message.read_at))
        .join(User, User.id == Message.user_id)
        .where(Message.link.startswith(LINK_PREFIX), User.department_id.in_(list(w.units)),
               Message.created_at >= w.begin, Message.created_at < w.end)
        .group_by(Message.link, User.department_id)
    )
    for ident, dept, sent_at, read_at in db.session.execute(digests):
        seen[w.units[dept]] += 1
        found = _receipt(w, w.units[dept], "risk_digest", ident, "预警信息（风险库每日汇总）", sent_at, read_at)
        if found:
            findings.append(found)
    return findings, seen


# ------------------------------------------------------------------ R2: feedback late


def late_feedback(w: Window) -> tuple[list[Finding], Counter[int]]:
    """R2: 双告知 feedback: 发证 reported more than 5 working days after the day of issue; any
    other outcome (不予发证, or nothing) not reported within 25 working days of the notice."""
    findings: list[Finding] = []
    seen: Counter[int] = Counter()
    query = select(ScopeNotice.id, ScopeNotice.department_id, ScopeNotice.created_at, ScopeNotice.status,
                   ScopeNotice.issued_on, ScopeNotice.feedback_at).where(
        ScopeNotice.department_id.in_(list(w.units)), ScopeNotice.created_at >= w.begin,
        ScopeNotice.created_at < w.end)
    for ident, dept, sent_at, status, issued_on, feedback_at in db.session.execute(query):
        unit = w.units[dept]
        seen[unit] += 1
        answered = w.known(feedback_at)
        if answered is not None and status == NoticeStatus.ISSUED and issued_on is not None:
            due = w.due(issued_on, FEEDBACK_WORKDAYS)
            if answered > due:
                findings.append(Finding(unit, "R2", "scope_notice", ident, due,
                                        f"{issued_on.isoformat()}发证，应于{due.isoformat()}前反馈，"
                                        f"{answered.isoformat()}才反馈"))
            continue
        sent = w.day(sent_at)
        due = w.due(sent, OTHER_FEEDBACK_WORKDAYS)
        if answered is None and due < w.as_of:
            findings.append(Finding(unit, "R2", "scope_notice", ident, due,
                                    f"{sent.isoformat()}抄告，应于{due.isoformat()}前反馈办证情况，截至考核日未反馈"))
        elif answered is not None and answered > due:
            findings.append(Finding(unit, "R2", "scope_notice", ident, due,
                                    f"{sent.isoformat()}抄告，应于{due.isoformat()}前反馈，{answered.isoformat()}才反馈"))
    return findings, seen


RULES: tuple[Callable[[Window], tuple[list[Finding], Counter[int]]], ...] = (
    system_data_late, sanction_warning_late, late_receipts, late_feedback)


def facts_entered(w: Window) -> Counter[int]:
    """Every fact a unit's departments entered in the window (any kind): the no-data check."""
    counts: Counter[int] = Counter()
    for model in FACT_MODELS:
        query = (select(model.source_department_id, func.count()).where(
            model.source_department_id.in_(list(w.units)), model.received_at >= w.begin, model.received_at < w.end)
            .group_by(model.source_department_id))
        for dept, n in db.session.execute(query):
            counts[w.units[dept]] += n
    return counts


def evaluate(w: Window) -> tuple[dict[int, list[Finding]], Counter[int]]:
    """Every finding of every automatic rule, by unit, in a stable order; and the records seen."""
    by_unit: dict[int, list[Finding]] = defaultdict(list)
    activity = facts_entered(w)
    for rule in RULES:
        found, seen = rule(w)
        if rule is late_receipts:  # the facts are counted above, the notices once
            activity.update(seen)
        for f in found:
            by_unit[f.unit_id].append(f)
    for findings in by_unit.values():
        findings.sort(key=lambda f: (f.item, f.on_date, f.record_kind, f.record_id))
    return by_unit, activity
