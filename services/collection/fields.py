"""What a fact kind declares (FactKind, FactField) and how one record is checked against it.

A record is a mapping from field keys (the online form, the data exchange) or column titles
(an import row) to raw values; ``FactKind.check`` turns it into normalised values or Chinese
errors per field, with the same rules whichever way the record came in (docs/collection.md).
The subject columns (统一社会信用代码, 注册号, 市场主体名称; 姓名 and 身份证号 of a person) are
shared by every kind and only identify the subject: services/collection/match.py finds it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cached_property, partial
from typing import Any

from infrastructure.clock import china_today
from models.roles import Role
from services.collection import parse as p
from services.collection.parse import FieldError

Rule = Callable[[Mapping[str, Any]], list[tuple[str, str]]]


class Subject(StrEnum):
    """Whom a kind's facts concern."""

    ENTITY = "entity"  # a market entity
    ENTITY_OR_PERSON = "entity_or_person"  # one of the two (惩戒)
    ENTITY_AND_PERSON = "entity_and_person"  # a person's office in an entity (人员)
    OPTIONAL_ENTITY = "optional_entity"  # an address, perhaps of an entity (集群注册地址)


@dataclass(frozen=True)
class FactField:
    """One field: its model attribute, its Chinese label (the form's and the template's), its parser."""

    key: str
    label: str
    parse: Callable[[Any], Any]
    required: bool = False
    input: str = "text"  # text | textarea | date | amount | choice | code | year (the form's widget)
    choices: tuple[str, ...] = ()
    width: int = 16
    note: str = ""
    default: Any = None

    def read(self, record: Mapping[str, Any]) -> Any:
        """The raw value: by key (forms, exchange) or by label (an import row)."""
        if self.key in record:
            return record[self.key]
        return record.get(self.label)


def text(key: str, label: str, max_length: int = 200, **kw: Any) -> FactField:
    return FactField(key, label, partial(p.parse_text, max_length=max_length), **kw)


def long_text(key: str, label: str, **kw: Any) -> FactField:
    return FactField(key, label, partial(p.parse_text, max_length=2000), input="textarea", width=30, **kw)


def day(key: str, label: str, **kw: Any) -> FactField:
    return FactField(key, label, p.parse_date, input="date", width=14, **kw)


def amount(key: str, label: str, unit: str = "元", **kw: Any) -> FactField:
    places = 2 if unit == "元" else 6
    note = kw.pop("note", f"单位：{unit}；可填 500000、500,000.00、50万元 或 伍拾万元")
    return FactField(key, label, partial(p.parse_amount, unit=unit, places=places), input="amount", note=note, **kw)


def choice(key: str, label: str, choices: Sequence[str], **kw: Any) -> FactField:
    return FactField(key, label, partial(p.parse_choice, choices=tuple(choices)), input="choice",
                     choices=tuple(choices), **kw)


def code(key: str, label: str, parse: Callable[[Any], Any], **kw: Any) -> FactField:
    return FactField(key, label, parse, input="code", width=22, **kw)


def parse_uscc_or_id(value: Any) -> str | None:
    """A shareholder's 证件号码: an ID number (natural person) or a 统一社会信用代码."""
    folded = p.parse_text(value, 30).upper()
    if not folded:
        return None
    if folded[:17].isdigit() and len(folded) in (15, 18):
        try:
            return p.parse_id_number(value)
        except FieldError:
            pass
    try:
        return p.parse_uscc(value)
    except FieldError:
        raise FieldError("应为18位身份证号（自然人股东）或统一社会信用代码（单位股东），须通过校验位校验") from None


def is_id_number(value: str | None) -> bool:
    return bool(value) and len(value or "") == 18 and (value or "")[:17].isdigit()


# The subject's identifiers (match.py): one set for every kind.
USCC = code("uscc", "统一社会信用代码", p.parse_uscc, note="18位，文本格式")
REG_NO = code("reg_no", "注册号", p.parse_reg_no, note="无统一社会信用代码的老登记主体填写")
ENTITY_NAME = text("entity_name", "市场主体名称", 200, width=30)
PERSON_NAME = text("person_name", "姓名", 50, width=10)
ID_NUMBER = code("id_number", "身份证号", p.parse_id_number, note="18位居民身份证号码，文本格式")
ENTITY_FIELDS = (ENTITY_NAME, USCC, REG_NO)
PERSON_FIELDS = (PERSON_NAME, ID_NUMBER)
ENTITY_KEYS = ("uscc", "reg_no", "entity_name")

# Roles that may read the confidential kinds (惩戒、投诉举报、司法涉诉): the staff of
# government departments, not a 第三方合作机构 nor an interface client.
STAFF_ROLES = (Role.CLERK, Role.DEPT_LEADER, Role.INSPECTOR, Role.CONFERENCE_OFFICE, Role.MEMBER_LIAISON,
               Role.LEADING_DEPARTMENT)


