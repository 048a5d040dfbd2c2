"""/admin/calendar: the holiday table (节假日)."""
