"""The holiday table (节假日安排): public holidays and make-up working days (调休上班日).

Deadlines in working days (seed 001/003: 检查任务完成后20个工作日内…公示) count Monday to
Friday, minus the State Council's public holidays, plus the weekend days declared working days.
Only the exceptions are stored: a ``CalendarDay`` is a holiday on a day that would otherwise be a
working day (or on a weekend inside the holiday, as published) or a working Saturday/Sunday.

The State Council announces each year's arrangement in the preceding autumn, so the table is
only ever known for some years: ``CalendarYear`` lists the years whose arrangement is complete.
A deadline that touches a year not listed there is refused (persistence/workdays.py), never guessed.
Seeded from the ``chinesecalendar`` package (migration 0015, ``flask calendar seed``); a
系统管理员 of the top of the tree keeps it on /admin/calendar.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.org import User


class DayKind(enum.StrEnum):
    HOLIDAY = "holiday"  # 法定节假日 (放假)
    WORKDAY = "workday"  # 调休上班日

    @property
    def label(self) -> str:
        return {"holiday": "放假", "workday": "调休上班"}[self.value]

    @property
    def css(self) -> str:
        return {"holiday": "ok", "workday": "warn"}[self.value]


class CalendarDay(db.Model):
    """One day that is not what its weekday says."""

    __tablename__ = "calendar_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(60), default="")  # 节日名称, e.g. 春节
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    updated_by: Mapped[User | None] = relationship()

    __table_args__ = (CheckConstraint("kind IN ('holiday', 'workday')", name="kind"),)

    @property
    def day_kind(self) -> DayKind:
        return DayKind(self.kind)


class CalendarYear(db.Model):
    """A year whose holiday arrangement is complete in ``calendar_day`` (已录入完整)."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(40), default="manual")  # chinesecalendar / manual
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    updated_by: Mapped[User | None] = relationship()

    __table_args__ = (CheckConstraint("year >= 1949 AND year <= 2200", name="year_range"),)
