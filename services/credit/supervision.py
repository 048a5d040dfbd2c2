"""Differentiated supervision by credit-risk grade (seed 002 §四(四), §四(五)).

- D and E objects drawn must be checked 实地 (五 2: 被随机抽中的，必须依法实行实地检查): a scheme
  that would draw D or E objects and plans 书面检查 without 实地核查 is refused, and so is an
  inspection record of a D or E object whose method is 书面检查.  A and B objects may be
  checked 书面 (五 1).
- E 全覆盖 (四 1(5): 必要时应实现全面覆盖): the scheme's option sets the E ratio to 100 %; the draw
  then takes the whole E stratum, recorded in the draw's ratios and quotas.
- 专项整治 object lists leave A-grade entities out by default (五 1: 开展专项整治时一般不列为检查对象，
  但明确纳入整治范围的除外): ``exclude_a_grade``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, or_

from infrastructure.errors import ServiceError
from models import MarketEntity

ON_SITE = "实地核查"
WRITTEN = "书面检查"
ON_SITE_GRADES = ("D", "E")
ON_SITE_MESSAGE = ("D类、E类企业被随机抽中的，必须依法实行实地检查：检查方式须包含实地核查，"
                   "或将D类、E类抽查比例设为0")
RECORD_MESSAGE = "该检查对象为{grade}类企业，必须依法实行实地检查，检查方式不能为书面检查"
FULL_COVERAGE = Decimal(100)


class GradeRule(ServiceError):
    """A plan that breaks the differentiated supervision of seed 002: 422 with its field."""

    status = 422


def check_scheme_methods(methods: Iterable[str], ratios: Mapping[str, Any]) -> None:
    """Refuse a scheme that plans 书面检查 (and not 实地核查) while it draws D or E objects."""
    methods = set(methods)
    draws_low = any(Decimal(str(ratios.get(g, 0) or 0)) > 0 for g in ON_SITE_GRADES)
    if draws_low and WRITTEN in methods and ON_SITE not in methods:
        raise GradeRule(ON_SITE_MESSAGE, "methods")


def check_record_method(grade: str | None, method: str) -> None:
    """Refuse 书面检查 as the method of a record about a D or E object."""
    if grade in ON_SITE_GRADES and method == WRITTEN:
        raise GradeRule(RECORD_MESSAGE.format(grade=grade), "method")


def ratio_values(values: Mapping[str, Any], strata: Iterable[str]) -> dict[str, Any]:
    """The ratio fields of a scheme form, with E at 100 % when its E 全覆盖 option
    (``e_full``) is ticked: the draw then takes the whole E stratum, and its record keeps the
    ratio and the quota (re-computable as any draw)."""
    out = {f"ratio_{s}": values.get(f"ratio_{s}", "") for s in strata}
    if str(values.get("e_full", "")) in ("1", "on", "yes", "true"):
        out["ratio_E"] = str(FULL_COVERAGE)
    return out


def exclude_a_grade(query: Select[Any], *, keep_ids: Iterable[int] = ()) -> Select[Any]:
    """A 专项整治 object list without A-grade entities (a select over ``market_entity``), except
    those named in ``keep_ids`` (明确纳入整治范围的).  Ungraded entities stay."""
    keep = list(keep_ids)
    condition = or_(MarketEntity.credit_grade.is_(None), MarketEntity.credit_grade != "A")
    if keep:
        condition = or_(condition, MarketEntity.id.in_(keep))
    return query.where(condition)
