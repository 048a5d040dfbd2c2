"""/efficiency: 效能管理 (seed 004 §7; docs/efficiency.md)."""
