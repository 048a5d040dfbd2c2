#!/usr/bin/env python3
"""Re-run a 智慧监管平台 random draw (双随机抽取) from its full record.

This file is both the platform's draw and the script it publishes: services/draw.py imports
it, and it is the file to publish, unchanged, beside each draw record.

Standard library only; Python 3.8 or newer.  Usage:

    python3 draw_algorithm.py record.json

``record.json`` is a draw's full record, which the platform gives to 审计员 and the task's
departments (the grades are not public): algorithm, seed (hex), domain, quotas per stratum,
the population (key, stratum, weight) and the salt.  The script prints the population digest,
the drawn keys per stratum, one per line, in rank order, and the commitments; compare them with
the platform's result and the public page.

The algorithm (zhjg-draw-1):
- Every population member gets the number h = HMAC-SHA256(key=seed, msg=domain + ":" + key),
  read as a 256-bit big-endian integer, and u = (h + 0.5) / 2**256, a number in (0, 1) that
  nobody can steer without knowing the seed before the population was fixed.
- Within each stratum (a credit-risk grade A-E, or "-" for ungraded), with every weight 1:
  take the quota members with the smallest u (equivalently the smallest h); ties on h are
  impossible in practice and are broken by key.
- With weights (risk raises a member's chance): take the quota members with the largest
  u ** (1 / weight) (Efraimidis-Spirakis), compared as log(u) / weight; ties by key.
- The population digest is SHA-256 over the lines "key<TAB>stratum<TAB>weight\n" in key order.

Commitments (docs/draws.md): the public page shows no seed and no stratum, only salted
commitments, HMAC-SHA256(key=salt, msg=name + "\n" + value), to the seed, to the population
digest and to each stratum (the digest of its members' lines, its quota and its drawn keys in
rank order).  A full record carries the salt; the script then prints "commitment NAME HEX" for
each, to compare with the public page.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import json
import math
import operator
import sys

first, second = operator.itemgetter(0), operator.itemgetter(1)

ALGORITHM = "zhjg-draw-1"


def digest(population: list) -> str:
    lines = sorted(f"{key}\t{stratum}\t{weight:g}\n" for key, stratum, weight in population)
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def draw(seed_hex: str, domain: str, quotas: dict, population: list) -> dict:
    keys_of: dict = {stratum: [] for stratum in quotas}
    weights_of: dict = {stratum: [] for stratum in quotas}
    for key, stratum, weight in population:
        keys = keys_of.get(stratum)
        if keys is not None:  # a stratum without a quota is not drawn from
            keys.append(key)
            weights_of[stratum].append(weight)
    return rank(seed_hex, domain, quotas, keys_of, weights_of)


def rank(seed_hex: str, domain: str, quotas: dict, keys_of: dict, weights_of: dict = None) -> dict:
    # The draw of each stratum with a quota from its members' keys (and weights, in the same
    # order; None: every weight 1).  draw() groups a population and calls this; the platform
    # calls it with the strata it has grouped already.
    #
    # HMAC-SHA256 (RFC 2104) written out with hashlib, so that the padded key and the domain
    # are hashed once and each member costs two hash copies: the same value as
    # hmac.new(seed, (domain + ":" + key).encode(), sha256).
    seed = bytes.fromhex(seed_hex)
    if len(seed) > 64:
        seed = hashlib.sha256(seed).digest()
    padded = seed.ljust(64, b"\0")
    inner_start = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
    inner_start.update(f"{domain}:".encode())  # every message starts with the domain
    inner_copy = inner_start.copy
    outer_copy = hashlib.sha256(bytes(b ^ 0x5C for b in padded)).copy

    def ranked_hashes(keys: list) -> list:
        # (h, key) per key, h = HMAC-SHA256(seed, domain:key): 32 bytes, big-endian, so that
        # compared as bytes they order as the integers.  Written as one loop: a million members.
        out = []
        append = out.append
        for key in keys:
            inner = inner_copy()
            inner.update(key.encode())
            outer = outer_copy()
            outer.update(inner.digest())
            append((outer.digest(), key))
        return out

    result = {}
    for stratum, quota in sorted(quotas.items()):
        if int(quota) <= 0:
            result[stratum] = []
            continue
        keys = keys_of.get(stratum, [])
        weights = (weights_of or {}).get(stratum)
        hashes = ranked_hashes(keys)
        if weights is None or set(weights) <= {1}:  # every weight 1 (a set: one pass in C)
            ranked = heapq.nsmallest(int(quota), hashes)
        else:
            ranked = weighted_top(int(quota), hashes, weights)
        result[stratum] = [key for _, key in ranked]
    return result


def es_key(h: bytes, weight: float) -> float:
    # the Efraimidis-Spirakis key, negated so that the smallest ranks first: -log(u) / weight
    return -(math.log((int.from_bytes(h, "big") + 0.5) / 2**256) / float(weight))


def weighted_top(quota: int, hashes: list, weights: list) -> list:
    # The quota smallest (es_key(h, w), key) over all members: by definition the same as
    #     heapq.nsmallest(quota, [(es_key(h, w), key) for (h, key), w in zip(hashes, weights)])
    # computed faster.  Within one weight the key only grows as h falls, so a member ranked
    # overall is among the quota largest h of its weight: the largest weight group (usually
    # weight 1) gives its quota best and so a bound on the last key ranked; a member of another
    # weight can only beat that bound with h above a threshold (taken a little low, so that
    # float rounding can only add candidates, never lose one), found in one pass in C.  Only
    # the candidates get their key computed; the final choice is the definition's.
    groups = {w: list(map(second, group))  # a stable sort by weight: hashes stay in their order
              for w, group in itertools.groupby(sorted(zip(weights, hashes), key=first), first)}  # noqa: B905
    largest = max(groups, key=lambda w: (len(groups[w]), w))
    candidates = _group_top(quota, groups.pop(largest), largest)
    bound = candidates[quota - 1][0] if len(candidates) >= quota else None
    for w, pairs in groups.items():
        if bound is None:
            candidates.extend(_group_top(quota, pairs, w))
            continue
        # es_key(h, w) <= bound  <=>  u >= exp(-bound * w)
        u_min = math.exp(-bound * float(w)) * (1 - 1e-9)
        h_min = max(0, int(u_min * 2**256) - 1)
        floor = (h_min.to_bytes(32, "big"),)
        candidates.extend((es_key(h, w), key) for h, key in filter(floor.__le__, pairs))
    return heapq.nsmallest(quota, candidates)


def _group_top(quota: int, pairs: list, w: float) -> list:
    # (es_key, key) of the quota members of one weight with the largest h, best first, and any
    # further member whose key equals the last one's (floats can tie where hashes do not); a
    # group with more such ties than the margin gets every member's key.
    margin = 8
    top = heapq.nlargest(quota + margin, pairs)
    keyed = [(es_key(h, w), key) for h, key in top]
    if len(top) <= quota:
        return keyed
    last = keyed[quota - 1][0]
    if keyed[-1][0] == last and len(top) < len(pairs):
        return sorted((es_key(h, w), key) for h, key in pairs)
    return keyed[:quota] + [k for k in keyed[quota:] if k[0] == last]


def commitments(salt_hex: str, seed_hex: str, quotas: dict, population: list, result: dict,
                strata: list, population_digest: str = "", stratum_digests: dict = None) -> dict:
    # population_digest: digest(population), stratum_digests: the digest of each stratum's
    # members, when the caller has them already (a million members)
    salt = bytes.fromhex(salt_hex)

    def commit(name: str, value: str) -> str:
        return hmac.new(salt, f"{name}\n{value}".encode(), hashlib.sha256).hexdigest()

    whole = population_digest or digest(population)
    out = {"seed": commit("seed", seed_hex), "population": commit("population", whole)}
    for stratum in strata:
        if stratum_digests is not None:
            share = stratum_digests[stratum]
        else:
            share = digest([member for member in population if member[1] == stratum])
        value = f"{share}\n{int(quotas.get(stratum, 0))}\n{','.join(result.get(stratum, []))}"
        out[stratum] = commit(f"stratum {stratum}", value)
    return out


def main(path: str) -> None:
    with open(path, encoding="utf-8") as fh:
        record = json.load(fh)
    if record["algorithm"] != ALGORITHM:
        sys.exit(f"unknown algorithm {record['algorithm']!r}")
    population = [(str(k), str(s), float(w)) for k, s, w in record["population"]]
    print("population digest", digest(population))
    result = draw(record["seed"], record["domain"], record["quotas"], population)
    for stratum, keys in result.items():
        for key in keys:
            print(stratum, key)
    if record.get("salt"):
        strata = [name for name in record.get("commitments", {}) if name not in ("seed", "population")]
        found = commitments(record["salt"], record["seed"], record["quotas"], population, result, strata)
        for name, value in found.items():
            print("commitment", name, value)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python3 draw_algorithm.py record.json")
    main(sys.argv[1])
