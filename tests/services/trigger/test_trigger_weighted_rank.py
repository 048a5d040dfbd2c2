"""The published script's weighted ranking (infrastructure/draw_algorithm.weighted_top) is its
definition, the quota smallest -log(u) / weight over every member, computed faster."""

from __future__ import annotations

import hashlib
import heapq
import hmac
import random

import pytest

from infrastructure import draw_algorithm as algo

WEIGHT_SETS = ([1, 1, 1, 2, 3, 0.5, 7], [1, 100], [0.01, 1], [2, 3], [1] * 9 + [50], [4])


def _definition(seed: str, keys: list[str], weights: list[float], quota: int) -> list[str]:
    pairs = [(hmac.new(bytes.fromhex(seed), f"object:{k}".encode(), hashlib.sha256).digest(), k) for k in keys]
    return [k for _, k in heapq.nsmallest(quota, [(algo.es_key(h, w), k) for (h, k), w in zip(pairs, weights, strict=True)])]


@pytest.mark.parametrize("trial", range(40))
def test_weighted_ranking_equals_its_definition(trial):
    rng = random.Random(trial)
    n = rng.randint(1, 300)
    keys = [f"entity:{i}" for i in range(n)]
    choices = WEIGHT_SETS[trial % len(WEIGHT_SETS)]
    weights = [float(rng.choice(choices)) for _ in keys]
    if set(weights) <= {1}:
        weights[0] = 2.0
    quota = rng.randint(1, n)
    seed = f"{trial + 1:064x}"
    drawn = algo.rank(seed, "object", {"A": quota}, {"A": keys}, {"A": weights})["A"]
    assert drawn == _definition(seed, keys, weights, quota)


def test_a_heavier_member_is_drawn_more_often():
    keys = [f"entity:{i}" for i in range(20)]
    weights = [10.0] + [1.0] * 19
    hits = sum(algo.rank(f"{s + 1:064x}", "object", {"A": 1}, {"A": keys}, {"A": weights})["A"] == ["entity:0"]
               for s in range(200))
    assert hits > 60  # 10 / 29 of the draws in expectation, 1 / 20 unweighted
