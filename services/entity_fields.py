"""A market entity's fields (附录 A.3.1): the rule of each column, shared by the form and the import,
and the audit's subject type."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from infrastructure import clock, validators
from infrastructure.excel import parse_date as excel_parse_date
from infrastructure.validators import USCC_CHARSET, canonical_phone, normalize_uscc
from models.entity import CREDIT_GRADES, EntityStatus, EntityType

SUBJECT_TYPE = "market_entity"  # ProcessInstance.subject_type and AuditEvent.object_type


MAX_TAGS = 20


TAG_MAX_LENGTH = 30


class FieldError(ValueError):
    """A value the clerk must correct; ``message`` is shown next to the field or cell."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


TEXT_FORMAT = "请将该列设置为“文本”格式后重新填写原值"


SCI_NOTATION = "显示为科学计数法（如 9.1E+17），末几位已丢失；" + TEXT_FORMAT


_SCI = re.compile(r"[+-]?\d+(?:\.\d+)?[eE][+-]?\d+")


_SPACES = re.compile(r"[\s\u3000]+")


_FULL_WIDTH = {c: c - 0xFEE0 for c in range(ord("！"), ord("～") + 1)}


_USCC_RE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}")


_REG_NO_RE = re.compile(r"[0-9A-Za-z\u4e00-\u9fff()（）-]{6,30}")


_DIVISION_RE = re.compile(r"[1-9]\d{5}(?:\d{3}(?:\d{3})?)?")


_INDUSTRY_RE = re.compile(r"([A-T])?(\d{2,4})?")


_INDUSTRY_CODE = re.compile(r"[A-T]\d{2,4}")


_PHONE_SPLIT = re.compile(r"[、,，;；/／]+")


_TAG_SPLIT = re.compile(r"[、,，;；\s\u3000]+")


PHONE_RULE = validators.PHONE_RULE + "；多个号码用“、”分隔"


# GB/T 4754-2017 门类 and the 大类 (two-digit divisions) each covers.
INDUSTRY_SECTIONS: dict[str, tuple[str, int, int]] = {
    "A": ("农、林、牧、渔业", 1, 5),
    "B": ("采矿业", 6, 12),
    "C": ("制造业", 13, 43),
    "D": ("电力、热力、燃气及水生产和供应业", 44, 46),
    "E": ("建筑业", 47, 50),
    "F": ("批发和零售业", 51, 52),
    "G": ("交通运输、仓储和邮政业", 53, 60),
    "H": ("住宿和餐饮业", 61, 62),
    "I": ("信息传输、软件和信息技术服务业", 63, 65),
    "J": ("金融业", 66, 69),
    "K": ("房地产业", 70, 70),
    "L": ("租赁和商务服务业", 71, 72),
    "M": ("科学研究和技术服务业", 73, 75),
    "N": ("水利、环境和公共设施管理业", 76, 79),
    "O": ("居民服务、修理和其他服务业", 80, 82),
    "P": ("教育", 83, 83),
    "Q": ("卫生和社会工作", 84, 85),
    "R": ("文化、体育和娱乐业", 86, 90),
    "S": ("公共管理、社会保障和社会组织", 91, 96),
    "T": ("国际组织", 97, 97),
}


_SECTION_OF = {n: letter for letter, (_, lo, hi) in INDUSTRY_SECTIONS.items() for n in range(lo, hi + 1)}


_TYPE_LABELS = {t.label: t for t in EntityType}


_TYPE_ALIASES = {
    "个体户": EntityType.INDIVIDUAL,
    "个体": EntityType.INDIVIDUAL,
    "合作社": EntityType.COOPERATIVE,
    **{t.value: t for t in EntityType},  # what a form's select sends
}


_STATUS_LABELS = {s.label: s for s in EntityStatus}


