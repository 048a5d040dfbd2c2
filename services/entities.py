"""The entity registry (市场主体库): field rules, search, and the create/update/delete verbs.

Field rules are plain functions ``parse_<field>(raw) -> value`` that raise ``FieldError`` with
a message for the clerk.  The web form and the Excel/CSV import (services/entity_import.py)
use the same ones, so a value the form refuses is refused in a file too.

Which registry an entity belongs to (``MarketEntity.department_id``) follows from its
division code: the deepest 区/市 node of the actor's area whose region code covers it (a
district clerk may only register divisions of their district; a city clerk's entity lands in
the district of its division, or in the city's own registry).  Changing an entity's division
moves it between registries of the actor's area.

Searching 1,000,000 rows (see bench/entities.py for the figures):

* 统一社会信用代码 and 注册号 are exact matches on unique indexes.
* A name is searched as a prefix (``name >= 'x' AND name < 'y'``) on the name index.  A
  "contains" search (``LIKE '%x%'``) cannot use a b-tree index and reads every candidate
  row, so it runs only when the other filters leave at most SCAN_LIMIT rows (a capped count
  on the indexes decides, in a few milliseconds); otherwise it falls back to a prefix search
  and the page says why.  The business-scope keyword follows the same rule.  A trigram index
  (pg_trgm) would lift this on PostgreSQL but not on SQLite; the rule keeps both alike.
* Division and industry codes are prefixes too, served by the composite index (division,
  industry, grade, …), which with the name index also covers the scope column: a page's ids
  and the count are read from an index, then only the page's rows are fetched.
* Pages are keyset pages on the id (newest first): the next page is ``id < last id``, so
  page 5,000 costs what page 1 costs.  The total is counted up to COUNT_CAP + 1 rows and
  shown as "10000+" beyond; counting a million rows to print one number is not worth it.

Nothing here commits; every change writes an audit row.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import selectinload

from models import AuditEvent, Department, EntityTag, MarketEntity, ProcessInstance, User, db, utcnow
from models.entity import CREDIT_GRADES, EntityStatus, EntityType
from models.org import DepartmentLevel
from models.roles import Role
from services import audit, clock, validators
from services.bulk import insert_rows
from services.errors import Conflict, Forbidden, Invalid
from services.excel import parse_date as excel_parse_date
from services.org import region_root
from services.scope import scope_entities, scope_instances
from services.validators import USCC_CHARSET, canonical_phone, normalize_uscc

SUBJECT_TYPE = "market_entity"  # ProcessInstance.subject_type and AuditEvent.object_type
VIEW_ROLES = (Role.CLERK, Role.DEPT_LEADER, Role.INSPECTOR)
EDIT_ROLES = (Role.CLERK,)
PER_PAGE = 20
COUNT_CAP = 10_000
# A "contains" search reads every candidate row: at most this many (about 0.1 s on SQLite).
SCAN_LIMIT = 20_000
NAME_LEAD_LIMIT = 5_000
MAX_TAGS = 20
TAG_MAX_LENGTH = 30


class FieldError(ValueError):
    """A value the clerk must correct; ``message`` is shown next to the field or cell."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ------------------------------------------------------------------ field rules

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
    2024/1/5, 2024.1.5, 20240105, 2024年1月5日 (services.excel.parse_date).  Not later than
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
    """Up to three phone numbers in their canonical form (services.validators.canonical_phone:
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


# ------------------------------------------------------------------ registries (ownership)


def region_prefix(code: str) -> str:
    """The prefix a region code stands for: 510100 → 5101 (a city), 510108 → 510108,
    510108001000 → 510108001; "" for no code."""
    code = (code or "").strip()
    while len(code) > 6 and code.endswith("000"):
        code = code[:-3]
    while len(code) > 2 and len(code) <= 6 and code.endswith("00"):
        code = code[:-2]
    return code


class Registries:
    """The registries (区/市 nodes) of an actor's area and the division codes each covers."""

    def __init__(self, actor: User) -> None:
        self.root = region_root(actor.department)
        nodes = db.session.execute(
            select(Department.id, Department.region_code, Department.path, Department.name).where(
                Department.path.startswith(self.root.path),
                Department.level.in_((DepartmentLevel.DISTRICT, DepartmentLevel.CITY)),
            )
        ).all()
        self.root_prefix = region_prefix(self.root.region_code)
        self._names = sorted((n.region_code, n.name) for n in nodes if n.region_code)
        # Longest prefix first: a district wins over its city.
        self._nodes = sorted(
            ((region_prefix(n.region_code), n.id) for n in nodes if n.id != self.root.id and n.region_code),
            key=lambda t: -len(t[0]),
        )
        self.ids = {self.root.id} | set(
            db.session.execute(select(Department.id).where(Department.path.startswith(self.root.path))).scalars()
        )
        self._cache: dict[str, int | None] = {}

    def owner(self, division_code: str) -> int | None:
        """The registry for a division code, or None when it lies outside the area."""
        if division_code in self._cache:
            return self._cache[division_code]
        found: int | None = None
        if division_code.startswith(self.root_prefix):
            found = next((ident for prefix, ident in self._nodes if division_code.startswith(prefix)), self.root.id)
        self._cache[division_code] = found
        return found

    def choices(self) -> list[tuple[str, str]]:
        """(region code, name) of the registries, for a division filter's suggestions."""
        return self._names

    def outside_message(self, division_code: str) -> str:
        return f"行政区划编码 {division_code} 不在本辖区（{self.root.name}，{self.root_prefix}）范围内"


