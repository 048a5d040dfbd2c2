"""Working days from the holiday table: known 2025/2026 arrangements, the uncovered-year
refusal, the administrator's edits and the overdue bound used by set-based queries."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest

from infrastructure.errors import Forbidden, Invalid
from models import AuditEvent, CalendarDay, CalendarYear, DayKind
from persistence import workdays
from persistence.workdays import CalendarNotCovered, WorkCalendar


def test_seeded_years_are_the_packages(session):
    covered = WorkCalendar().covered_years()
    assert {2004, 2025, 2026} <= covered
    assert 2027 not in covered
    assert session.get(CalendarDay, date(2026, 2, 17)).name == "春节"


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 2, 13), True),  # Friday before the Spring Festival
        (date(2026, 2, 14), True),  # Saturday, 调休上班
        (date(2026, 2, 16), False),  # Monday, 春节
        (date(2026, 2, 23), False),  # Monday, last day of 春节
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),  # Saturday, 调休上班
        (date(2026, 3, 1), False),  # an ordinary Sunday
        (date(2026, 9, 20), True),  # Sunday, 调休上班 for 国庆节
        (date(2026, 10, 1), False),
        (date(2026, 10, 7), False),
        (date(2026, 10, 8), True),
        (date(2026, 10, 10), True),  # Saturday, 调休上班
        (date(2025, 1, 26), True),  # Sunday, 调休上班 for 春节 2025
        (date(2025, 1, 28), False),
        (date(2025, 10, 8), False),  # 国庆节 and 中秋节 2025: eight days
        (date(2025, 10, 11), True),
    ],
)
def test_is_workday_known_days(session, day, working):
    assert workdays.is_workday(day) is working


def test_add_workdays_across_national_day(session):
    assert workdays.add_workdays(date(2026, 9, 30), 0) == date(2026, 9, 30)
    assert workdays.add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert workdays.add_workdays(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert workdays.add_workdays(date(2026, 9, 30), 4) == date(2026, 10, 12)
    assert workdays.workdays_between(date(2026, 9, 30), date(2026, 10, 12)) == 4
    assert workdays.workdays_between(date(2026, 10, 12), date(2026, 9, 30)) == -4


def test_add_workdays_across_spring_festival(session):
    # From Friday 13 February 2026: the make-up Saturday counts, the nine days off do not.
    assert workdays.add_workdays(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert workdays.add_workdays(date(2026, 2, 13), 2) == date(2026, 2, 24)
    # 20 working days: 14 Feb, 24-27 Feb, 28 Feb, 2-6 Mar, 9-13 Mar, 16-19 Mar.
    assert workdays.add_workdays(date(2026, 2, 13), 20) == date(2026, 3, 19)


def test_agrees_with_the_package_over_two_years(session):
    cal = WorkCalendar()
    d = date(2025, 1, 1)
    while d.year < 2027:
        assert cal.is_workday(d) is chinese_calendar.is_workday(d), d
        d += timedelta(days=1)
    start = date(2025, 3, 7)
    expected, n, d = [], 0, start
    while n < 300:
        d += timedelta(days=1)
        if chinese_calendar.is_workday(d):
            n += 1
            expected.append(d)
    assert [cal.add_workdays(start, k) for k in (1, 20, 150, 300)] == [expected[0], expected[19], expected[149], expected[299]]


def test_uncovered_year_is_refused_with_a_clear_message(session):
    with pytest.raises(CalendarNotCovered) as err:
        workdays.add_workdays(date(2026, 12, 10), 20)
    assert err.value.year == 2027
    assert err.value.message == "2027年的节假日安排尚未录入，无法计算期限；请系统管理员在“节假日”中录入"
    with pytest.raises(CalendarNotCovered):
        workdays.is_workday(date(2027, 1, 4))
    with pytest.raises(CalendarNotCovered):
        workdays.workdays_between(date(2026, 12, 1), date(2027, 1, 5))
    # Within the covered year it still answers.
    assert workdays.add_workdays(date(2026, 12, 1), 20) == date(2026, 12, 29)


def test_latest_start_due_before_matches_every_deadline(session):
    cal = WorkCalendar()
    starts = [date(2025, 1, 1) + timedelta(days=i) for i in range(0, 640)]
    deadlines = {s: cal.add_workdays(s, 20) for s in starts}
    for offset in range(40, 600, 3):
        today = date(2025, 1, 1) + timedelta(days=offset)
        bound = cal.latest_start_due_before(today, 20)
        for s in starts:
            assert (deadlines[s] < today) is (s <= bound), (today, s)


def test_countdown_labels(session):
    due = date(2026, 10, 12)
    assert workdays.countdown(due, date(2026, 9, 30)).label == "剩余 4 个工作日"
    assert workdays.countdown(due, due).label == "今日到期"
    late = workdays.countdown(due, date(2026, 10, 14))
    assert (late.overdue, late.overdue_days, late.label, late.css) == (True, 2, "已逾期 2 个工作日", "err")
    friday = workdays.countdown(date(2026, 10, 16), date(2026, 10, 17))
    assert friday.overdue and friday.label == "已逾期"


def test_administrator_adds_a_year(session, org):
    admin = org.sysadmin
    for d in (date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3)):
        workdays.save_day(admin, d, DayKind.HOLIDAY, "元旦")
    with pytest.raises(CalendarNotCovered):
        workdays.add_workdays(date(2026, 12, 31), 1)
    workdays.set_year_covered(admin, 2027, True)
    assert workdays.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)
    workdays.save_day(admin, date(2027, 1, 4), DayKind.HOLIDAY, "元旦")
    assert workdays.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 5)
    workdays.delete_day(admin, date(2027, 1, 4))
    assert workdays.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)
    workdays.set_year_covered(admin, 2027, False)
    with pytest.raises(CalendarNotCovered):
        workdays.add_workdays(date(2026, 12, 31), 1)
    actions = session.query(AuditEvent).filter(AuditEvent.object_type.in_(["calendar_day", "calendar_year"])).count()
    assert actions == 7


def test_edit_rules(session, org):
    with pytest.raises(Invalid, match="本来就是工作日"):
        workdays.save_day(org.sysadmin, date(2026, 3, 2), DayKind.WORKDAY, "调休")
    with pytest.raises(Invalid, match="节日名称"):
        workdays.save_day(org.sysadmin, date(2026, 3, 2), DayKind.HOLIDAY, " ")
    with pytest.raises(Invalid, match="放假"):
        workdays.save_day(org.sysadmin, date(2026, 3, 2), "other", "x")
    with pytest.raises(Invalid, match="不在节假日安排中"):
        workdays.delete_day(org.sysadmin, date(2026, 3, 2))
    # A district's administrator and a clerk do not keep the national arrangement.
    for user in (org.sysadmin_b, org.clerk_a):
        with pytest.raises(Forbidden):
            workdays.save_day(user, date(2026, 3, 2), DayKind.HOLIDAY, "x")
        with pytest.raises(Forbidden):
            workdays.set_year_covered(user, 2027, True)


def test_seed_from_library(session, org):
    workdays.save_day(org.sysadmin, date(2026, 3, 2), DayKind.HOLIDAY, "地方假日")
    assert workdays.seed_from_library(org.sysadmin) == []  # covered years are left alone
    assert session.get(CalendarDay, date(2026, 3, 2)) is not None
    assert workdays.seed_from_library(org.sysadmin, years=[2026], replace=True) == [2026]
    assert session.get(CalendarDay, date(2026, 3, 2)) is None
    assert session.get(CalendarYear, 2026).source == "chinesecalendar"
    session.delete(session.get(CalendarYear, 2025))
    session.flush()
    assert workdays.seed_from_library() == [2025]
    with pytest.raises(Invalid, match="2027"):
        workdays.seed_from_library(years=[2027])
