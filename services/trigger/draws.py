"""The weighted object draw of a task with a trigger extraction (docs/trigger.md).

The members are the extraction's entities with their combined weights; the draw is the
published algorithm's weighted branch (infrastructure/draw_algorithm.py: Efraimidis–Spirakis
keys log(u) / weight from the same keyed hash), the population stored as the lines
"entity:<id><TAB><grade><TAB><weight>" whose SHA-256 is the digest, and the commitments made
from that population, so the published script re-computes the draw and its commitments from
the full record byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services import draw as draw_service


@dataclass(frozen=True)
class TriggerSource:
    """What the task's preview names instead of an object directory."""

    name: str


def source_of(size: int) -> TriggerSource:
    return TriggerSource(f"触发式对象库（提取{size}户，按权重抽取）")


def run_weighted(members: list[tuple[str, str, float]], quotas: Mapping[str, int], *, domain: str,
                 seed: str) -> tuple[draw_service.SortedDraw, str, dict[str, str]]:
    """(the draw as ``run_sorted`` gives it, salt, commitments) for a weighted population."""
    record = draw_service.run(members, quotas, domain=domain, seed=seed)
    digest, blob = draw_service.pack_population(record.population)
    salt, sealed = draw_service.seal(record, digest)
    drawn = draw_service.SortedDraw(record.seed, domain, record.quotas, len(record.population), record.result,
                                    draw_service.Packed(digest, blob, {}))
    return drawn, salt, sealed
