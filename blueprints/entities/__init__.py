"""市场主体库: the entity registry (DB5101 ch. 6)."""
