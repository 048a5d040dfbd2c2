"""Working days (工作日) from the holiday table (models/calendar.py).

A working day is Monday to Friday unless the table says 放假 (holiday), or a Saturday or Sunday
the table says 调休上班 (make-up working day).  Every date a computation looks at must lie in a
year the table covers (``CalendarYear``); otherwise ``CalendarNotCovered`` is raised with a
message for the user: a deadline is never guessed from weekdays alone.

Conventions (tests/services/test_workdays.py):

- ``add_workdays(start, n)``: the n-th working day after ``start`` (``start`` itself is not
  counted: 检查任务完成后20个工作日内 counts from the next day); ``n = 0`` gives ``start``.
- ``workdays_between(a, b)``: the working days d with a < d <= b; negative when b < a.
  So ``workdays_between(a, add_workdays(a, n)) == n``.
- ``latest_start_due_before(today, n)``: the last start date S whose deadline
  ``add_workdays(S, n)`` lies before ``today``.  Deadlines only grow with the start, so "overdue
  on ``today``" is ``start <= latest_start_due_before(today, n)``: one bound in a query instead
  of a deadline per row (services/deadlines.py).

A ``WorkCalendar`` reads a year's exceptions once (one query per year), keeps the running count
of working days through the year, and answers any number of questions by lookup and bisection
(an overdue list of a thousand tasks needs no day-by-day walk); the module functions build a fresh one per call, so an edit on /admin/calendar is
seen at once.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, select

from infrastructure.errors import Forbidden, Invalid, ServiceError
from models import CalendarDay, CalendarYear, DayKind, User, db, utcnow
from persistence import audit

ONE_DAY = timedelta(days=1)


class CalendarNotCovered(ServiceError):
    """A deadline needs a year whose holiday arrangement is not in the table."""

    status = 422

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(f"{year}年的节假日安排尚未录入，无法计算期限；请系统管理员在“节假日”中录入")


class WorkCalendar:
    """The holiday table, read a year at a time."""

    def __init__(self) -> None:
        self._years: dict[int, dict[date, bool]] = {}
        self._cum: dict[int, list[int]] = {}
        self._covered: set[int] | None = None

    def covered_years(self) -> set[int]:
        if self._covered is None:
            self._covered = set(db.session.execute(select(CalendarYear.year)).scalars())
        return self._covered

    def _exceptions(self, year: int) -> dict[date, bool]:
        """day -> is a working day, for the year's stored exceptions."""
        found = self._years.get(year)
        if found is None:
            if year not in self.covered_years():
                raise CalendarNotCovered(year)
            rows = db.session.execute(
                select(CalendarDay.day, CalendarDay.kind).where(
                    CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31)
                )
            )
            found = {day: kind == DayKind.WORKDAY for day, kind in rows}
            self._years[year] = found
        return found

    def is_workday(self, d: date) -> bool:
        stored = self._exceptions(d.year).get(d)
        if stored is not None:
            return stored
        return d.weekday() < 5

    def _cumulative(self, year: int) -> list[int]:
        """cum[i]: the working days among the year's days 0..i (1 January is day 0)."""
        found = self._cum.get(year)
        if found is None:
            exceptions = self._exceptions(year)
            first = date(year, 1, 1)
            days = (date(year + 1, 1, 1) - first).days
            found, count = [], 0
            for i in range(days):
                d = first + timedelta(days=i)
                stored = exceptions.get(d)
                if stored if stored is not None else d.weekday() < 5:
                    count += 1
                found.append(count)
            self._cum[year] = found
        return found

    @staticmethod
    def _index(d: date) -> int:
        return (d - date(d.year, 1, 1)).days

    def add_workdays(self, start: date, n: int) -> date:
        if n < 0:
            return self.subtract_workdays(start, -n)
        if n == 0:
            self._exceptions(start.year)
            return start
        year = start.year
        cum = self._cumulative(year)
        target = cum[self._index(start)] + n
        while target > cum[-1]:
            target -= cum[-1]
            year += 1
            cum = self._cumulative(year)
        return date(year, 1, 1) + timedelta(days=bisect_left(cum, target))

    def subtract_workdays(self, end: date, n: int) -> date:
        """The n-th working day before ``end`` (``end`` not counted)."""
        year = end.year
        cum = self._cumulative(year)
        i = self._index(end)
        before = cum[i - 1] if i else 0  # working days of the year before ``end``
        if n == 0:
            return end
        while n > before:
            n -= before
            year -= 1
            cum = self._cumulative(year)
            before = cum[-1]
        return date(year, 1, 1) + timedelta(days=bisect_left(cum, before - n + 1))

    def workdays_between(self, a: date, b: date) -> int:
        if b < a:
            return -self.workdays_between(b, a)
        cum_a = self._cumulative(a.year)
        if a.year == b.year:
            return cum_a[self._index(b)] - cum_a[self._index(a)]
        total = cum_a[-1] - cum_a[self._index(a)]
        for year in range(a.year + 1, b.year):
            total += self._cumulative(year)[-1]
        return total + self._cumulative(b.year)[self._index(b)]

    def latest_start_due_before(self, today: date, n: int) -> date:
        """The last start S with ``add_workdays(S, n) < today`` (n >= 1).

        add_workdays(S, n) is a working day; it is before ``today`` exactly when it is at most
        W, the last working day before ``today``.  The starts with deadline W run from the
        n-th working day before W up to the day before the working day after it."""
        w = today - ONE_DAY
        while not self.is_workday(w):
            w -= ONE_DAY
        first = self.subtract_workdays(w, n)
        nxt = first + ONE_DAY
        while not self.is_workday(nxt):
            nxt += ONE_DAY
        return nxt - ONE_DAY


