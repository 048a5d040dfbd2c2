"""The platform's import kinds: a kind is declared once (a module of services/imports/ that
registers itself in registry.py) and the pages of blueprints/imports serve it by its name."""

from __future__ import annotations

from services.imports import auxiliary, check_items, facts, joint_items, ledgers  # noqa: F401  (each registers itself)
from services.imports.framework import ImportKind
from services.imports.registry import KINDS, register, unregister

__all__ = ["KINDS", "get", "register", "unregister"]


def get(name: str) -> ImportKind | None:
    return KINDS.get(name)