# ------------------------------------------------------------------ permissions


def can_view(actor: User) -> bool:
    return actor.has_role(*VIEW_ROLES)


def can_edit(actor: User) -> bool:
    """监管部门经办人 maintain the registry (一单两库); leaders and inspectors read it."""
    return actor.has_role(*EDIT_ROLES)


def _require_edit(actor: User) -> None:
    if not can_edit(actor):
        raise Forbidden("只有监管部门经办人可以维护市场主体库")


# ------------------------------------------------------------------ search


@dataclass
class EntityFilters:
    name: str = ""
    contains: bool = False  # name (and scope keyword) anywhere, not only as a prefix
    code: str = ""  # 统一社会信用代码 or 注册号, exact
    division: str = ""  # prefix
    industry: str = ""  # prefix
    entity_type: EntityType | None = None
    status: EntityStatus | None = None
    grade: str = ""
    tag: str = ""
    scope_keyword: str = ""  # 经营范围
    problems: list[str] = field(default_factory=list)
    scan_allowed: bool | None = None  # see _scan_allowed
    name_leads: bool | None = None  # see _name_leads

    def as_args(self) -> dict[str, Any]:
        """The filters as query-string arguments (for page links)."""
        args = {
            "name": self.name,
            "contains": "1" if self.contains else "",
            "code": self.code,
            "division": self.division,
            "industry": self.industry,
            "type": self.entity_type.value if self.entity_type else "",
            "status": self.status.value if self.status else "",
            "grade": self.grade,
            "tag": self.tag,
            "scope": self.scope_keyword,
        }
        return {k: v for k, v in args.items() if v}

    @property
    def any(self) -> bool:
        return bool(self.as_args())


