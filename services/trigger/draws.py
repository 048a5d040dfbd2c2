"""The weighted object draw of a task with a trigger extraction (docs/trigger.md).

The members are the extraction's entities with their combined weights; the draw is the
published algorithm's weighted branch (infrastructure/draw_algorithm.py: Efraimidis–Spirakis
keys log(u) / weight from the same keyed hash), the population stored as the lines
"entity:<id><TAB><grade><TAB><weight>" whose SHA-256 is the digest, and the commitments made
from that population, so the published script re-computes the draw and its commitments from
the full record byte for byte.
"""

from __future__ import annotations

import hashlib
import math
import zlib
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import compress, islice
from operator import eq, itemgetter

from infrastructure import draw_algorithm as algo
from services import draw as draw_service


@dataclass(frozen=True)
class TriggerSource:
    """What the task's preview names instead of an object directory."""

    name: str


def source_of(size: int) -> TriggerSource:
    return TriggerSource(f"触发式对象库（提取{size}户，按权重抽取）")


def combined_weight(hit_weights: list[int]) -> int:
    """An object's weight from the weights of its hits: 1 + their sum (an object hit by nothing
    weighs 1, as in an ordinary draw).  The library computes the same in SQL (library._reconcile);
    a scheme's 风险库命中加权 uses it per open warning (services/draw_risk_weight.py)."""
    return 1 + sum(hit_weights)


def _pack(text: bytes) -> tuple[str, bytes]:
    return hashlib.sha256(text).hexdigest(), zlib.compress(text, 1)


def run_weighted(members: list[tuple[str, str, float]], quotas: Mapping[str, int], *, domain: str,
                 seed: str) -> tuple[draw_service.SortedDraw, str, dict[str, str]]:
    """(the draw as ``run_sorted`` gives it, salt, commitments) for a weighted population: the
    checks of ``draw_service.run``, the published ranking, and each member's digest line made
    once (the whole text hashed and compressed in a second thread while the main one ranks),
    the strata's digests from the same lines: the values ``seal`` and ``pack_population`` give."""
    population = sorted(members, key=itemgetter(0))
    if not population:
        raise draw_service.DrawError("触发式对象库中提取的对象为空，无法抽取")
    keys = list(map(itemgetter(0), population))
    if any(map(eq, keys, islice(keys, 1, None))):
        raise draw_service.DrawError("抽取范围中有重复的对象")
    texts = {w: f"{w:g}" for w in set(map(itemgetter(2), population))}
    if any(not (w > 0 and math.isfinite(w)) for w in texts):
        raise draw_service.DrawError("权重应为正数")
    # one line per member, in key order = the sorted lines the digest hashes (a tab sorts first)
    lines = [f"{key}\t{stratum}\t{texts[weight]}\n" for key, stratum, weight in population]
    # grouped by stratum in key order: per stratum a mask and three compresses, all in C (no
    # loop per member in Python, no sort of a million tuples)
    strata = list(map(itemgetter(1), population))
    weights = list(map(itemgetter(2), population))
    keys_of: dict[str, list[str]] = {}
    weights_of: dict[str, list[float]] = {}
    lines_of: dict[str, list[str]] = {}
    for stratum in sorted(set(strata)):
        mask = list(map(stratum.__eq__, strata))
        keys_of[stratum] = list(compress(keys, mask))
        weights_of[stratum] = list(compress(weights, mask))
        lines_of[stratum] = list(compress(lines, mask))
    del strata, weights
    draw_service.check_quotas({s: len(k) for s, k in keys_of.items()}, quotas)
    quotas = {k: int(v) for k, v in quotas.items()}
    with ThreadPoolExecutor(1) as pool:
        whole = pool.submit(_pack, "".join(lines).encode())
        shares = {s: hashlib.sha256("".join(lines_of.get(s, [])).encode()).hexdigest()
                  for s in draw_service.COMMITTED_STRATA}
        result = algo.rank(seed, domain, quotas, keys_of, weights_of)
        digest, blob = whole.result()
    drawn = draw_service.SortedDraw(seed, domain, quotas, len(population), result,
                                    draw_service.Packed(digest, blob, shares))
    salt, sealed = draw_service.seal_sorted(drawn)
    return drawn, salt, sealed
