"""触发式双随机监管 helpers (services/trigger): rules made through the service, graded entities
of district A with open 风险库 warnings."""

from __future__ import annotations

from typing import Any

from models import MarketEntity, db
from services.trigger import rules
from tests.factories import risk_pages


def rule_form(name: str = "司法涉诉触发", *, source: str = "risk_rule", weight: Any = "2",
              valid_from: str = "2020-01-01", valid_until: str = "", active: bool = True) -> dict[str, Any]:
    return {"name": name, "source": source, "weight": str(weight), "valid_from": valid_from,
            "valid_until": valid_until, "active": "1" if active else ""}


def make_rule(clerk: Any, codes: tuple[str, ...] = ("lawsuits",), **form: Any) -> Any:
    params = form.pop("params", None) or {"codes": list(codes)}
    return rules.create(clerk, rule_form(**form), params)


def graded(org: Any, n: int, grade: str | None = None) -> MarketEntity:
    entity = risk_pages.entity(org, n)
    entity.credit_grade = grade
    db.session.flush()
    return entity


def warned(org: Any, n: int, *codes: str, grade: str | None = None) -> MarketEntity:
    entity = graded(org, n, grade)
    for code in codes:
        risk_pages.warning(entity, code, department=org.bureau_a)
    return entity
