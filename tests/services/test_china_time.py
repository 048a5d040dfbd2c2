"""infrastructure/clock.py: stored UTC, shown and counted in China time.  The clock is frozen at 23:30
UTC (07:30 the next morning in China): every "today" is the China date and every time shown is
China time."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest

from infrastructure import clock, validators
from models import utcnow
from services import deadlines, entity_fields, followup_rules, inspector_search, ledgers, plan_queries
from services import inspection_prep as prep
from tests.factories.clock import CHINA_DAY, CHINA_TEXT, LATE_EVENING, freeze


def test_the_clock_at_2330_utc_is_the_next_morning_in_china(app, monkeypatch):
    freeze(monkeypatch)
    assert clock.utcnow() == LATE_EVENING and utcnow() == LATE_EVENING  # what is stored stays UTC
    assert clock.china_now() == datetime(2026, 11, 4, 7, 30)
    assert clock.china_today() == CHINA_DAY
    with app.app_context():
        assert plan_queries.today() == CHINA_DAY  # deadlines, ledgers, statistics
        assert deadlines.today() == CHINA_DAY
        assert followup_rules.today() == CHINA_DAY
        assert app.jinja_env.filters["dt"](LATE_EVENING) == CHINA_TEXT


def test_conversions_and_paper_dates():
    assert clock.to_china(datetime(2026, 3, 4, 16, 0)) == datetime(2026, 3, 5, 0, 0)
    assert clock.from_china(datetime(2026, 3, 5, 0, 0)) == datetime(2026, 3, 4, 16, 0)
    assert clock.china_day_start(date(2026, 3, 5)) == datetime(2026, 3, 4, 16, 0)
    assert clock.china_date(datetime(2026, 3, 4, 16, 0)) == date(2026, 3, 5)
    assert clock.china_date(date(2026, 3, 4)) == date(2026, 3, 4)  # a calendar day is not shifted
    assert clock.cn_date(datetime(2026, 3, 4, 17, 5)) == "2026年3月5日"
    assert clock.cn_date(date(2026, 3, 4)) == "2026年3月4日"
    assert clock.cn_datetime(datetime(2026, 3, 4, 17, 5)) == "2026年3月5日 01:05"
    assert clock.format_china(None) == "" and clock.cn_date(None) == ""


def test_a_time_typed_in_china_is_stored_as_utc():
    assert prep.parse_datetime("2026-11-04T07:00", "inspected_at", "检查时间") == datetime(2026, 11, 3, 23, 0)
    assert prep.parse_datetime("2026-11-04 07:00", "notified_at", "告知时间") == datetime(2026, 11, 3, 23, 0)


def test_not_later_than_today_means_the_china_date(app, monkeypatch):
    freeze(monkeypatch)
    tomorrow = CHINA_DAY + timedelta(days=1)
    # a birth date in an ID number, an entity's dates, a ledger's 填报日期
    first17 = "51010820261104" + "123"
    assert validators.valid_id_number(first17 + validators.id_number_check_char(first17))
    later17 = "51010820261105" + "123"
    assert not validators.valid_id_number(later17 + validators.id_number_check_char(later17))
    assert entity_fields.parse_date("2026-11-04") == CHINA_DAY
    with pytest.raises(entity_fields.FieldError, match="不能晚于今天"):
        entity_fields.parse_date(tomorrow.isoformat())
    with app.app_context():
        _values, errors = ledgers.check_values({"经营者/名称": "张三便利店", "填报日期": "2026-11-04"})
        assert errors == []
        _values, errors = ledgers.check_values({"经营者/名称": "张三便利店", "填报日期": tomorrow.isoformat()})
        assert errors == [("填报日期", "填报日期不能晚于今天（2026-11-04）")]


def test_a_certificate_valid_from_today_in_china_is_valid(monkeypatch):
    freeze(monkeypatch)
    cert = SimpleNamespace(cert_no="51010800001", cert_valid_from=CHINA_DAY, cert_valid_to=CHINA_DAY)
    assert inspector_search.cert_state(cert) == "expiring"  # valid today, not "not yet valid", not expired
