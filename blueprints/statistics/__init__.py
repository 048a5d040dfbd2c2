"""/statistics: 抽查统计 and the overdue list (逾期未公示)."""