def parse_filters(args: Mapping[str, Any]) -> EntityFilters:
    """Read list filters from request arguments; malformed values are dropped with a note."""
    f = EntityFilters(
        name=(args.get("name") or "").strip()[:100],
        contains=args.get("contains") in ("1", "on", "true"),
        tag=(args.get("tag") or "").strip()[:TAG_MAX_LENGTH],
        scope_keyword=(args.get("scope") or "").strip()[:50],
    )
    code = normalize_uscc(args.get("code") or "")
    if code:
        f.code = code[:30]
    division = re.sub(r"\s", "", args.get("division") or "")
    if division:
        if division.isdigit() and len(division) <= 12:
            f.division = division
        else:
            f.problems.append("行政区划编码应为数字（可只填开头几位），已忽略该条件")
    industry = re.sub(r"\s", "", args.get("industry") or "").upper()
    if industry:
        try:
            f.industry = parse_industry(industry)
        except FieldError:
            f.problems.append("行业代码应为门类字母或数字开头（如 F、F52、5211），已忽略该条件")
    etype = args.get("type") or ""
    if etype in {t.value for t in EntityType}:
        f.entity_type = EntityType(etype)
    status = args.get("status") or ""
    if status in {s.value for s in EntityStatus}:
        f.status = EntityStatus(status)
    grade = (args.get("grade") or "").upper()
    if grade in CREDIT_GRADES:
        f.grade = grade
    return f


def _successor(prefix: str) -> str | None:
    """The smallest string greater than every string that starts with ``prefix``."""
    last = ord(prefix[-1])
    if last >= 0x10FFFF:
        return None
    return prefix[:-1] + chr(last + 1)


def starts_with(column: Any, prefix: str) -> Any:
    """``column LIKE 'prefix%'`` as a range, which a b-tree index serves on SQLite and on
    PostgreSQL (the columns are bytewise there, see models/entity.py)."""
    upper = _successor(prefix)
    return and_(column >= prefix, column < upper) if upper else column >= prefix


def entity_query(actor: User, filters: EntityFilters, *, for_count: bool = False) -> Select[Any]:
    """The actor's registries, filtered (no order, no page).  Filters that would scan the
    whole registry are refused with a note in ``filters.problems``.

    The result is the same for a page and for its count, but not the plan: with a name prefix
    the query steers the planner (see _name_leads).  ``for_count`` asks for the count's plan.
    """
    scoped = scope_entities(select(MarketEntity), actor)
    query = _structured(scoped, filters)
    wants_scan = bool(filters.name and filters.contains or filters.scope_keyword)
    scan_ok = wants_scan and _scan_allowed(query, filters)
    if filters.name:
        if filters.contains and scan_ok:
            query = query.where(MarketEntity.name.icontains(filters.name, autoescape=True))
        elif _name_leads(scoped, filters):
            query = _structured(scoped, filters, codes_indexed=False)
            query = query.where(starts_with(MarketEntity.name, filters.name))
        else:
            # A prefix most names share: a page is found faster in id order than on the
            # name index, a count faster on the (covering) name index.
            name = MarketEntity.name if for_count else MarketEntity.name + ""
            query = query.where(starts_with(name, filters.name))
    if filters.scope_keyword and scan_ok:
        query = query.where(MarketEntity.business_scope.icontains(filters.scope_keyword, autoescape=True))
    return query


def _structured(query: Select[Any], filters: EntityFilters, *, codes_indexed: bool = True) -> Select[Any]:
    """The filters that indexes serve.  ``codes_indexed=False`` writes the division and
    industry ranges as ``code || ''``, which no index serves, so the planner uses another."""

    def code(column: Any) -> Any:
        return column if codes_indexed else column + ""

    if filters.code:
        query = query.where(or_(MarketEntity.uscc == filters.code, MarketEntity.reg_no == filters.code))
    if filters.division:
        query = query.where(starts_with(code(MarketEntity.division_code), filters.division))
    if filters.industry:
        query = query.where(starts_with(code(MarketEntity.industry_code), filters.industry))
    if filters.grade:
        query = query.where(MarketEntity.credit_grade == filters.grade)
    if filters.entity_type:
        query = query.where(MarketEntity.entity_type == filters.entity_type)
    if filters.status:
        query = query.where(MarketEntity.status == filters.status)
    if filters.tag:
        query = query.where(
            MarketEntity.id.in_(select(EntityTag.entity_id).where(EntityTag.tag == filters.tag))
        )
    return query


