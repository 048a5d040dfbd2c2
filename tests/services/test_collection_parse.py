"""services/collection/parse.py: the bad input of issue 15 — codes, ID numbers, dates, amounts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from services.collection.parse import (
    FieldError,
    parse_amount,
    parse_choice,
    parse_date,
    parse_id_number,
    parse_reg_no,
    parse_uscc,
    parse_year,
)
from services.validators import id_number_check_char, uscc_check_char

U = "91510108MA6D00001" + uscc_check_char("91510108MA6D00001")
ID = "11010519491231002X"


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


def test_uscc_is_folded_and_its_check_character_checked():
    assert parse_uscc(U.lower()) == U
    assert parse_uscc(full_width(U)) == U
    assert parse_uscc(f" {U[:9]} {U[9:]} ") == U
    assert parse_uscc("") is None and parse_uscc(None) is None
    wrong = U[:17] + ("0" if U[17] != "0" else "1")
    with pytest.raises(FieldError, match="校验码"):
        parse_uscc(wrong)
    with pytest.raises(FieldError, match="科学计数法"):
        parse_uscc(9.15101087112345e17)  # an 18-digit code stored as a number
    with pytest.raises(FieldError, match="不使用 I、O、S、V、Z"):
        parse_uscc("91510108MA6D0000O1")


def test_registration_number_as_a_number_cell_is_exact_below_15_digits():
    assert parse_reg_no(510108000012345.0) == "510108000012345"
    assert parse_reg_no(full_width("510108000012345")) == "510108000012345"


def test_id_number_check_digit_case_width_and_numbers():
    assert parse_id_number(ID.lower()) == ID
    assert parse_id_number(full_width(ID)) == ID
    assert parse_id_number("110105 19491231 002x") == ID
    with pytest.raises(FieldError, match="校验码"):
        parse_id_number(ID[:17] + "1")
    with pytest.raises(FieldError, match="科学计数法"):
        parse_id_number(1.1010519491231e17)
    with pytest.raises(FieldError, match="18位"):
        parse_id_number("1101051949123")
    with pytest.raises(FieldError, match="出生日期"):
        parse_id_number("11010519490230002" + id_number_check_char("11010519490230002"))


def test_a_first_generation_15_digit_number_is_converted():
    # 110105491231002 → 11010519491231002 + check digit
    assert parse_id_number(110105491231002) == ID
    assert parse_id_number("110105491231002") == ID


@pytest.mark.parametrize(
    "value",
    ["2026-01-05", "2026/1/5", "2026年1月5日", "2026.1.5", "20260105", 46027, 46027.0, "46027",
     datetime(2026, 1, 5, 0, 0), date(2026, 1, 5), "２０２６－０１－０５"],
)
def test_dates_in_every_style_and_as_serials(value):
    assert parse_date(value) == date(2026, 1, 5)


def test_bad_dates_are_refused_in_chinese():
    with pytest.raises(FieldError, match="日期不存在"):
        parse_date("2026-02-30")
    with pytest.raises(FieldError):
        parse_date("明天")
    assert parse_date("") is None


@pytest.mark.parametrize(
    "value, yuan",
    [
        ("50万元", Decimal("500000.00")),
        ("500,000.00", Decimal("500000.00")),
        ("伍拾万", Decimal("500000.00")),
        ("伍拾万元整", Decimal("500000.00")),
        ("人民币伍拾万元", Decimal("500000.00")),
        ("壹仟贰佰叁拾肆元伍角陆分", Decimal("1234.56")),
        ("一亿二千万零五元", Decimal("120000005.00")),
        ("拾万", Decimal("100000.00")),
        ("5.5万", Decimal("55000.00")),
        ("￥３，０００", Decimal("3000.00")),
        (500000, Decimal("500000.00")),
        (1234.5, Decimal("1234.50")),
        ("0", Decimal("0.00")),
    ],
)
def test_amounts_in_three_styles(value, yuan):
    assert parse_amount(value) == yuan


def test_amounts_in_ten_thousands_convert_a_written_unit_only():
    assert parse_amount("50万元", unit="万元", places=6) == Decimal("50")
    assert parse_amount("伍拾万", unit="万元", places=6) == Decimal("50")
    assert parse_amount("100", unit="万元", places=6) == Decimal("100")
    assert parse_amount("500000元", unit="万元", places=6) == Decimal("50")


@pytest.mark.parametrize("value, message", [("-5", "负数"), ("五十块", "中文大写"), ("1.234", "2位小数"), (True, "金额")])
def test_bad_amounts(value, message):
    with pytest.raises(FieldError, match=message):
        parse_amount(value)


def test_year_and_choice():
    assert parse_year("2025年") == 2025 and parse_year(2025.0) == 2025 and parse_year("") is None
    with pytest.raises(FieldError, match="四位年份"):
        parse_year("25")
    assert parse_choice(" 有 效 ", ("有效", "注销")) == "有效"
    with pytest.raises(FieldError, match="有效、注销"):
        parse_choice("作废", ("有效", "注销"))
