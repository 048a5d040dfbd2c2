"""/daily: 监管认领, 对象维护, 日常监管 (docs/daily.md)."""
