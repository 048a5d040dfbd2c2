"""The periods of the overview: 今日, 上周 (last Monday to Sunday), 上月 (last calendar month)
and a 自定义周期 (two dates, both included), in China days, with their stored (UTC) bounds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from infrastructure.clock import china_day_start, china_today
from infrastructure.errors import Invalid
from infrastructure.excel import parse_date

MAX_CUSTOM_DAYS = 3660
DEFAULT_CUSTOM_DAYS = 30


@dataclass(frozen=True)
class Period:
    key: str
    label: str
    first: date
    last: date  # included

    @property
    def start(self) -> datetime:
        return china_day_start(self.first)

    @property
    def end(self) -> datetime:
        """The stored instant just after the period (exclusive bound)."""
        return china_day_start(self.last + timedelta(days=1))

    @property
    def text(self) -> str:
        if self.first == self.last:
            return self.first.isoformat()
        return f"{self.first.isoformat()} 至 {self.last.isoformat()}"

    def args(self) -> dict[str, str]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat()}


def standard_periods(today: date | None = None) -> list[Period]:
    today = today or china_today()
    monday = today - timedelta(days=today.weekday())
    first_this_month = today.replace(day=1)
    last_month_end = first_this_month - timedelta(days=1)
    return [
        Period("today", "今日", today, today),
        Period("last_week", "上周", monday - timedelta(days=7), monday - timedelta(days=1)),
        Period("last_month", "上月", last_month_end.replace(day=1), last_month_end),
    ]


def parse_day(value: Any, label: str) -> date | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        found = parse_date(text)
    except ValueError:
        found = None
    if found is None:
        raise Invalid(f"{label}“{text}”不是有效日期，请按 2026-03-05 的格式填写")
    return found


def custom_period(args: Any, today: date | None = None) -> Period:
    """The 自定义周期 of the query string (``from``, ``to``); the last 30 days by default."""
    today = today or china_today()
    first = parse_day(args.get("from"), "开始日期")
    last = parse_day(args.get("to"), "结束日期") or today
    if first is None:
        first = last - timedelta(days=DEFAULT_CUSTOM_DAYS - 1)
    if last < first:
        raise Invalid("结束日期不能早于开始日期")
    if (last - first).days >= MAX_CUSTOM_DAYS:
        raise Invalid("自定义周期最长10年")
    return Period("custom", "自定义周期", first, last)