_STATUS_ALIASES = {
    "在营": EntityStatus.ACTIVE,
    "开业": EntityStatus.ACTIVE,
    "在业": EntityStatus.ACTIVE,
    "在册": EntityStatus.ACTIVE,
    "存续（在营、开业、在册）": EntityStatus.ACTIVE,
    "吊销，未注销": EntityStatus.REVOKED,
    "吊销未注销": EntityStatus.REVOKED,
    "吊销，已注销": EntityStatus.CANCELLED,
    "吊销已注销": EntityStatus.CANCELLED,
    "已注销": EntityStatus.CANCELLED,
    "已迁出": EntityStatus.MOVED_OUT,
    **{s.value: s for s in EntityStatus},
}


def _fold(text: str) -> str:
    """Full-width ASCII (０-９, Ａ-Ｚ, －, （ …) to half-width."""
    return text.translate(_FULL_WIDTH)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def text_of(value: Any) -> str:
    """A cell or form value as stripped text (an integral float loses its ".0")."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _digits_of_number(value: Any, max_digits: int = 15) -> str:
    """An integral number cell as its digits, if no digit can have been lost (Excel keeps 15
    significant digits); else FieldError asking for a text column."""
    if isinstance(value, float) and not value.is_integer():
        raise FieldError("该单元格为数字格式，内容已改变；" + TEXT_FORMAT)
    digits = str(int(value))
    if len(digits) > max_digits or abs(value) >= 10**15:
        raise FieldError(SCI_NOTATION)
    return digits


def _code_text(value: Any) -> str:
    """The text of a code cell: folded, without spaces, upper-case; sci notation refused."""
    if type(value) is str and value.isascii() and value.isalnum():  # the usual case, fast
        text = value.upper()
        if text.isdigit() or not _SCI.fullmatch(text):
            return text
        raise FieldError(SCI_NOTATION)
    if _is_number(value):
        return _digits_of_number(value)
    text = _SPACES.sub("", _fold(text_of(value))).upper()
    if _SCI.fullmatch(text):
        raise FieldError(SCI_NOTATION)
    return text


class TextRule:
    """Plain text of at most ``max_length`` characters (the import inlines this rule)."""

    def __init__(self, max_length: int) -> None:
        self.max_length = max_length

    def __call__(self, value: Any) -> str:
        text = text_of(value)
        if len(text) > self.max_length:
            raise FieldError(self.too_long(text))
        return text

    def too_long(self, text: str) -> str:
        return f"不能超过{self.max_length}个字（现有{len(text)}个）"


def text_rule(max_length: int) -> TextRule:
    return TextRule(max_length)


parse_name = text_rule(200)


def parse_uscc(value: Any) -> str | None:
    """统一社会信用代码: 18 characters, GB 32100 check character.  A number cell is refused:
    18 digits exceed Excel's 15 significant digits (and letters cannot be numbers)."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and _USCC_RE.fullmatch(value):
        text = value
    elif _is_number(value):
        raise FieldError(
            SCI_NOTATION if abs(value) >= 10**15 else "该单元格为数字格式，代码可能已丢失位数；" + TEXT_FORMAT
        )
    else:
        text = normalize_uscc(_fold(text_of(value)))
        if not text:
            return None
        if _SCI.fullmatch(text):
            raise FieldError(SCI_NOTATION)
        if len(text) != 18:
            raise FieldError(f"应为18位（现为{len(text)}位）")
        bad = sorted({c for c in text if c not in USCC_CHARSET})
        if bad:
            raise FieldError("含有统一社会信用代码不使用的字符：" + "、".join(bad) + "（不使用 I、O、S、V、Z）")
        if not _USCC_RE.fullmatch(text):
            raise FieldError("格式不正确（第3–8位应为行政区划数字）")
    if _uscc_check(text) != text[17]:
        raise FieldError("校验码（第18位）不符，请核对是否有错字")
    return text


_USCC_VALUE = {c: i for i, c in enumerate(USCC_CHARSET)}


