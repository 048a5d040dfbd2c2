"""企业送达信息共享 (表34; docs/court.md): the 市法院's calls through /api/v1 (services/api/court.py)
recorded with their 表34 instance (``sharing``), and what the 监管部门 read of them (``queries``,
``export``).  The 风险库 rule 司法送达失败预警 is services/risk/rules_court.py."""
