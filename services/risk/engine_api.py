"""The pages' one door to the evaluation engine (services/risk/, the engine's modules).

The rule pages, the 风险库 and the digest call the engine through these few functions, so that
the engine's module layout is named in one place: evaluate one rule, dry-run new parameters,
check parameters, raise and close a manual warning, read the open warnings of some entities and
where a piece of evidence links to.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from infrastructure.errors import ServiceError
from models import MarketEntity, User, db
from models.risk import RiskRule, RiskWarning
from services.risk import catalogue
from services.risk import dry_run as risk_dry_run
from services.risk import evaluate as risk_evaluate
from services.risk import evidence as risk_evidence
from services.risk import manual as risk_manual
from services.risk import queries as risk_queries

MANUAL = catalogue.MANUAL


def _definition(rule: RiskRule) -> Any:
    return catalogue.BY_CODE.get(rule.code)


def param_labels(rule: RiskRule) -> dict[str, str]:
    """Each parameter's label (the catalogue's), the key itself for one it does not know."""
    labels = {key: key for key in (rule.params or {})}
    labels.update({p.key: p.label for p in getattr(_definition(rule), "params", ())})
    return labels


def editable(rule: RiskRule) -> bool:
    """An automatic rule (手工预警 has nothing to edit or dry-run)."""
    return bool(getattr(_definition(rule), "automatic", False))


def condition(rule: RiskRule) -> str:
    """The rule's condition in the standard's words (表26 预警条件, seed 004 §6)."""
    return str(getattr(_definition(rule), "condition", ""))


def validate(rule: RiskRule, params: dict[str, Any]) -> dict[str, Any]:
    """The catalogue's own checks of a rule's parameters: the typed parameters, or Invalid with a
    Chinese message whose field is the editor's (``p_<name>``)."""
    try:
        return dict(catalogue.validate_params(rule.code, params))
    except ServiceError as exc:
        if exc.field and not exc.field.startswith("p_"):
            exc.field = f"p_{exc.field}"
        raise


def dry_run(rule: RiskRule, params: dict[str, Any], enabled: bool = True) -> tuple[list[int], list[int]]:
    """The entities the rule would add to and remove from the 风险库 with ``params``."""
    added, removed = risk_dry_run.dry_run(db.session, rule, params, enabled=enabled)
    return list(added), list(removed)


def evaluate(rule: RiskRule) -> None:
    risk_evaluate.evaluate(db.session, codes=[rule.code])


def raise_manual(actor: User, entity: MarketEntity, reason: str) -> RiskWarning:
    return risk_manual.raise_manual(db.session, actor, entity, reason, department=actor.department)


def close_manual(actor: User, warning: RiskWarning, reason: str) -> RiskWarning:
    return risk_manual.close_manual(db.session, actor, warning, reason)


def open_warnings_of(entity_ids: Iterable[int]) -> dict[int, list[RiskWarning]]:
    return risk_queries.open_warnings_of(db.session, entity_ids)


def evidence_link(item: dict[str, Any], entity_id: int) -> tuple[str, dict[str, Any]] | None:
    """(endpoint, values) of the page a piece of evidence links to, or None."""
    return risk_evidence.evidence_link(item, entity_id)
