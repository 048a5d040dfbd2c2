"""Imports from the standards' Excel templates: one framework (framework.py), one module per
kind, the registry (kinds.py).  See framework.py for the shared policies."""