def _name_leads(scoped: Select[Any], filters: EntityFilters) -> bool:
    """Whether a name prefix is selective enough to lead the search: at most NAME_LEAD_LIMIT
    names of the area start with it (counted on the name index, in milliseconds).  Planners,
    SQLite's above all, cannot tell 成都锦城 (a few names) from 成都 (most of them): left alone
    they walk a whole district on the division index and read every row's name."""
    if filters.name_leads is None:
        _n, capped = count_entities(scoped.where(starts_with(MarketEntity.name, filters.name)), cap=NAME_LEAD_LIMIT)
        filters.name_leads = not capped
    return filters.name_leads


def _scan_allowed(query: Select[Any], filters: EntityFilters) -> bool:
    """Whether the other filters leave few enough rows for a LIKE '%x%' scan; if not, say so
    (the decision is kept on ``filters`` so that the page and its count agree)."""
    if filters.scan_allowed is None:
        n, capped = count_entities(query, cap=SCAN_LIMIT)
        filters.scan_allowed = not capped
        if capped:
            what = []
            if filters.name and filters.contains:
                what.append("“名称包含”")
            if filters.scope_keyword:
                what.append("经营范围关键字")
            fallback = "已按名称开头查询" if filters.name and filters.contains else ""
            if filters.scope_keyword:
                fallback += ("，" if fallback else "") + "已忽略经营范围关键字"
            filters.problems.append(
                "、".join(what) + f"查询逐条比对，最多在{SCAN_LIMIT}个主体中进行；当前其他条件下超过{n}个，"
                f"请先用行政区划、行业、信用风险等级或标签缩小范围（{fallback}）"
            )
    return filters.scan_allowed


@dataclass
class EntityPage:
    items: list[MarketEntity]
    has_next: bool
    has_prev: bool
    total: int
    capped: bool  # more than COUNT_CAP: show "10000+"
    per_page: int = PER_PAGE

    @property
    def next_after(self) -> int | None:
        return self.items[-1].id if self.items and self.has_next else None

    @property
    def prev_before(self) -> int | None:
        return self.items[0].id if self.items and self.has_prev else None

    @property
    def total_label(self) -> str:
        return f"{COUNT_CAP}+" if self.capped else str(self.total)


def count_entities(query: Select[Any], cap: int = COUNT_CAP) -> tuple[int, bool]:
    """How many rows ``query`` yields, counting no further than ``cap`` + 1."""
    limited = query.with_only_columns(MarketEntity.id).order_by(None).limit(cap + 1).subquery()
    n = db.session.execute(select(func.count()).select_from(limited)).scalar_one()
    return min(n, cap), n > cap


def search_entities(
    actor: User,
    filters: EntityFilters,
    *,
    after: int | None = None,
    before: int | None = None,
    per_page: int = PER_PAGE,
    count: bool = True,
) -> EntityPage:
    """One keyset page of the actor's registries, newest first, with the capped total."""
    query = entity_query(actor, filters)
    # Two steps in one statement: the page's ids from the indexes alone (they cover the filter
    # and scope columns), then those rows.  Sorting a district's 100,000 ids is cheap; sorting
    # its 100,000 rows is not.
    ids = query.with_only_columns(MarketEntity.id)
    if before is not None:
        ids = ids.where(MarketEntity.id > before).order_by(MarketEntity.id.asc())
    else:
        if after is not None:
            ids = ids.where(MarketEntity.id < after)
        ids = ids.order_by(MarketEntity.id.desc())
    rows = list(
        db.session.execute(
            select(MarketEntity)
            .where(MarketEntity.id.in_(ids.limit(per_page + 1).scalar_subquery()))
            .options(selectinload(MarketEntity.tags))
            .order_by(MarketEntity.id.desc())
        ).scalars()
    )
    if before is not None:
        has_prev = len(rows) > per_page
        items = rows[-per_page:] if has_prev else rows
        has_next = True
    else:
        has_next = len(rows) > per_page
        items = rows[:per_page]
        has_prev = after is not None
    total, capped = count_entities(entity_query(actor, filters, for_count=True)) if count else (0, False)
    return EntityPage(items, has_next, has_prev, total, capped, per_page)


