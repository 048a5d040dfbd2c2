"""灵活报表 (seed 004 §8.2; docs/reports.md): define a report and its form, 分派 it down the
department tree, fill it online or by uploading its template (the import kind
``report_fill``), 汇总 level by level, 填报情况统计 and reminders before the deadline."""
