"""The platform's resources of /api/v1: importing each module registers it (registry.register).
A new resource (the court's 送达 feedback, the sandbox clues, the risk library …) is one module
and one line here."""

from __future__ import annotations

from services.api import court, entities, facts, published, sanctions, sandbox  # noqa: F401  (each registers itself)
from services.api.registry import RESOURCES, Resource


def load() -> dict[str, Resource]:
    """The registry, every resource module imported."""
    return RESOURCES
