"""灵活报表 pages (docs/reports.md)."""