# ------------------------------------------------------------------ create, update, delete, tags


def _check_unique(values: Mapping[str, Any], entity: MarketEntity | None) -> None:
    for key in ("uscc", "reg_no"):
        value = values.get(key)
        if not value:
            continue
        column = getattr(MarketEntity, key)
        query = select(MarketEntity.id, MarketEntity.name).where(column == value)
        if entity is not None:
            query = query.where(MarketEntity.id != entity.id)
        other = db.session.execute(query).first()
        if other is not None:
            raise Invalid(f"{TITLE[key]} {value} 已登记（{other.name}），不能重复登记", field=key)


def _clean(actor: User, raw: Mapping[str, Any], entity: MarketEntity | None) -> tuple[dict[str, Any], int]:
    values, errors = parse_fields(raw)
    if errors:
        key, message = next(iter(errors.items()))
        raise Invalid(message, field=key)
    registries = Registries(actor)
    owner = registries.owner(values["division_code"])
    if owner is None:
        raise Invalid(registries.outside_message(values["division_code"]), field="division_code")
    _check_unique(values, entity)
    return values, owner


def _display(value: Any) -> Any:
    if isinstance(value, EntityType | EntityStatus):
        return value.label
    if isinstance(value, date | Decimal):
        return str(value)
    return value


def create_entity(actor: User, raw: Mapping[str, Any]) -> MarketEntity:
    """登记 one entity from form values (raw strings by field key)."""
    _require_edit(actor)
    values, owner = _clean(actor, raw, None)
    tags = values.pop("tags", [])
    entity = MarketEntity(**values, department_id=owner)
    entity.tags = [EntityTag(tag=t) for t in tags]
    db.session.add(entity)
    db.session.flush()
    audit.record(
        "create",
        object_type=SUBJECT_TYPE,
        object_id=entity.id,
        summary={"名称": entity.name, "统一社会信用代码": entity.uscc or "", "注册号": entity.reg_no or ""},
        user=actor,
    )
    return entity


