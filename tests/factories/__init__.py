"""Test data builders shared by the tests, one module per chapter (formerly tests/*_support.py)."""
