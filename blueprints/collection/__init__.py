"""信息归集 pages (views.py)."""
