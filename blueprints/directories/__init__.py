"""检查对象名录库: object directories (DB5101 7.1.2, 表15–表16)."""
