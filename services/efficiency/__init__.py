"""效能管理 (seed 004 §7; docs/efficiency.md): the overview, the timeline of one piece of work,
超期 by 效能规则, 督办 and the workload figures, all over the process engine's work items."""
