"""The platform's clock: times are stored as naive UTC and shown in China Standard Time.

Every stored timestamp is a naive UTC ``datetime`` (SQLite and PostgreSQL compare them alike).
Everything a person reads — pages, PDFs, Excel exports, messages — and every "today" (deadlines,
reminders, ledgers, "not later than today") is Asia/Shanghai: a signature at 01:00 China time
is 17:00 UTC of the day before, and must print the China date.

``now()`` is the one source of the current instant; tests freeze the platform by patching it
(``monkeypatch.setattr(clock, "now", …)``); ``models.base.utcnow`` reads it too.  Infrastructure:
this module imports nothing from the project, so models may use it.

A ``datetime`` given to these helpers is a stored (UTC) time; a ``date`` is a calendar day and is
never shifted.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def _china_zone() -> tzinfo:
    try:
        return ZoneInfo("Asia/Shanghai")
    except ZoneInfoNotFoundError:  # a host without the IANA database: China has had no DST since 1991
        return timezone(timedelta(hours=8), "CST")


CHINA = _china_zone()
DATE_TIME = "%Y-%m-%d %H:%M"


def now() -> datetime:
    """The current instant, aware, in UTC (the single source; tests patch it)."""
    return datetime.now(UTC)


def utcnow() -> datetime:
    """The current instant as stored: naive UTC."""
    return now().astimezone(UTC).replace(tzinfo=None)


def china_now() -> datetime:
    """The China wall-clock time now, naive."""
    return now().astimezone(CHINA).replace(tzinfo=None)


def china_today() -> date:
    """Today's date in China: the "today" of deadlines, reminders and ledgers."""
    return china_now().date()


def to_china(value: datetime | None) -> datetime | None:
    """A stored time (naive UTC, or aware) as the naive China wall-clock time."""
    if value is None:
        return None
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    return aware.astimezone(CHINA).replace(tzinfo=None)


def from_china(value: datetime | None) -> datetime | None:
    """A China wall-clock time a person typed (naive) as stored: naive UTC."""
    if value is None:
        return None
    aware = value.replace(tzinfo=CHINA) if value.tzinfo is None else value
    return aware.astimezone(UTC).replace(tzinfo=None)


def china_date(value: date | datetime | None) -> date | None:
    """The China calendar day of a stored time; a plain date is returned as it is."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return to_china(value).date()  # type: ignore[union-attr]
    return value


def china_day_start(day: date) -> datetime:
    """The stored (naive UTC) instant at which ``day`` begins in China."""
    return from_china(datetime.combine(day, time.min))  # type: ignore[return-value]


def format_china(value: date | datetime | None, fmt: str = DATE_TIME) -> str:
    """A stored time as China time text (``2026-03-05 07:30``); empty when unknown."""
    if value is None:
        return ""
    if not isinstance(value, datetime):  # a calendar day is not shifted
        return value.strftime(fmt)
    return to_china(value).strftime(fmt)  # type: ignore[union-attr]


def cn_date(value: date | datetime | None) -> str:
    """The paper forms' date, 2026年3月5日 (China date of a stored time); empty when unknown."""
    day = china_date(value)
    if day is None:
        return ""
    return f"{day.year}年{day.month}月{day.day}日"


def cn_datetime(value: datetime | None) -> str:
    """2026年3月5日 07:30 in China time; empty when unknown."""
    local = to_china(value)
    if local is None:
        return ""
    return f"{local.year}年{local.month}月{local.day}日 {local.hour:02d}:{local.minute:02d}"
