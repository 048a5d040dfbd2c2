"""Covering indexes of the 风险库 page (/risk/warnings, services/risk/library.py; docs/risk_pages.md).

Declared here, beside the tables they serve rather than in models/risk.py and models/entity.py
(the engine's and the registry's modules), so that the page's needs stay in one place; migration
0030 creates them.  At 1,000,000 entities the list checks each warning against its entity
(scope, industry) and counts up to 1000: with (id, department_id, industry_code, division_code)
that check reads the index alone, not the wide registry row, and (status, rule_id,
first_seen_at, entity_id) counts a rule's or all open warnings from the index alone
(bench/risk_pages.py).
"""

from __future__ import annotations

from sqlalchemy import Index

from models.entity import MarketEntity
from models.risk import RiskWarning

ENTITY_SCOPE = Index(
    "ix_market_entity_id_scope",
    MarketEntity.id, MarketEntity.department_id, MarketEntity.industry_code, MarketEntity.division_code,
)
WARNING_COVER = Index(
    "ix_risk_warning_status_rule_seen_entity",
    RiskWarning.status, RiskWarning.rule_id, RiskWarning.first_seen_at, RiskWarning.entity_id,
)
