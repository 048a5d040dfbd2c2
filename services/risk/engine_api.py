"""The pages' one door to the evaluation engine (services/risk/, the engine's modules).

The rule pages, the 风险库 and the digest call the engine through these few functions, so that
the engine's module layout is named in one place: evaluate one rule, dry-run new parameters,
check parameters, raise and close a manual warning.  ``PARAM_LABELS`` names each parameter in
the standard's words for the editor when the engine's catalogue gives no label.
"""

from __future__ import annotations

import importlib
from typing import Any

from sqlalchemy import select

from infrastructure import clock
from infrastructure.errors import Conflict, ServiceError
from models import MarketEntity, User, db
from models.risk import RiskRule, RiskWarning

# The editor's labels of the parameters (表26 预警条件, seed 004 §6).
PARAM_LABELS: dict[str, str] = {
    "min_entities": "同一登记地址被列入经营异常名录的主体数（户及以上）",
    "min_count": "次数（次及以上）",
    "window_days": "统计期间（近N天）",
    "days_before": "到期前提醒天数",
}
CODE_LABELS: dict[tuple[str, str], str] = {
    ("lost_contact", "min_count"): "联系不上次数（次及以上）",
    ("complaints", "min_count"): "投诉举报次数（次及以上）",
    ("lawsuits", "min_count"): "司法涉诉次数（次及以上）",
}
MANUAL = "manual"


def _engine(name: str) -> Any:
    return importlib.import_module(f"services.risk.{name}")


def _definition(rule: RiskRule) -> Any:
    try:
        return _engine("catalogue").BY_CODE.get(rule.code)
    except (ImportError, AttributeError):
        return None


def param_labels(rule: RiskRule) -> dict[str, str]:
    """Each parameter's label, the catalogue's when it has one."""
    labels = {key: CODE_LABELS.get((rule.code, key), PARAM_LABELS.get(key, key)) for key in (rule.params or {})}
    definition = _definition(rule)
    for p in getattr(definition, "params", ()):
        labels[p.key] = p.label
    return labels


def condition(rule: RiskRule) -> str:
    """The rule's condition in the standard's words (表26 预警条件, seed 004 §6)."""
    return str(getattr(_definition(rule), "condition", ""))


def validate(rule: RiskRule, params: dict[str, Any]) -> dict[str, Any]:
    """The catalogue's own checks of a rule's parameters: the typed parameters, or Invalid with a
    Chinese message whose field is the editor's (``p_<name>``)."""
    catalogue = _engine("catalogue")
    try:
        return dict(catalogue.validate_params(rule.code, params))
    except ServiceError as exc:
        if exc.field and not exc.field.startswith("p_"):
            exc.field = f"p_{exc.field}"
        raise


def dry_run(rule: RiskRule, params: dict[str, Any]) -> tuple[list[int], list[int]]:
    """The entities the rule would add to and remove from the 风险库 with ``params``."""
    try:
        module = _engine("dry_run")
    except ImportError:  # the engine's dry run not there yet: the same from its collect()
        hits = set(_engine("evaluate").collect(db.session, rule.code, params, clock.china_today()))
        current = set(db.session.execute(select(RiskWarning.entity_id).where(
            RiskWarning.rule_id == rule.id, RiskWarning.status == "open")).scalars())
        return sorted(hits - current), sorted(current - hits)
    added, removed = module.dry_run(db.session, rule, params)
    return list(added), list(removed)


def evaluate(rule: RiskRule) -> None:
    _engine("evaluate").evaluate(db.session, codes=[rule.code])


def raise_manual(actor: User, entity: MarketEntity, reason: str) -> RiskWarning:
    try:
        module = _engine("manual")
    except ImportError:  # the engine's manual.py not there yet
        return _raise_manual(actor, entity, reason)
    warning: RiskWarning = module.raise_manual(db.session, actor, entity, reason, department=actor.department)
    return warning


def close_manual(actor: User, warning: RiskWarning, reason: str) -> RiskWarning:
    try:
        module = _engine("manual")
    except ImportError:
        return _close_manual(actor, warning, reason)
    module.close_manual(db.session, actor, warning, reason)
    return warning


def _raise_manual(actor: User, entity: MarketEntity, reason: str) -> RiskWarning:
    rule = db.session.execute(select(RiskRule).where(RiskRule.code == MANUAL)).scalar_one()
    found = db.session.execute(select(RiskWarning).where(
        RiskWarning.rule_id == rule.id, RiskWarning.entity_id == entity.id, RiskWarning.status == "open")).scalar()
    if found is not None:
        raise Conflict("该主体已有在库的手工预警")
    now = clock.utcnow()
    warning = RiskWarning(entity_id=entity.id, rule_id=rule.id, department_id=actor.department_id, status="open",
                          first_seen_at=now, last_seen_at=now, evidence=[], reason=reason, created_by_id=actor.id)
    db.session.add(warning)
    db.session.flush()
    return warning


def _close_manual(actor: User, warning: RiskWarning, reason: str) -> RiskWarning:
    warning.status, warning.closed_at, warning.closed_by_id = "closed", clock.utcnow(), actor.id
    warning.reason = f"{warning.reason}\n移出理由：{reason}".strip()
    db.session.flush()
    return warning
