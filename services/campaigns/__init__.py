"""专项整治 (DB5101 ch. 8, 表23; seed 004 监管措施规则 §4): docs/campaigns.md."""