_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def _uscc_check(code: str) -> str:
    """validators.uscc_check_char without its per-call overhead (an import checks 100,000)."""
    total = sum(map(operator.mul, map(_USCC_VALUE.__getitem__, code[:17]), _USCC_WEIGHTS))
    return USCC_CHARSET[-total % 31]


def parse_reg_no(value: Any) -> str | None:
    """注册号: 6–30 letters, digits or Chinese characters (old registrations vary); a number
    cell is accepted only while it has at most 15 digits (exact in Excel)."""
    if value is None or value == "":
        return None
    text = _code_text(value)
    if not text:
        return None
    if not _REG_NO_RE.fullmatch(text):
        raise FieldError("应为6–30位数字或字母")
    return text


def _choice(value: Any, labels: Mapping[str, Any], aliases: Mapping[str, Any], what: str) -> Any:
    if type(value) is str and value in labels:
        return labels[value]
    text = _SPACES.sub("", text_of(value))
    if not text:
        return None
    found = labels.get(text) or aliases.get(text) or aliases.get(_fold(text).replace(",", "，"))
    if found is None:
        raise FieldError(f"“{text}”不是有效的{what}，应为：" + "、".join(labels))
    return found


def parse_entity_type(value: Any) -> EntityType | None:
    return _choice(value, _TYPE_LABELS, _TYPE_ALIASES, "主体类型")  # type: ignore[no-any-return]


def parse_status(value: Any) -> EntityStatus | None:
    return _choice(value, _STATUS_LABELS, _STATUS_ALIASES, "登记状态")  # type: ignore[no-any-return]


def parse_division(value: Any) -> str:
    """行政区划编码: 6 (county), 9 (township) or 12 (village) digits."""
    text = _code_text(value)
    if text and not _DIVISION_RE.fullmatch(text):
        raise FieldError("应为6位、9位或12位数字")
    return text


def parse_industry(value: Any) -> str:
    """国民经济行业代码 (GB/T 4754-2017): a section letter and 2–4 digits ("F5211"); the letter
    is added when only digits are given ("5211" → "F5211")."""
    if type(value) is str and _INDUSTRY_CODE.fullmatch(value):  # "F5211": the usual case, fast
        section = _SECTION_OF.get(int(value[1:3]))
        if section == value[0]:
            return value
    if _is_number(value):
        if isinstance(value, float) and not value.is_integer() or not 1000 <= value <= 9999:
            raise FieldError("该单元格为数字格式，开头的0可能已丢失；" + TEXT_FORMAT)
        text = str(int(value))
    else:
        text = _code_text(value)
    if not text:
        return ""
    m = _INDUSTRY_RE.fullmatch(text)
    if not m:
        raise FieldError("应为门类字母加2–4位数字，如 F5211")
    letter, digits = m.group(1), m.group(2) or ""
    if digits:
        section = _SECTION_OF.get(int(digits[:2]))
        if section is None:
            raise FieldError(f"没有“{digits[:2]}”这个行业大类")
        if letter and letter != section:
            raise FieldError(f"门类字母不符：{digits[:2]}大类属于{section}门类")
        letter = section
    return letter + digits


def parse_date(value: Any) -> date | None:
    """A date cell, an Excel serial number (45296 → 2024-01-05), or text: 2024-01-05,
    2024/1/5, 2024.1.5, 20240105, 2024年1月5日 (infrastructure.excel.parse_date).  Not later than
    today."""
    if type(value) is not date:
        try:
            value = excel_parse_date(value)
        except ValueError as exc:
            raise FieldError(str(exc)) from None
        if value is None:
            return None
    if value > clock.china_today():
        raise FieldError("不能晚于今天")
    return value


