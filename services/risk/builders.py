"""Each automatic rule's SQL builder by code (the rules_*.py modules)."""

from __future__ import annotations

from services.risk.catalogue import AUTOMATIC_CODES, READS
from services.risk.common import Builder
from services.risk.rules_capital import BUILDERS as CAPITAL
from services.risk.rules_court import BUILDERS as COURT
from services.risk.rules_events import BUILDERS as EVENTS
from services.risk.rules_permits import BUILDERS as PERMITS
from services.risk.rules_registry import BUILDERS as REGISTRY

BUILDERS: dict[str, Builder] = {**REGISTRY, **PERMITS, **CAPITAL, **EVENTS, **COURT}
assert set(BUILDERS) == set(AUTOMATIC_CODES) == set(READS), "every automatic rule has a builder and its kinds"
