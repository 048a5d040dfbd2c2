"""试算 (dry run): what a parameter change of a rule would do, before it is saved.

``dry_run`` computes the rule's hits today with its current parameters (none when it is
disabled) and with the proposed ones, and returns the entities the change would add to and
remove from the 风险库.  It writes nothing; the rule editor shows the two counts (and stores
them on the ``RiskRuleChange`` it proposes) for the leader who approves.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from infrastructure import clock
from infrastructure.errors import Invalid
from models import RiskRule
from services.risk.catalogue import definition, validate_params
from services.risk.evaluate import collect, params_of


def dry_run(session: Session, rule: RiskRule, params: Mapping[str, Any], *, enabled: bool = True,
            now: datetime | None = None) -> tuple[list[int], list[int]]:
    """(added entity ids, removed entity ids), sorted, if ``rule`` had ``params`` (and ``enabled``)."""
    if not definition(rule.code).automatic:
        raise Invalid(f"{rule.name}由监管人员手工录入，没有可试算的规则")
    proposed = validate_params(rule.code, params)
    today = clock.china_date(now or clock.utcnow())
    assert today is not None
    before = set(collect(session, rule.code, params_of(rule), today)) if rule.enabled else set()
    after = set(collect(session, rule.code, proposed, today)) if enabled else set()
    return sorted(after - before), sorted(before - after)