def is_workday(d: date) -> bool:
    return WorkCalendar().is_workday(d)


def add_workdays(start: date, n: int) -> date:
    return WorkCalendar().add_workdays(start, n)


def workdays_between(a: date, b: date) -> int:
    return WorkCalendar().workdays_between(a, b)


@dataclass(frozen=True)
class Countdown:
    """Where a deadline stands on a day: 剩余 N 个工作日, 今日到期 or 已逾期 N 个工作日."""

    due: date
    remaining: int  # working days after today up to the deadline; 0 on the day itself
    overdue: bool
    overdue_days: int  # working days past the deadline (0 on a weekend right after it)

    @property
    def label(self) -> str:
        if self.overdue:
            return f"已逾期 {self.overdue_days} 个工作日" if self.overdue_days else "已逾期"
        if self.remaining == 0:
            return "今日到期"
        return f"剩余 {self.remaining} 个工作日"

    @property
    def css(self) -> str:
        if self.overdue:
            return "err"
        return "warn" if self.remaining <= 3 else "info"


def countdown(due: date, today: date, calendar: WorkCalendar | None = None) -> Countdown:
    cal = calendar or WorkCalendar()
    if today > due:
        return Countdown(due, 0, True, cal.workdays_between(due, today))
    return Countdown(due, cal.workdays_between(today, due), False, 0)


# ------------------------------------------------------------------ the table itself


HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def library_rows() -> tuple[list[int], list[dict[str, Any]]]:
    """The years the chinesecalendar package covers and its days, as table rows.

    Its data runs from its first to its last listed year without a gap (1.11.0: 2004–2026)."""
    from chinese_calendar import constants

    holidays: dict[date, str] = constants.holidays
    workdays: dict[date, str] = constants.workdays
    years = sorted({d.year for d in holidays})
    years = list(range(years[0], years[-1] + 1))
    rows = [{"day": d, "kind": DayKind.HOLIDAY.value, "name": HOLIDAY_NAMES.get(n, n)} for d, n in holidays.items()]
    rows += [{"day": d, "kind": DayKind.WORKDAY.value, "name": HOLIDAY_NAMES.get(n, n)} for d, n in workdays.items()]
    rows.sort(key=lambda r: r["day"])
    return years, rows


def seed_from_library(user: User | None = None, years: Iterable[int] | None = None, replace: bool = False) -> list[int]:
    """Load the package's years into the table.  A year already covered is left alone (an
    administrator may have corrected it) unless ``replace``.  Returns the years loaded."""
    lib_years, rows = library_rows()
    wanted = set(lib_years if years is None else years)
    unknown = wanted - set(lib_years)
    if unknown:
        raise Invalid(f"节假日数据包不含{'、'.join(str(y) for y in sorted(unknown))}年的安排，请在“节假日”中手工录入")
    covered = set(db.session.execute(select(CalendarYear.year)).scalars())
    todo = sorted(y for y in wanted if replace or y not in covered)
    if not todo:
        return []
    for year in todo:
        db.session.execute(
            delete(CalendarDay).where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
        )
        db.session.execute(delete(CalendarYear).where(CalendarYear.year == year))
    user_id = user.id if user is not None else None
    now = utcnow()
    day_rows = [dict(r, updated_by_id=user_id, updated_at=now) for r in rows if r["day"].year in set(todo)]
    if day_rows:
        db.session.execute(CalendarDay.__table__.insert(), day_rows)
    db.session.execute(
        CalendarYear.__table__.insert(),
        [{"year": y, "source": "chinesecalendar", "updated_by_id": user_id, "updated_at": now} for y in todo],
    )
    audit.record(
        "update",
        object_type="calendar",
        object_id=",".join(str(y) for y in todo),
        summary=f"从节假日数据包载入 {todo[0]}–{todo[-1]} 年的节假日安排",
        user=user,
    )
    return todo