def parse_capital(value: Any) -> Decimal | None:
    """注册资本 in 万元: a number (commas, "万元" and "¥" tolerated), at most 6 decimals."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise FieldError("应为数字（单位：万元）")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        text = re.sub(r"[\s,，]", "", _fold(text_of(value)))
        text = re.sub(r"^(?:人民币|¥|￥)", "", text)
        text = re.sub(r"(?:\(?万元\)?|万|（万元）)(?:人民币)?$", "", text)
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise FieldError("应为数字（单位：万元），如 100 或 35.5") from None
    if not number.is_finite() or number < 0:
        raise FieldError("应为不小于0的数字（单位：万元）")
    if number >= Decimal(10) ** 12:
        raise FieldError("数额过大，请确认单位为万元")
    if number.as_tuple().exponent < -6:  # type: ignore[operator]
        raise FieldError("最多保留6位小数（单位：万元）")
    return number


def normalize_phone(value: Any) -> str:
    """Up to three phone numbers in their canonical form (infrastructure.validators.canonical_phone:
    13812345678, 028-86123456-801, 400-820-8820) joined by 、; FieldError when one is not a
    phone number."""
    if value is None or value == "":
        return ""
    if _is_number(value):
        text = _digits_of_number(value)
        if canonical_phone(text) is None:  # a number cell cannot hold an area code's 0
            raise FieldError("该单元格为数字格式，固定电话区号开头的0已丢失；" + TEXT_FORMAT)
    elif type(value) is str and (phone := canonical_phone(value)) == value:
        return phone  # already canonical: the usual case, fast
    else:
        text = _fold(text_of(value)).translate({ord(c): "-" for c in "—–﹣‐"})
    if not text:
        return ""
    parts = [p for p in _PHONE_SPLIT.split(text) if p.strip()]
    out: list[str] = []
    for part in parts:
        phone = canonical_phone(part)
        if phone is None:
            # "028-86123456 13812345678": numbers separated by spaces only
            pieces = [canonical_phone(p) for p in part.split()]
            if len(pieces) < 2 or None in pieces:
                raise FieldError(PHONE_RULE)
            out.extend(p for p in pieces if p)
        else:
            out.append(phone)
    if len(out) > 3:
        raise FieldError("最多填写3个号码")
    joined = "、".join(dict.fromkeys(out))
    if len(joined) > 60:
        raise FieldError("号码过长")
    return joined


def parse_grade(value: Any) -> str | None:
    text = _fold(text_of(value)).upper().removesuffix("级").strip()
    if not text:
        return None
    if text not in CREDIT_GRADES:
        raise FieldError("应为 A、B、C、D、E 之一")
    return text


def parse_tags(value: Any) -> list[str]:
    """Tags separated by 、 , ； or spaces; each at most 30 characters, at most 20."""
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        parts = [text_of(v) for v in value]
    else:
        parts = _TAG_SPLIT.split(text_of(value))
    tags: list[str] = []
    for part in parts:
        if part and part not in tags:
            tags.append(part)
    for tag in tags:
        if len(tag) > TAG_MAX_LENGTH:
            raise FieldError(f"标签“{tag[:10]}…”超过{TAG_MAX_LENGTH}个字")
    if len(tags) > MAX_TAGS:
        raise FieldError(f"最多{MAX_TAGS}个标签")
    return tags


@dataclass(frozen=True)
class EntityField:
    """One field of the registry: its form label / column title, the titles other systems
    use for the same column, the rule, and how the template formats it."""

    key: str
    title: str
    parse: Callable[[Any], Any]
    required: bool = False
    aliases: tuple[str, ...] = ()
    width: int = 16
    text: bool = False
    choices: tuple[str, ...] = ()
    internal: bool = False  # the credit-risk grade: never on a public page


FIELDS: tuple[EntityField, ...] = (
    EntityField("name", "主体名称", parse_name, True, ("企业名称", "名称", "市场主体名称", "企业（机构）名称"), 36),
    EntityField("uscc", "统一社会信用代码", parse_uscc, False, ("社会信用代码", "信用代码"), 22, True),
    EntityField("reg_no", "注册号", parse_reg_no, False, ("工商注册号", "营业执照注册号"), 18, True),
    EntityField(
        "entity_type", "主体类型", parse_entity_type, True, ("市场主体类型", "类型"), 16,
        choices=tuple(t.label for t in EntityType),
    ),
    EntityField(
        "legal_rep", "法定代表人（负责人）", text_rule(100), False,
        ("法定代表人", "负责人", "经营者", "法定代表人/负责人", "法定代表人(负责人)", "投资人"), 14,
    ),
    EntityField("domicile", "住所", text_rule(255), False, ("注册地址", "住所地"), 36),
    EntityField("business_address", "经营场所", text_rule(255), False, ("经营地址", "实际经营地址"), 36),
    EntityField("division_code", "行政区划编码", parse_division, True, ("行政区划代码", "区划代码"), 16, True),
    EntityField("division_name", "行政区划名称", text_rule(100), False, ("行政区划", "所属区县"), 16),
    EntityField(
        "industry_code", "行业代码", parse_industry, False,
        ("国民经济行业代码", "国民经济行业分类代码", "行业分类代码"), 12, True,
    ),
    EntityField("industry_name", "行业名称", text_rule(100), False, ("国民经济行业", "国民经济行业分类", "所属行业"), 20),
    EntityField("business_scope", "经营范围", text_rule(4000), False, (), 40),
    EntityField(
        "status", "登记状态", parse_status, True, ("经营状态", "企业状态", "状态"), 12,
        choices=tuple(s.label for s in EntityStatus),
    ),
    EntityField("established_on", "成立日期", parse_date, False, ("成立时间", "注册日期"), 14),
    EntityField(
        "registered_capital", "注册资本（万元）", parse_capital, False,
        ("注册资本", "注册资金（万元）", "注册资金", "注册资本(万元)"), 14,
    ),
    EntityField("phone", "联系电话", normalize_phone, False, ("电话", "联系方式"), 18, True),
    EntityField("tags", "标签", parse_tags, False, (), 20),
    EntityField(
        "credit_grade", "信用风险等级", parse_grade, False, ("信用风险分类", "风险等级", "信用风险分类等级"), 12,
        choices=CREDIT_GRADES, internal=True,
    ),
    EntityField(
        "credit_grade_source", "等级来源", text_rule(100), False, ("信用风险等级来源",), 20, internal=True
    ),
    EntityField("credit_grade_on", "评定日期", parse_date, False, ("等级评定日期",), 14, internal=True),
)


FIELD_BY_KEY = {f.key: f for f in FIELDS}


TITLE = {f.key: f.title for f in FIELDS}


REQUIRED_KEYS = tuple(f.key for f in FIELDS if f.required)


# Stored columns (tags live in their own table).
COLUMN_KEYS = tuple(f.key for f in FIELDS if f.key != "tags")


ONE_OF = ("uscc", "reg_no")


ONE_OF_MESSAGE = "统一社会信用代码和注册号至少填写一项"


def parse_fields(raw: Mapping[str, Any], keys: Iterable[str] | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """Apply the rules to ``raw`` (by field key); return (values, {key: message}).

    Blank required fields are reported, as is a row with neither 统一社会信用代码 nor 注册号.
    """
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key in keys or FIELD_BY_KEY:
        spec = FIELD_BY_KEY[key]
        try:
            value = spec.parse(raw.get(key))
        except FieldError as exc:
            errors[key] = exc.message
            continue
        if spec.required and value in (None, ""):
            errors[key] = "必填"
            continue
        values[key] = value
    if not values.get("uscc") and not values.get("reg_no") and "uscc" not in errors and "reg_no" not in errors:
        errors["uscc"] = ONE_OF_MESSAGE
    if values.get("credit_grade_on") and not values.get("credit_grade") and "credit_grade" not in errors:
        errors["credit_grade"] = "填写了评定日期，请同时填写信用风险等级"
    return values, errors