def _normalised(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value.normalize()
    return value


def update_entity(actor: User, entity: MarketEntity, raw: Mapping[str, Any]) -> dict[str, list[Any]]:
    """修改: every field from the form (a blank field clears it); returns the changes."""
    _require_edit(actor)
    values, owner = _clean(actor, raw, entity)
    tags = values.pop("tags", None)
    changes: dict[str, list[Any]] = {}
    for key in COLUMN_KEYS:
        new = values.get(key)
        old = getattr(entity, key)
        if _normalised(old) != _normalised(new):
            changes[TITLE[key]] = [_display(old), _display(new)]
            setattr(entity, key, new)
    if entity.department_id != owner:
        new_registry = db.session.get(Department, owner)
        changes["所属主体库"] = [entity.department.name, new_registry.name if new_registry else ""]
        entity.department = new_registry  # type: ignore[assignment]
    if tags is not None:
        old_tags = entity.tag_names
        if old_tags != sorted(tags):
            _replace_tags(entity, tags)
            changes["标签"] = ["、".join(old_tags), "、".join(sorted(tags))]
    if changes:
        entity.updated_at = utcnow()  # also when only the tags changed
        db.session.flush()
        audit.record("update", object_type=SUBJECT_TYPE, object_id=entity.id, summary=changes, user=actor)
    return changes


def _replace_tags(entity: MarketEntity, tags: list[str]) -> None:
    wanted = set(tags)
    entity.tags = [t for t in entity.tags if t.tag in wanted] + [
        EntityTag(tag=t) for t in tags if t not in {x.tag for x in entity.tags}
    ]


def set_tags(actor: User, entity: MarketEntity, raw: Any) -> list[str]:
    """Replace an entity's tags (标签维护); returns the new list."""
    _require_edit(actor)
    try:
        tags = parse_tags(raw)
    except FieldError as exc:
        raise Invalid(exc.message, field="tags") from None
    old = entity.tag_names
    if sorted(tags) != old:
        _replace_tags(entity, tags)
        db.session.flush()
        db.session.refresh(entity, ["tags"])
        audit.record(
            "update",
            object_type=SUBJECT_TYPE,
            object_id=entity.id,
            summary={"标签": ["、".join(old), "、".join(entity.tag_names)]},
            user=actor,
        )
    return entity.tag_names


def linked_instances_query(actor: User, entity: MarketEntity) -> Select[Any]:
    return scope_instances(
        select(ProcessInstance).where(
            ProcessInstance.subject_type == SUBJECT_TYPE, ProcessInstance.subject_id == entity.id
        ),
        actor,
    ).order_by(ProcessInstance.id.desc())


def delete_refusal(entity: MarketEntity) -> str:
    """Why an entity cannot be deleted, or "" (any process that names it keeps it)."""
    n = db.session.execute(
        select(func.count())
        .select_from(ProcessInstance)
        .where(ProcessInstance.subject_type == SUBJECT_TYPE, ProcessInstance.subject_id == entity.id)
    ).scalar_one()
    if n:
        return f"该主体已被{n}个业务流程引用，不能删除；如已注销或迁出，请修改其登记状态"
    from models.draws import TaskObject

    drawn = db.session.execute(
        select(func.count(func.distinct(TaskObject.task_id))).where(TaskObject.entity_id == entity.id)
    ).scalar_one()
    if drawn:
        return f"该主体已被{drawn}个抽查任务随机抽取为检查对象，抽取记录须保留，不能删除；如已注销或迁出，请修改其登记状态"
    return ""


def delete_entity(actor: User, entity: MarketEntity) -> None:
    """删除 an entity and its tags (refused while a process refers to it)."""
    _require_edit(actor)
    refusal = delete_refusal(entity)
    if refusal:
        raise Conflict(refusal)
    summary = {"名称": entity.name, "统一社会信用代码": entity.uscc or "", "注册号": entity.reg_no or ""}
    ident = entity.id
    from services.libraries import forget_entity

    forget_entity(ident)  # its memberships of supervised-object libraries
    db.session.delete(entity)  # its tags go with it (cascade)
    db.session.flush()
    audit.record("delete", object_type=SUBJECT_TYPE, object_id=ident, summary=summary, user=actor)


def history(entity: MarketEntity, limit: int = 20) -> list[AuditEvent]:
    """The latest audit rows about an entity (newest first)."""
    return list(
        db.session.execute(
            select(AuditEvent)
            .where(AuditEvent.object_type == SUBJECT_TYPE, AuditEvent.object_id == str(entity.id))
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        ).scalars()
    )


def add_tags_bulk(
    pairs: Iterable[tuple[int, str]], new_ids: frozenset[int] | set[int] = frozenset()
) -> list[tuple[int, str]]:
    """Insert the (entity id, tag) pairs not yet present, for imports; ``new_ids`` are
    entities created in the same run (they have no tags yet).  Returns the pairs added."""
    pairs_list = list(dict.fromkeys(pairs))
    if not pairs_list:
        return []
    existing: set[tuple[int, str]] = set()
    ids = sorted({e for e, _ in pairs_list if e not in new_ids})
    for i in range(0, len(ids), 500):
        existing.update(
            (row.entity_id, row.tag)
            for row in db.session.execute(
                select(EntityTag.entity_id, EntityTag.tag).where(EntityTag.entity_id.in_(ids[i : i + 500]))
            )
        )
    fresh = [pair for pair in pairs_list if pair not in existing]
    insert_rows(EntityTag.__table__, ("entity_id", "tag"), fresh)
    return fresh
