"""Cell values: dates, decimals, choices, codes; each column kind's forgiving parser."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from infrastructure.excel.upload import DATE_RULE, NUMBER_RULE, SCI_NOTATION
from infrastructure.excel.workbooks import Column, cell_text

# ------------------------------------------------------------------ cell values

_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 (Excel's 1900 date system)
_DATE_PATTERNS = (
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{1,2}(?::\d{1,2}(?:\.\d+)?)?)?"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)
_SCI = re.compile(r"[+-]?\d+(?:\.\d+)?[eE][+-]?\d+")
_FULL_WIDTH = {c: c - 0xFEE0 for c in range(ord("！"), ord("～") + 1)}


def fold_width(text: str) -> str:
    """Full-width ASCII (０-９, －, ／ …) to half-width; the ideographic space to a space."""
    return text.translate(_FULL_WIDTH).replace("\u3000", " ")


def _checked_date(y: int, m: int, d: int, text: str) -> date:
    try:
        value = date(y, m, d)
    except ValueError:
        raise ValueError(f"日期不存在：{text}") from None
    if not 1900 <= value.year <= 2100:
        raise ValueError(f"日期超出合理范围：{text}")
    return value


def _serial_date(number: float) -> date:
    if number != number or number < 1:
        raise ValueError(DATE_RULE)
    if number.is_integer() and 19000101 <= number <= 21001231:  # 20240105 typed as a number
        text = str(int(number))
        return _checked_date(int(text[:4]), int(text[4:6]), int(text[6:]), text)
    if number.is_integer() and 1900 <= number <= 2100:
        raise ValueError("日期不完整，请填写年月日，如 2026-01-31")
    if number > 2958465:  # 9999-12-31
        raise ValueError(DATE_RULE)
    value = _EXCEL_EPOCH + timedelta(days=int(number))
    return _checked_date(value.year, value.month, value.day, value.isoformat())


def parse_date(value: Any) -> date | None:
    """A date from a date or datetime cell, an Excel serial number (45292 → 2024-01-01) or a
    string: 2024-01-05, 2024/1/5, 2024.1.5, 20240105, 2024年1月5日.  Blank → None; anything
    else raises ValueError with a message for the user."""
    if value is None:
        return None
    if value.__class__ is str and len(value) == 10 and value[4] == "-" == value[7] and value.isascii():
        try:  # the usual 2024-01-05, fast (an import or an exchange reads 100,000s)
            day = date.fromisoformat(value)
        except ValueError:
            pass  # the general reading below says what is wrong
        else:
            if 1900 <= day.year <= 2100:
                return day
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise ValueError(DATE_RULE)
    if isinstance(value, int | float):
        return _serial_date(float(value))
    if isinstance(value, time | timedelta):
        raise ValueError("应为日期，不能只有时间")
    text = fold_width(str(value)).strip()
    if not text:
        return None
    for pattern in _DATE_PATTERNS:
        m = pattern.fullmatch(text)
        if m:
            return _checked_date(int(m.group(1)), int(m.group(2)), int(m.group(3)), text)
    if re.fullmatch(r"\d{5}(?:\.\d+)?", text):  # a serial number that arrived as text (CSV)
        return _serial_date(float(text))
    raise ValueError(DATE_RULE)


def parse_decimal(value: Any) -> Decimal | None:
    """A Decimal from a number cell or a string ("1,234.50", "１２.５", "￥30"); blank → None;
    anything else raises ValueError."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(NUMBER_RULE)
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        return Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))  # the shortest text that round-trips: 0.1, not 0.1000000000000000055
    else:
        text = re.sub(r"[\s,，]", "", fold_width(str(value))).lstrip("¥￥")
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(NUMBER_RULE) from None
    if not number.is_finite():
        raise ValueError(NUMBER_RULE)
    return number


_CHOICE_SEPARATORS = re.compile(r"[、,，;；/／\s]+")


@functools.lru_cache(maxsize=256)
def _allowed(choices: tuple[str, ...]) -> dict[str, str]:
    """Each choice by its folded form (no spaces, half-width)."""
    return {re.sub(r"\s+", "", fold_width(c)): c for c in choices}


