"""The periods of a report (一次性, 月报, 季报, 半年报, 年报) within its 实施周期, and their
deadlines: an 一次性 report's 填报截止日期, else the N-th working day after the period's last
day (persistence/workdays.py; a year missing from the holiday table is refused, not guessed);
and the day the reminders start, ``REMIND_WITHIN`` working days before the deadline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from infrastructure.errors import Invalid
from models.reports import FlexReport, ReportKind
from persistence.workdays import WorkCalendar

MAX_PERIODS = 60
REMIND_WITHIN = 3  # working days before the deadline when 我的待办 starts reminding


@dataclass(frozen=True)
class Period:
    key: str
    label: str
    starts_on: date
    ends_on: date
    due_on: date
    remind_on: date


def _month_end(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)


def _spans(kind: ReportKind, starts_on: date, ends_on: date) -> list[tuple[str, str, date, date]]:
    if kind == ReportKind.ONCE:
        return [("once", "一次性", starts_on, ends_on)]
    months = {ReportKind.MONTHLY: 1, ReportKind.QUARTERLY: 3, ReportKind.HALF_YEARLY: 6, ReportKind.YEARLY: 12}[kind]
    spans = []
    year, month = starts_on.year, (starts_on.month - 1) // months * months + 1
    while date(year, month, 1) <= ends_on:
        n = (month - 1) // months + 1
        key, label = {
            1: (f"{year}-{month:02d}", f"{year}年{month}月"),
            3: (f"{year}Q{n}", f"{year}年第{n}季度"),
            6: (f"{year}H{n}", f"{year}年{'上' if n == 1 else '下'}半年"),
            12: (f"{year}", f"{year}年"),
        }[months]
        last_month = month + months - 1
        spans.append((key, label, date(year, month, 1), _month_end(year, last_month)))
        month += months
        if month > 12:
            year, month = year + 1, month - 12
        if len(spans) > MAX_PERIODS:
            raise Invalid(f"实施周期内的填报期数不能超过{MAX_PERIODS}期，请缩短实施周期", "ends_on")
    return spans


def periods_of(report: FlexReport, calendar: WorkCalendar | None = None) -> list[Period]:
    """Every period of the report with its deadline (CalendarNotCovered when a deadline falls
    in a year the holiday table does not cover)."""
    cal = calendar or WorkCalendar()
    found = []
    for key, label, start, end in _spans(report.kind, report.starts_on, report.ends_on):
        if report.kind == ReportKind.ONCE:
            due = report.due_on or end
        else:
            due = cal.add_workdays(end, report.due_workdays)
        found.append(Period(key, label, start, end, due, cal.subtract_workdays(due, REMIND_WITHIN)))
    return found


def check_span(kind: ReportKind, starts_on: date, ends_on: date) -> int:
    """How many periods the 实施周期 gives (Invalid past MAX_PERIODS)."""
    return len(_spans(kind, starts_on, ends_on))
