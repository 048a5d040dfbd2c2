"""Where import kinds register themselves: each kind module of services/imports/ calls
``register`` when it is imported.  kinds.py imports those modules; they import only this one,
so the registry and the kinds form no ring."""

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
