"""Field normalisers of collected facts (信息归集), one per kind of value, shared by the online
forms, the imports and the data exchange (docs/collection.md).

Each takes what a form, a cell or an exchanged record holds (text, a number cell, a date cell)
and returns the normalised value, None for a blank, or raises FieldError with a Chinese message
for the person who must correct it.  Codes reuse services/entity_fields.py (the registry's own
rules), dates infrastructure/excel (one reading of 2026-01-05, 2026/1/5, 2026年1月5日 and serials).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from infrastructure import validators
from infrastructure.excel import parse_date as excel_parse_date
from infrastructure.excel import parse_enum
from services.entity_fields import SCI_NOTATION, FieldError, parse_reg_no, parse_uscc, text_of

__all__ = [
    "FieldError",
    "parse_amount",
    "parse_choice",
    "parse_date",
    "parse_id_number",
    "parse_reg_no",
    "parse_text",
    "parse_uscc",
    "parse_year",
]

_FULL_WIDTH = {c: c - 0xFEE0 for c in range(ord("！"), ord("～") + 1)}
_SPACES = re.compile(r"[\s\u3000]+")


def _fold(text: str) -> str:
    return _SPACES.sub("", text.translate(_FULL_WIDTH))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


# ------------------------------------------------------------------ 居民身份证号码 (GB 11643)


def parse_id_number(value: Any) -> str | None:
    """An 18-character ID number with its check digit (upper-case X).  Lower case, spaces and
    full-width characters are folded; a first-generation 15-digit number is converted (19 added
    to the year, check digit computed).  A number cell of 18 digits has lost its last ones in
    Excel (15 significant digits) and is refused."""
    if value is None or value == "":
        return None
    if _is_number(value):
        if isinstance(value, float) and not value.is_integer() or abs(value) >= 10**15:
            raise FieldError(SCI_NOTATION)
        text = str(int(value))
    else:
        text = _fold(text_of(value)).upper()
    if not text:
        return None
    if re.fullmatch(r"\d+(?:\.\d+)?E\+?\d+", text):
        raise FieldError(SCI_NOTATION)
    if re.fullmatch(r"\d{15}", text):
        body = text[:6] + "19" + text[6:]
        text = body + validators.id_number_check_char(body)
    if len(text) != 18:
        raise FieldError(f"身份证号应为18位（现为{len(text)}位）")
    if not re.fullmatch(r"\d{17}[\dX]", text):
        raise FieldError("身份证号前17位应为数字，第18位为数字或X")
    if validators.id_number_check_char(text[:17]) != text[17]:
        raise FieldError("身份证号校验码（第18位）不符，请核对是否有错字")
    if not validators.valid_id_number(text):
        raise FieldError("身份证号中的出生日期不存在或晚于今天")
    return text


# ------------------------------------------------------------------ dates


def parse_date(value: Any) -> date | None:
    """A date cell or datetime, an Excel serial (46027 → 2026-01-05) or text: 2026-01-05,
    2026/1/5, 2026.1.5, 20260105, 2026年1月5日."""
    try:
        return excel_parse_date(value)
    except ValueError as exc:
        raise FieldError(str(exc)) from None


def parse_year(value: Any) -> int | None:
    """A year such as 2025 (年报年度); "2025年" and a number cell are accepted."""
    if value is None or value == "":
        return None
    if _is_number(value):
        if isinstance(value, float) and not value.is_integer():
            raise FieldError("年度应为四位年份，如 2025")
        year = int(value)
    else:
        text = _fold(text_of(value)).removesuffix("年度").removesuffix("年")
        if not text:
            return None
        if not text.isdigit():
            raise FieldError("年度应为四位年份，如 2025")
        year = int(text)
    if not 1900 <= year <= 2100:
        raise FieldError("年度应为四位年份，如 2025")
    return year


# ------------------------------------------------------------------ amounts

_CN_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "三": 3, "叁": 3, "四": 4, "肆": 4,
    "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9,
}
_CN_SMALL = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_CHARS = set(_CN_DIGITS) | set(_CN_SMALL) | set("万萬亿億")
_AMOUNT_RULE = "金额应为数字（如 500000、500,000.00、50万元）或中文大写（如 伍拾万元）"


def _cn_section(text: str) -> int:
    """A number below 万 in Chinese numerals: 三千零五十, 拾伍, 伍."""
    total, digit = 0, None
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_SMALL:
            total += (1 if digit is None else digit) * _CN_SMALL[ch]
            digit = None
        else:
            raise ValueError(ch)
    return total + (digit or 0)


def _cn_integer(text: str) -> int:
    """A whole number in Chinese numerals, with 万 and 亿 sections: 伍拾万, 一亿二千万零五."""
    total, section = 0, ""
    for ch in text:
        if ch in "亿億":
            total = (total + _cn_section(section)) * 10**8
            section = ""
        elif ch in "万萬":
            total += _cn_section(section) * 10**4
            section = ""
        else:
            section += ch
    return total + _cn_section(section)


def _cn_amount(text: str) -> Decimal:
    """Chinese capital numerals in 元: 伍拾万元整, 壹仟贰佰元伍角, 叁万元."""
    text = text.removesuffix("整").removesuffix("正")
    jiao = fen = 0
    m = re.fullmatch(r"(.*?)(?:[元圆](?:(.)角)?(?:(.)分)?)?", text)
    if m is None or not m.group(1) and not (m.group(2) or m.group(3)):
        raise ValueError(text)
    integer = m.group(1).rstrip("零")
    if m.group(2):
        jiao = _CN_DIGITS[m.group(2)]
    if m.group(3):
        fen = _CN_DIGITS[m.group(3)]
    whole = _cn_integer(integer) if integer else 0
    return Decimal(whole) + Decimal(jiao) / 10 + Decimal(fen) / 100


def _amount_in_yuan(text: str) -> tuple[Decimal, bool]:
    """(the amount, whether its unit was written): "50万元" → (500000, True), "500,000.00" →
    (500000.00, False), "伍拾万" → (500000, True)."""
    text = re.sub(r"^(?:人民币|RMB|CNY|¥|￥)", "", text.replace(",", "").replace("，", ""), flags=re.IGNORECASE)
    text = text.removeprefix("¥").removeprefix("￥")
    if text and set(text) - set("元圆角分整正") <= _CN_CHARS and set(text) & _CN_CHARS:
        return _cn_amount(text), True
    m = re.fullmatch(r"([+-]?\d+(?:\.\d+)?)(万元|万|元|圆)?(?:整)?(?:人民币)?", text)
    if m is None:
        raise ValueError(text)
    number = Decimal(m.group(1))
    unit = m.group(2)
    if unit in ("万元", "万"):
        return number * 10000, True
    return number, unit is not None


def parse_amount(value: Any, *, unit: str = "元", places: int = 2) -> Decimal | None:
    """An amount in ``unit`` (元 or 万元), not negative: a number cell, "500,000.00", "50万元",
    "¥500000", "伍拾万元整".  A bare number is read in ``unit``; a written unit is converted
    ("50万元" is 500000 in 元 and 50 in 万元)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise FieldError(_AMOUNT_RULE)
    if _is_number(value):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    elif (value.__class__ is str and value.isascii() and value.replace(".", "", 1).isdigit()
          and value[0] != "." != value[-1]):
        number = Decimal(value)  # plain digits such as 500000.00, fast: as the general reading below
    else:
        text = _fold(text_of(value))
        if not text:
            return None
        try:
            yuan, explicit = _amount_in_yuan(text)
        except (ValueError, InvalidOperation, KeyError):
            raise FieldError(_AMOUNT_RULE) from None
        number = yuan / 10000 if explicit and unit == "万元" else yuan
    if not number.is_finite():
        raise FieldError(_AMOUNT_RULE)
    if number < 0:
        raise FieldError("金额不能为负数")
    if number >= Decimal(10) ** (16 - places):
        raise FieldError(f"金额过大，请确认单位为{unit}")
    quantum = Decimal(1).scaleb(-places)
    if number != number.quantize(quantum):
        raise FieldError(f"金额最多保留{places}位小数（单位：{unit}）")
    return number.quantize(quantum)


# ------------------------------------------------------------------ text and choices


def parse_text(value: Any, max_length: int) -> str:
    text = text_of(value)
    if len(text) > max_length:
        raise FieldError(f"不能超过{max_length}个字（现有{len(text)}个）")
    return text


def parse_choice(value: Any, choices: Sequence[str]) -> str | None:
    """One of ``choices``; spaces and full-width forms tolerated."""
    try:
        return parse_enum(value, choices)
    except ValueError as exc:
        raise FieldError(str(exc)) from None

