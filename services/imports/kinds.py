"""The platform's import kinds: a kind is declared once (a module of services/imports/ that
registers itself in registry.py) and the pages of blueprints/imports serve it by its name."""

from __future__ import annotations

# Each kind registers itself; background registers the job that runs large imports.
from services.imports import (  # noqa: F401
    auxiliary,
    background,
    campaign_objects,
    check_items,
    daily_claims,
    directory_entities,
    directory_objects,
    entities,
    facts,
    inspectors,
    joint_items,
    ledgers,
    libraries,
    notice_verify,
    report_fill,
    sanction_objects,
    sanction_verify,
    unlicensed_operators,
    users,
)
from services.imports.framework import ImportKind
from services.imports.registry import KINDS, register, unregister

__all__ = ["KINDS", "get", "register", "unregister"]


def get(name: str) -> ImportKind | None:
    return KINDS.get(name)