@dataclass(slots=True)
class Checked:
    """A record checked against its kind: normalised ``values`` (subject identifiers too) or
    ``errors`` (field key → Chinese message)."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors

    def error(self, key: str, message: str) -> None:
        self.errors.setdefault(key, message)


@dataclass(frozen=True)
class FactKind:
    """One kind of collected fact (FACT_KINDS in kinds.py)."""

    name: str  # "permit": URLs, PendingFact.kind, the import kind's suffix
    label: str  # 行政许可
    group: str  # the seed's category: 许可信息, 处罚信息, 监管信息, 惩戒信息, 预警信息, 其他信息
    model: type
    fields: tuple[FactField, ...]
    natural_key: tuple[str, ...]  # field keys; "@subject" is the matched entity or person
    date_field: str | None  # the timeline's date (None: the received time)
    title_field: str  # what names one fact in a list
    subject: Subject = Subject.ENTITY
    confidential: bool = False
    rules: tuple[Rule, ...] = ()

    @cached_property
    def subject_fields(self) -> tuple[FactField, ...]:
        if self.subject == Subject.ENTITY_AND_PERSON:
            return (*ENTITY_FIELDS, *PERSON_FIELDS)
        if self.subject == Subject.ENTITY_OR_PERSON:
            return (*ENTITY_FIELDS, FactField("person_name", "自然人姓名", PERSON_NAME.parse,
                                              note="失信主体为自然人时填写"), ID_NUMBER)
        return ENTITY_FIELDS

    @cached_property
    def all_fields(self) -> tuple[FactField, ...]:
        return (*self.subject_fields, *self.fields)

    @cached_property
    def _plan(self) -> tuple[tuple[str, str, Callable[[Any], Any], bool, Any], ...]:
        """What ``check_generic`` reads of each field, once: key, label, parser, required, default."""
        return tuple((f.key, f.label, f.parse, f.required, f.default) for f in self.all_fields)

    @cached_property
    def _compiled(self) -> Callable[[Mapping[str, Any], date | None], Checked]:
        from services.collection.compiled import compile_check

        return compile_check(self, Checked, check_subject, china_today)

    @property
    def table(self) -> str:
        return str(self.model.__tablename__)  # type: ignore[attr-defined]

    def field(self, key: str) -> FactField:
        return next(f for f in self.all_fields if f.key == key)

    def visible_to(self, user: Any) -> bool:
        """Whether ``user`` may read facts of this kind (the confidential kinds: staff only)."""
        return not self.confidential or user.has_role(*STAFF_ROLES)

    def check(self, record: Mapping[str, Any], today: date | None = None) -> Checked:
        """Normalise every field, then the subject and the kind's rules (``today``: the China
        date "not in the future" is judged by, taken now when not given).  Compiled per kind
        (services/collection/compiled.py): the same result as ``check_generic``, faster."""
        return self._compiled(record, today)

    def check_many(self, records: Sequence[Mapping[str, Any]]) -> list[Checked]:
        """``check`` of every record, judged against one "today"."""
        check, today = self._compiled, china_today()
        return [check(r, today) for r in records]

    def check_generic(self, record: Mapping[str, Any]) -> Checked:
        """The definition of ``check``: every field through its parser, then the subject and
        the rules."""
        out = Checked()
        values, errors = out.values, out.errors
        for key, label, parse, required, default in self._plan:  # FactField.read, inlined: 100,000s of rows
            try:
                value = parse(record[key] if key in record else record.get(label))
            except FieldError as exc:
                errors.setdefault(key, exc.message)
                continue
            if value is None or value == "":
                if default is not None:
                    value = default
                if required and (value is None or value == ""):
                    errors.setdefault(key, "必填")
                    continue
            values[key] = value
        check_subject(self, out.values, out.errors)
        for rule in self.rules:  # a field that failed its parser is absent: its rules keep quiet
            for key, message in rule(out.values):
                out.error(key, message)
        return out



def check_subject(kind: FactKind, v: dict[str, Any], errors: dict[str, str]) -> None:
    """The subject's identifiers: an entity's, a person's, or one of the two, as the kind wants."""
    has_entity = any(v.get(k) for k in ENTITY_KEYS) or any(k in errors for k in ENTITY_KEYS)
    has_person = bool(v.get("id_number") or "id_number" in errors)
    need_entity = "统一社会信用代码、注册号、市场主体名称至少填写一项"
    if kind.subject in (Subject.ENTITY, Subject.ENTITY_AND_PERSON) and not has_entity:
        errors.setdefault("uscc", need_entity)
    if kind.subject == Subject.ENTITY_AND_PERSON:
        for f in PERSON_FIELDS:
            if not v.get(f.key):
                errors.setdefault(f.key, "必填")
    if kind.subject == Subject.ENTITY_OR_PERSON:
        if has_entity == has_person:
            message = "失信主体为市场主体时填写其代码或名称，为自然人时填写姓名和身份证号，二者只填其一"
            errors.setdefault("uscc" if has_entity else "id_number", message)
        elif has_person and not v.get("person_name"):
            errors.setdefault("person_name", "必填")


def to_json(values: Mapping[str, Any]) -> dict[str, Any]:
    """Values as JSON (the pending pool's payload): dates ISO, amounts as text."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, date):
            out[key] = value.isoformat()
        elif isinstance(value, Decimal):
            out[key] = str(value)
        else:
            out[key] = value
    return out


# ------------------------------------------------------------------ rules shared by kinds


# Each shared rule carries its ``shape`` too, which services/collection/compiled.py writes inline.


def not_before(later: str, earlier: str, message: str) -> Rule:
    def rule(v: Mapping[str, Any]) -> list[tuple[str, str]]:
        if v.get(later) and v.get(earlier) and v[later] < v[earlier]:
            return [(later, message)]
        return []

    rule.shape = ("not_before", later, earlier, message)  # type: ignore[attr-defined]
    return rule


def not_future(*keys: str) -> Rule:
    def rule(v: Mapping[str, Any]) -> list[tuple[str, str]]:
        today = china_today()
        return [(k, "不能晚于今天") for k in keys if v.get(k) and v[k] > today]

    rule.shape = ("not_future", keys)  # type: ignore[attr-defined]
    return rule


def requires(key: str, needed: str, message: str) -> Rule:
    def rule(v: Mapping[str, Any]) -> list[tuple[str, str]]:
        return [(key, message)] if v.get(key) and not v.get(needed) else []

    rule.shape = ("requires", key, needed, message)  # type: ignore[attr-defined]
    return rule
