"""Scopes: ``resource:read|write`` and ``resource.part:read|write`` (registry.Resource).

A credential's scopes are checked against the registry when it is issued; a call needs the
scope of its operation (``allows``) and the handler is told which parts it was granted
(``parts``): the entity lookup returns only the fields those parts name."""

from __future__ import annotations

from collections.abc import Iterable

from infrastructure.errors import Invalid
from services.api.registry import READ, WRITE, Operation, Resource
from services.api.resources import load

ACTION_LABELS = {READ: "读取", WRITE: "写入"}


def catalogue() -> list[tuple[str, str]]:
    """Every grantable scope and its Chinese description, for the admin form."""
    out: list[tuple[str, str]] = []
    for resource in load().values():
        for action in resource.actions:
            out.append((f"{resource.name}:{action}", f"{resource.title}（{ACTION_LABELS[action]}）"))
            for part, title in resource.parts.items():
                out.append((f"{resource.name}.{part}:{action}", f"{resource.title}·{title}（{ACTION_LABELS[action]}）"))
    return out


def clean(scopes: Iterable[str]) -> str:
    """The scopes as stored (sorted, space-separated); an unknown one is refused."""
    known = {code for code, _ in catalogue()}
    wanted = sorted({s.strip() for s in scopes if s.strip()})
    unknown = [s for s in wanted if s not in known]
    if unknown:
        raise Invalid("未知的授权范围：" + "、".join(unknown), field="scopes")
    if not wanted:
        raise Invalid("请至少选择一项授权范围", field="scopes")
    return " ".join(wanted)


def parts(granted: frozenset[str], resource: Resource, action: str) -> frozenset[str]:
    """The parts of ``resource`` the scopes grant for ``action``."""
    if resource.whole_covers_parts and f"{resource.name}:{action}" in granted:
        return frozenset(resource.parts)
    return frozenset(p for p in resource.parts if f"{resource.name}.{p}:{action}" in granted)


def allows(granted: frozenset[str], resource: Resource, op: Operation, part: str | None) -> bool:
    """Whether the scopes let a call of ``op`` (on ``part``, for an operation on one part) through."""
    whole = f"{resource.name}:{op.action}" in granted
    if part is None:
        return whole
    if whole and resource.whole_covers_parts:
        return True
    return f"{resource.name}.{part}:{op.action}" in granted