def parse_enum(value: Any, choices: Sequence[str], *, multiple: bool = False) -> str | None:
    """One of ``choices`` (spaces and full-width forms tolerated); with ``multiple`` several,
    separated by 、 , ； or spaces, returned joined by 、 in the order given.  Blank → None;
    anything else raises ValueError naming the choices."""
    allowed = _allowed(choices if isinstance(choices, tuple) else tuple(choices))
    if not multiple and value.__class__ is str and value in allowed:
        return allowed[value]  # already folded, as most values come
    text = re.sub(r"\s+", "" if not multiple else " ", fold_width(str(value if value is not None else ""))).strip()
    if not text:
        return None
    listed = "、".join(choices)
    if not multiple:
        if text in allowed:
            return allowed[text]
        raise ValueError(f"应为以下之一：{listed}")
    picked: list[str] = []
    for part in _CHOICE_SEPARATORS.split(text):
        if not part:
            continue
        if part not in allowed:
            raise ValueError(f"“{part}”不是可选项（可选：{listed}，多项用“、”分隔）")
        if allowed[part] not in picked:
            picked.append(allowed[part])
    return "、".join(picked) or None


def _plain_text(value: Any) -> str:
    if value.__class__ is str:  # the common case first: this runs for every cell
        return value.strip()
    return cell_text(value)


def _code_text(value: Any) -> str:
    """The text of a code column; a number that lost digits, or never was text, is refused."""
    if value.__class__ is str:
        text = value.strip()
        if ("E" in text or "e" in text) and _SCI.fullmatch(text):
            raise ValueError(SCI_NOTATION)
        return text
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        if isinstance(value, float) and (value != value or abs(value) >= 1e15):
            raise ValueError(SCI_NOTATION)
        if isinstance(value, int) and abs(value) >= 10**15:
            raise ValueError(SCI_NOTATION)
        if isinstance(value, float) and not value.is_integer():
            raise ValueError("该列应为文本格式（以数字格式保存后内容已改变）")
        return str(int(value))
    if isinstance(value, date | time | timedelta):
        raise ValueError("该列应为文本格式（单元格被识别为日期或时间）")
    text = str(value).strip()
    if _SCI.fullmatch(text):
        raise ValueError(SCI_NOTATION)
    return text


@dataclass(frozen=True)
class _Rule:
    normalize: Callable[[str], str]
    valid: Callable[[str], bool]
    message: str


def validator_rules() -> dict[str, _Rule]:
    """The validated column kinds (mobile, ID number, …) and their rules (infrastructure/validators)."""
    from infrastructure import validators as v

    return {
        "uscc": _Rule(v.normalize_uscc, v.valid_uscc, "统一社会信用代码不正确（应为18位，须通过校验位校验）"),
        "id_number": _Rule(v.normalize_id_number, v.valid_id_number, "身份证号不正确（应为18位，末位校验码须正确）"),
        "mobile": _Rule(v.normalize_mobile, v.valid_mobile, v.MOBILE_RULE),
        "phone": _Rule(v.normalize_phone, v.valid_phone, v.PHONE_RULE),
        "division": _Rule(
            lambda s: re.sub(r"\s", "", fold_width(s)), v.valid_division_code, "应为6位、9位或12位数字的行政区划代码"
        ),
        "uscc_or_id": _Rule(
            v.normalize_uscc,
            lambda s: v.valid_uscc(s) or v.valid_id_number(s),
            "应为18位统一社会信用代码（组织）或身份证号码（个人），须通过校验位校验",
        ),
    }


def converter(col: Column, rules: dict[str, _Rule]) -> Callable[[Any], Any]:
    """The function that turns one raw cell of ``col`` into its value, or raises ValueError."""
    parse: Callable[[Any], Any]
    if col.kind == "date":
        parse = parse_date
    elif col.kind == "decimal":
        parse = parse_decimal
    else:
        to_text = _code_text if col.text else _plain_text
        rule = rules.get(col.kind)
        choices, multiple = tuple(col.choices), col.multiple

        def parse(value: Any) -> str:
            text = to_text(value)
            if not text:
                return ""
            if choices:
                return parse_enum(text, choices, multiple=multiple) or ""
            if rule is None:
                return text
            normalized = rule.normalize(text)
            if not rule.valid(normalized):
                hint = ""
                if isinstance(value, int | float) and not isinstance(value, bool):
                    hint = "；该单元格为数字格式，开头的0或末几位可能已丢失，请设为文本格式后重新填写"
                raise ValueError(rule.message + hint)
            return normalized

    if not col.required:
        return parse

    def required(value: Any) -> Any:
        result = parse(value)
        if result is None or result == "":
            raise ValueError("必填")
        return result

    return required
