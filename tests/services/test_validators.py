"""infrastructure.validators: mainland mobile and landline numbers, GB 11643 ID numbers, accounts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from infrastructure import clock
from infrastructure.validators import (
    MOBILE_RULE,
    canonical_phone,
    id_number_check_char,
    normalize_id_number,
    normalize_mobile,
    parse_mobile,
    valid_account,
    valid_id_number,
    valid_mobile,
    valid_phone,
)


@pytest.mark.parametrize(
    "value",
    [
        "11010519491231002X",  # the example of GB 11643-1999
        "11010519491231002x",  # a lower-case check character is accepted
        "440524188001010014",
        "510104199001011230",
    ],
)
def test_valid_id_numbers(value):
    assert valid_id_number(value)


@pytest.mark.parametrize(
    "value,why",
    [
        ("110105194912310021", "wrong check digit"),
        ("11010519491231002", "17 characters"),
        ("1101051949123100211", "19 characters"),
        ("110105194913310026", "month 13"),
        ("110105194902300027", "30 February"),
        ("01010519491231002X", "leading zero"),
        ("1101051949123100X2", "X not last"),
        ("110105 19491231002X", "space inside"),
        ("", "empty"),
        ("110105491231002", "old 15-digit number"),
    ],
)
def test_invalid_id_numbers(value, why):
    assert not valid_id_number(value), why


def test_birth_date_in_the_future_is_invalid():
    born = (clock.china_today() + timedelta(days=1)).strftime("%Y%m%d")
    first17 = "510104" + born + "123"
    assert not valid_id_number(first17 + id_number_check_char(first17))
    past = "510104" + "20000229" + "123"
    assert valid_id_number(past + id_number_check_char(past))


def test_check_character_covers_x_and_every_digit():
    assert id_number_check_char("11010519491231002") == "X"
    assert id_number_check_char("44052418800101001") == "4"


@pytest.mark.parametrize("value", ["13812345678", "19912345678", "14700000000"])
def test_valid_mobiles(value):
    assert valid_mobile(value)


@pytest.mark.parametrize(
    "value",
    ["12812345678", "1381234567", "138123456789", "+8613812345678", "138-1234-5678", "", "1381234567x"],
)
def test_invalid_mobiles(value):
    assert not valid_mobile(value)


def test_normalizers_drop_spaces_and_hyphens():
    assert normalize_mobile(" 138 1234-5678\u3000") == "13812345678"
    assert normalize_id_number(" 11010519491231002x ") == "11010519491231002X"
    assert normalize_mobile(None) == ""


@pytest.mark.parametrize(
    "typed",
    ["+86 138-0000-0021", "0086-13800000021", "138 0000 0021", "+86(138)0000 0021", "＋８６ １３８０００００021",
     "0086 138—0000—0021", "13800000021"],
)
def test_one_mobile_normaliser_takes_the_country_prefix_spaces_and_dashes(typed):
    assert normalize_mobile(typed) == "13800000021"
    assert parse_mobile(typed) == "13800000021"
    assert canonical_phone(typed) == "13800000021"  # the phone columns read mobiles the same way


@pytest.mark.parametrize(
    "typed", ["+86 128-0000-0021", "0086-1380000002", "86 138 0000 0021x", "+85 138 0000 0021", "+86", "0138 0000 0021"]
)
def test_parse_mobile_refuses_what_is_not_a_mobile_in_chinese(typed):
    with pytest.raises(ValueError, match="应为11位大陆手机号码") as err:
        parse_mobile(typed)
    assert str(err.value) == MOBILE_RULE


def test_parse_mobile_leaves_a_blank_blank():
    assert parse_mobile("  ") == "" and parse_mobile(None) == ""


@pytest.mark.parametrize(
    "value,ok",
    [
        ("abcd", True),
        ("a.b-c_1", True),
        ("abc", False),
        ("张三abcd", False),
        ("a" * 64, True),
        ("a" * 65, False),
        ("ab cd", False),
    ],
)
def test_accounts(value, ok):
    assert valid_account(value) is ok


class TestUscc:
    def test_known_codes(self):
        from infrastructure.validators import valid_uscc

        # published codes of well-known organisations
        for code in ("91350100M000100Y43", "911100001000079554", "91110000600037341L"):
            assert valid_uscc(code), code

    def test_check_character_is_verified(self):
        from infrastructure.validators import uscc_check_char, valid_uscc

        code = "91350100M000100Y43"
        wrong = code[:17] + ("0" if code[17] != "0" else "1")
        assert not valid_uscc(wrong)
        assert uscc_check_char(code[:17]) == "3"

    def test_shape(self):
        from infrastructure.validators import valid_uscc

        for bad in ("", "123", "91350100M000100Y4", "91350100M000100Y433", "9135O100M000100Y43", "91350100m000100y43"):
            assert not valid_uscc(bad), bad

    def test_normalize(self):
        from infrastructure.validators import normalize_uscc

        assert normalize_uscc(" ９１350100m000100y43 ") == "91350100M000100Y43"
        assert normalize_uscc(None) == ""


# ------------------------------------------------------------------ telephone numbers


@pytest.mark.parametrize(
    ("value", "canonical"),
    [
        ("13812345678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("028-86123456", "028-86123456"),  # 02x: 8-digit local numbers
        ("02886123456", "028-86123456"),
        ("010-62345678", "010-62345678"),
        ("0817-2234567", "0817-2234567"),  # 0xxx: 7 or 8 digits
        ("0755-82345678", "0755-82345678"),
        ("（028）8612 3456转801", "028-86123456-801"),
        ("4008208820", "400-820-8820"),
    ],
)
def test_canonical_phone(value, canonical):
    assert canonical_phone(value) == canonical and valid_phone(value)


@pytest.mark.parametrize(
    "value",
    [
        "028-12345678",  # a local number beginning with 1 (110, 114, 12345 … are short codes)
        "0755-12345678",
        "0817-1234567",
        "028-02345678",  # 0 is the trunk prefix, never the start of a local number
        "028-8612345",  # Chengdu numbers have 8 digits
        "010-6234567",
        "028-86123456-1234567",  # an extension has at most 6 digits
        "12345",
        "",
    ],
)
def test_landline_local_numbers_do_not_begin_with_0_or_1(value):
    assert canonical_phone(value) is None and not valid_phone(value)
