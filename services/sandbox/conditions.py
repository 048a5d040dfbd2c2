"""The trigger conditions of the 信用沙盒事项清单 as data (docs/sandbox.md).

Each ``Condition`` names its parameters (``Param``: key, Chinese label, unit, smallest value)
and builds, for an item's parameters and the China date, a SQL predicate over the sandbox
entity's ``entity_id`` column: the monitor puts it in one INSERT … SELECT per item, so a
condition is evaluated set-based over every entity of the library at once, on SQLite and
PostgreSQL alike.  ``validate`` is the one check of an item's parameters (the editor and the
monitor use it): a missing, non-integer, zero or negative number is refused in Chinese.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, select

from infrastructure.errors import Invalid
from models import Complaint, Permit, RiskRule, RiskWarning
from models.facts import AbnormalListing
from services.risk.common import open_listing

MAX_NUMBER = 100_000


@dataclass(frozen=True)
class Param:
    key: str
    label: str
    unit: str
    default: int


@dataclass(frozen=True)
class Condition:
    key: str
    label: str  # shown in the list and the editor
    params: tuple[Param, ...]
    build: Callable[[Any, dict[str, Any], date], ColumnElement[bool]]
    needs_rules: bool = False

    def describe(self, params: Mapping[str, Any]) -> str:
        if self.key == "risk_rule":
            return f"命中风险预警规则：{'、'.join(params.get('rule_codes') or [])}"
        if self.key == "complaints":
            return f"{params.get('days')}天内被投诉举报{params.get('count')}次及以上"
        if self.key == "permit_expiring":
            return f"行政许可将在{params.get('days')}天内到期"
        return "被列入经营异常名录（未移出）"


def _risk_rule(entity_id: Any, params: dict[str, Any], today: date) -> ColumnElement[bool]:
    return exists(
        select(RiskWarning.id).join(RiskRule, RiskRule.id == RiskWarning.rule_id)
        .where(RiskWarning.entity_id == entity_id, RiskWarning.status == "open",
               RiskRule.code.in_(list(params["rule_codes"])))
    )


def _complaints(entity_id: Any, params: dict[str, Any], today: date) -> ColumnElement[bool]:
    since = today - timedelta(days=int(params["days"]) - 1)
    counted = (select(func.count(Complaint.id))
               .where(Complaint.entity_id == entity_id, Complaint.current.is_(True), Complaint.received_on >= since,
                      Complaint.received_on <= today)
               .scalar_subquery())
    return counted >= int(params["count"])


def _permit_expiring(entity_id: Any, params: dict[str, Any], today: date) -> ColumnElement[bool]:
    until = today + timedelta(days=int(params["days"]))
    return exists(
        select(Permit.id).where(Permit.entity_id == entity_id, Permit.current.is_(True), Permit.status == "有效",
                                Permit.valid_to.is_not(None), Permit.valid_to >= today, Permit.valid_to <= until)
    )


def _abnormal(entity_id: Any, params: dict[str, Any], today: date) -> ColumnElement[bool]:
    return exists(select(AbnormalListing.id).where(AbnormalListing.entity_id == entity_id,
                                                   and_(open_listing(AbnormalListing))))


DAYS = Param("days", "期间（天）", "天", 30)
CONDITIONS: dict[str, Condition] = {c.key: c for c in (
    Condition("risk_rule", "命中风险预警规则", (), _risk_rule, needs_rules=True),
    Condition("complaints", "一定期间内投诉举报次数", (Param("count", "投诉举报次数（次及以上）", "次", 3), DAYS), _complaints),
    Condition("permit_expiring", "行政许可即将到期", (Param("days", "到期前天数", "天", 30),), _permit_expiring),
    Condition("abnormal", "列入经营异常名录", (), _abnormal),
)}


def _number(raw: Any, param: Param) -> int:
    text = str(raw if raw is not None else "").strip()
    if not text:
        raise Invalid(f"请填写{param.label}", field=param.key)
    try:
        value = int(text)
    except ValueError:
        raise Invalid(f"{param.label}应为整数", field=param.key) from None
    if value <= 0:
        raise Invalid(f"{param.label}应大于0", field=param.key)
    if value > MAX_NUMBER:
        raise Invalid(f"{param.label}不能超过{MAX_NUMBER}", field=param.key)
    return value


def validate(condition: str, raw: Mapping[str, Any], known_rules: Mapping[str, str]) -> dict[str, Any]:
    """The item's parameters as stored, or Invalid with a Chinese message."""
    found = CONDITIONS.get(condition)
    if found is None:
        raise Invalid("请选择触发条件", field="condition")
    params: dict[str, Any] = {p.key: _number(raw.get(p.key), p) for p in found.params}
    if found.needs_rules:
        codes = raw.get("rule_codes") or []
        if isinstance(codes, str):
            codes = [codes]
        codes = sorted({str(c).strip() for c in codes if str(c).strip()})
        if not codes:
            raise Invalid("请至少选择一条风险预警规则", field="rule_codes")
        unknown = [c for c in codes if c not in known_rules]
        if unknown:
            raise Invalid("未知的风险预警规则：" + "、".join(unknown), field="rule_codes")
        params["rule_codes"] = codes
    return params