# ------------------------------------------------------------------ administration


def can_edit_calendar(user: User) -> bool:
    """The arrangement is national: 系统管理员 of the top of the tree keep it."""
    from models.roles import Role

    return user.has_role(Role.SYSTEM_ADMIN) and user.department.parent_id is None


def require_editor(user: User) -> None:
    if not can_edit_calendar(user):
        raise Forbidden("节假日安排由最上级部门的系统管理员维护")


def year_days(year: int) -> list[CalendarDay]:
    return list(
        db.session.execute(
            select(CalendarDay)
            .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
            .order_by(CalendarDay.day)
        ).scalars()
    )


def save_day(user: User, day: date, kind: str, name: str) -> CalendarDay:
    """Add or change one day (放假 or 调休上班)."""
    require_editor(user)
    name = (name or "").strip()
    if kind not in {k.value for k in DayKind}:
        raise Invalid("请选择“放假”或“调休上班”", field="kind")
    if not name:
        raise Invalid("请填写节日名称", field="name")
    if len(name) > 60:
        raise Invalid("节日名称不能超过60个字", field="name")
    if kind == DayKind.WORKDAY and day.weekday() < 5:
        raise Invalid(f"{day.isoformat()}是周一至周五，本来就是工作日，不能设为调休上班日", field="day")
    row = db.session.get(CalendarDay, day)
    before = f"{DayKind(row.kind).label} {row.name}" if row else ""
    if row is None:
        row = CalendarDay(day=day)
        db.session.add(row)
    row.kind, row.name, row.updated_by_id = kind, name, user.id
    db.session.flush()
    audit.record(
        "update" if before else "create",
        object_type="calendar_day",
        object_id=day.isoformat(),
        summary=f"{day.isoformat()} {DayKind(kind).label} {name}" + (f"（原为{before}）" if before else ""),
        user=user,
    )
    return row


def delete_day(user: User, day: date) -> None:
    require_editor(user)
    row = db.session.get(CalendarDay, day)
    if row is None:
        raise Invalid(f"{day.isoformat()}不在节假日安排中")
    summary = f"{day.isoformat()} {DayKind(row.kind).label} {row.name}"
    db.session.delete(row)
    db.session.flush()
    audit.record("delete", object_type="calendar_day", object_id=day.isoformat(), summary=summary, user=user)


def set_year_covered(user: User, year: int, covered: bool) -> None:
    """Mark a year's arrangement complete (期限可按该年计算) or not."""
    require_editor(user)
    if not 1949 <= year <= 2200:
        raise Invalid("年份不正确")
    row = db.session.get(CalendarYear, year)
    if covered and row is None:
        db.session.add(CalendarYear(year=year, source="manual", updated_by_id=user.id))
    elif not covered and row is not None:
        db.session.delete(row)
    else:
        return
    db.session.flush()
    audit.record(
        "update",
        object_type="calendar_year",
        object_id=str(year),
        summary=f"{year}年节假日安排" + ("已录入完整" if covered else "标为未录入完整"),
        user=user,
    )


def years_overview() -> list[tuple[int, bool, int, int]]:
    """(year, covered, holidays, make-up days) for every year with days or coverage
    (a few hundred small rows: counted here)."""
    counts: dict[int, list[int]] = {}
    for day, kind in db.session.execute(select(CalendarDay.day, CalendarDay.kind)):
        counts.setdefault(day.year, [0, 0])[0 if kind == DayKind.HOLIDAY else 1] += 1
    covered = set(db.session.execute(select(CalendarYear.year)).scalars())
    years = sorted(set(counts) | covered, reverse=True)
    return [(y, y in covered, *counts.get(y, [0, 0])) for y in years]
