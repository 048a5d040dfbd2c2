"""风险预警 and the 风险库 (docs/risk.md, docs/risk_pages.md)."""
