"""信用风险分类 pages (views.py)."""
