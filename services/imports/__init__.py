"""Imports from the standards' Excel templates: one framework (framework.py), one module per
kind registering itself (registry.py), the catalogue of kinds (kinds.py).  See framework.py for the shared policies."""
