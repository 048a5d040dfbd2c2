"""The registry of import kinds: a kind is declared once (a module of services/imports/) and
the pages of blueprints/imports serve it by its name."""

from __future__ import annotations

from services.imports.framework import ImportKind

KINDS: dict[str, ImportKind] = {}


def register(kind: ImportKind) -> ImportKind:
    """Declare a kind (its ``name`` must be new)."""
    if kind.name in KINDS and KINDS[kind.name] is not kind:
        raise ValueError(f"import kind {kind.name!r} is already registered")
    KINDS[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    KINDS.pop(name, None)


def get(name: str) -> ImportKind | None:
    _load()
    return KINDS.get(name)


def _load() -> None:
    """Import the modules that declare the platform's kinds (each registers itself)."""
    from services.imports import auxiliary, check_items, joint_items, ledgers  # noqa: F401
