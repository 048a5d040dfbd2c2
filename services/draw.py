"""Stratified random draws that anyone can re-run (docs/draws.md; seeds 002 and 003).

The ranking itself lives in ``infrastructure/draw_algorithm.py``, a standard-library script that is
published unchanged, so the platform and a citizen run the same code.  This module adds what
the platform decides before a draw: quotas per credit-risk grade from a ratio (seed 002:
higher ratios for worse grades, E up to full coverage), the cap of a general item (seed 003:
key items uncapped), validation with Chinese messages, a fresh seed, and the record to store
and later verify.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property
from itertools import islice
from operator import eq, itemgetter, lt
from typing import Any, NamedTuple

from infrastructure import draw_algorithm as algo
from infrastructure.errors import ServiceError

ALGORITHM = algo.ALGORITHM
GRADES = ("A", "B", "C", "D", "E")
UNGRADED = "-"  # stratum of members without a credit-risk grade
OBJECT_DOMAIN = "object"
INSPECTOR_DOMAIN = "inspector"


class DrawError(ServiceError):
    status = 422


class Member(NamedTuple):
    """One member of a draw's population (a tuple: a million of them are made per draw)."""

    key: str  # e.g. "entity:12"
    stratum: str = UNGRADED  # the credit-risk grade, or UNGRADED
    weight: float = 1.0


@dataclass
class DrawRecord:
    """Everything needed to re-run a draw: what is stored and (without grades) published."""

    seed: str
    domain: str
    quotas: dict[str, int]
    population: list[Member]  # or plain (key, stratum, weight) tuples, sorted by key
    algorithm: str = ALGORITHM
    result: dict[str, list[str]] = field(default_factory=dict)

    @cached_property
    def digest(self) -> str:
        return algo.digest(self.population)

    def as_json(self) -> dict[str, Any]:
        return {
            "algorithm": self.algorithm,
            "seed": self.seed,
            "domain": self.domain,
            "quotas": self.quotas,
            "population": [list(m) for m in self.population],
            "population_digest": self.digest,
            "result": self.result,
        }


def parse_ratio(value: Any, label: str = "抽查比例") -> Decimal:
    """A percentage in [0, 100]."""
    try:
        ratio = Decimal(str(value).strip().rstrip("%"))
    except (InvalidOperation, ValueError):
        raise DrawError(f"{label}应为0到100之间的数字") from None
    if not ratio.is_finite() or ratio < 0 or ratio > 100:
        raise DrawError(f"{label}应为0到100之间的数字")
    return ratio


def quota(population: int, ratio: Decimal) -> int:
    """Members to draw from ``population`` at ``ratio`` percent: rounded up, so a non-zero
    ratio draws at least one member of a non-empty stratum, and never more than there are."""
    if population <= 0 or ratio <= 0:
        return 0
    return min(population, math.ceil(Decimal(population) * ratio / 100))


def quotas_by_stratum(
    counts: Mapping[str, int], ratios: Mapping[str, Any], *, cap: Any | None = None
) -> dict[str, int]:
    """Quota per stratum from its population and ratio.  ``cap`` is a general item's upper
    bound on the ratio (percent); a key item passes None.  Refuses bad ratios outright."""
    limit = parse_ratio(cap, "抽查比例上限") if cap not in (None, "") else None
    result: dict[str, int] = {}
    for stratum, count in counts.items():
        label = "未分级" if stratum == UNGRADED else f"{stratum}类"
        ratio = parse_ratio(ratios.get(stratum, 0), f"{label}抽查比例")
        if limit is not None and ratio > limit:
            raise DrawError(f"{label}抽查比例{ratio}%超过该一般检查事项的比例上限{limit}%")
        result[stratum] = quota(count, ratio)
    if counts and not any(result.values()):
        raise DrawError("按所填比例抽取的数量为0，请调整抽查比例")
    return result


def new_seed() -> str:
    """32 random bytes from the operating system, as hex."""
    return secrets.token_hex(32)


def run(
    members: Iterable[Member], quotas: Mapping[str, int], *, domain: str = OBJECT_DOMAIN, seed: str | None = None
) -> DrawRecord:
    """Draw ``quotas[stratum]`` members of each stratum; returns the record with its result.
    ``members`` are Members or plain (key, stratum, weight) tuples (cheaper by the million)."""
    population = sorted(members, key=itemgetter(0))
    if not population:
        raise DrawError("检查对象名录库为空，无法抽取")
    keys = list(map(itemgetter(0), population))
    if any(map(eq, keys, islice(keys, 1, None))):  # sorted: a duplicate sits next to its twin
        raise DrawError("抽取范围中有重复的对象")
    if any(not (w > 0 and math.isfinite(w)) for w in set(map(itemgetter(2), population))):
        raise DrawError("权重应为正数")
    _check_quotas(Counter(map(itemgetter(1), population)), quotas)
    seed = seed or new_seed()
    try:
        bytes.fromhex(seed)
    except ValueError:
        raise DrawError("随机种子格式不正确") from None
    record = DrawRecord(seed=seed, domain=domain, quotas={k: int(v) for k, v in quotas.items()}, population=population)
    record.result = algo.draw(record.seed, domain, record.quotas, population)
    return record


COMMITTED_STRATA = [*GRADES, UNGRADED]  # every stratum is committed, empty or not (docs/draws.md)


def seal(record: DrawRecord, population_digest: str = "") -> tuple[str, dict[str, str]]:
    """(salt, commitments) of a fresh draw: a secret 32-byte salt and the salted commitments
    to its seed, population and each stratum that the public page shows instead of them."""
    salt = secrets.token_hex(32)
    return salt, algo.commitments(salt, record.seed, record.quotas, record.population, record.result,
                                  COMMITTED_STRATA, population_digest)


def verify(stored: Mapping[str, Any]) -> tuple[bool, dict[str, list[str]]]:
    """Re-run a stored record (as ``DrawRecord.as_json`` wrote it); (matches, recomputed)."""
    population = [(str(k), str(s), float(w)) for k, s, w in stored["population"]]
    return verify_population(stored, population)


def verify_population(
    stored: Mapping[str, Any], population: list[tuple[str, str, float]]
) -> tuple[bool, dict[str, list[str]]]:
    """``verify`` with the population already read as (key, stratum, weight) tuples."""
    if stored.get("algorithm") != ALGORITHM:
        raise DrawError(f"未知的抽取算法版本：{stored.get('algorithm')}")
    if stored.get("population_digest") and algo.digest(population) != stored["population_digest"]:
        return False, {}
    recomputed = algo.draw(stored["seed"], stored["domain"], dict(stored["quotas"]), population)
    return recomputed == {k: list(v) for k, v in stored["result"].items()}, recomputed


def population_lines(members: Iterable[tuple[str, str, float]]) -> bytes:
    """The digest's lines "key<TAB>stratum<TAB>weight\n", in key order (``members`` as ``run``
    leaves them: sorted by key); ``algo.digest`` is SHA-256 over exactly these bytes."""
    return "".join([f"{k}\t{s}\t{w:g}\n" for k, s, w in members]).encode()


def pack_population(members: Iterable[tuple[str, str, float]]) -> tuple[str, bytes]:
    """(digest, blob) of a draw's population as stored in ``Draw.population_digest`` and
    ``Draw.population``: zlib level 1 of ``population_lines`` (a 1,000,000-member population
    compresses in a tenth of a second)."""
    text = population_lines(members)
    return hashlib.sha256(text).hexdigest(), zlib.compress(text, 1)


def unpack_population(blob: bytes) -> list[Member]:
    """The stored population back as members, in key order."""
    members = []
    append = members.append
    for line in zlib.decompress(blob).decode().splitlines():
        key, stratum, weight = line.split("\t")
        append(Member(key, stratum, 1.0 if weight == "1" else float(weight)))
    return members


# ------------------------------------------------------------------ a million members, no tuples


@dataclass
class SortedPopulation:
    """A population of weight-1 members sorted by key, as two parallel lists and the digest's
    text ("key<TAB>stratum<TAB>1\\n" per member, in key order).  ``run_sorted`` draws from it and
    stores it without a tuple per member: a million of them cost more than the ranking saves."""

    keys: list[str]
    strata: list[str]
    text: str

    @classmethod
    def from_lines(cls, lines: list[str]) -> SortedPopulation:
        """From "key<TAB>stratum" strings in any order (sorted in place: with keys "kind:id" read
        in id order the list is a few ascending runs, one per number of digits, and the sort
        merely merges them).  A line sorts as its key: the tab sorts before every key character."""
        lines.sort()
        parts = "\t".join(lines).split("\t") if lines else []
        return cls(parts[0::2], parts[1::2], "\t1\n".join(lines) + "\t1\n" if lines else "")

    @classmethod
    def from_text(cls, text: str) -> SortedPopulation | None:
        """From the stored lines, or None when they are not all of weight 1 in strict key order
        (then only the general path, ``verify_population``, may judge them)."""
        parts = text.replace("\n", "\t").split("\t")
        if parts[-1] != "" or len(parts) % 3 != 1:
            return None
        keys, weights = parts[0:-1:3], parts[2::3]
        if set(weights) - {"1"} or not all(map(lt, keys, islice(keys, 1, None))):
            return None
        return cls(keys, parts[1::3], text)

    def by_stratum(self) -> dict[str, list[str]]:
        """Each stratum's keys, in key order (one loop: cheaper than a C pass per stratum)."""
        out: dict[str, list[str]] = {s: [] for s in sorted(set(self.strata))}
        append = {s: keys.append for s, keys in out.items()}
        for key, stratum in zip(self.keys, self.strata):  # noqa: B905 (parallel lists)
            append[stratum](key)
        return out


class Packed(NamedTuple):
    """A population as ``Draw`` stores it: digest, zlib blob, and each committed stratum's digest."""

    digest: str
    blob: bytes
    strata: dict[str, str]


def _digest_and_compress(text: bytes) -> tuple[str, bytes]:
    """SHA-256 and zlib level 1 of the population's text: two calls that let go of the GIL."""
    return hashlib.sha256(text).hexdigest(), zlib.compress(text, 1)


def stratum_digests(by_stratum: Mapping[str, list[str]]) -> dict[str, str]:
    """The digest of each committed stratum's lines (``seal``'s, without formatting a line)."""
    shares = {}
    for stratum in COMMITTED_STRATA:
        keys = by_stratum.get(stratum)
        sep = f"\t{stratum}\t1\n"
        shares[stratum] = hashlib.sha256((sep.join(keys) + sep).encode() if keys else b"").hexdigest()
    return shares


def pack_sorted(population: SortedPopulation, by_stratum: Mapping[str, list[str]]) -> Packed:
    """``pack_population`` and the strata's digests of ``seal`` in one go, from the text built
    once (``run_sorted`` does the same with the whole text's hash and zlib in a second thread)."""
    return Packed(*_digest_and_compress(population.text.encode()), stratum_digests(by_stratum))


@dataclass
class SortedDraw:
    """A draw from a ``SortedPopulation``: what ``run`` and ``pack_population`` give, once."""

    seed: str
    domain: str
    quotas: dict[str, int]
    size: int
    result: dict[str, list[str]]
    packed: Packed
    algorithm: str = ALGORITHM


def _check_quotas(counts: Mapping[str, int], quotas: Mapping[str, int]) -> None:
    for stratum, wanted in quotas.items():
        if wanted < 0:
            raise DrawError("抽取数量不能为负数")
        if wanted > counts.get(stratum, 0):
            label = "未分级" if stratum == UNGRADED else f"{stratum}类"
            raise DrawError(f"{label}拟抽取{wanted}户，超过该类对象总数{counts.get(stratum, 0)}户")


check_quotas = _check_quotas  # the same refusals for the weighted draw (services/trigger/draws.py)


def run_sorted(population: SortedPopulation, quotas: Mapping[str, int], *, domain: str = OBJECT_DOMAIN,
               seed: str | None = None) -> SortedDraw:
    """``run`` and ``pack_population`` for a sorted weight-1 population: the same checks, the
    same result (algo.rank on the strata grouped in key order), the whole text hashed and
    compressed in a second thread while the main one ranks."""
    keys = population.keys
    if not keys:
        raise DrawError("检查对象名录库为空，无法抽取")
    if any(map(eq, keys, islice(keys, 1, None))):
        raise DrawError("抽取范围中有重复的对象")
    by_stratum = population.by_stratum()
    _check_quotas({s: len(k) for s, k in by_stratum.items()}, quotas)
    seed = seed or new_seed()
    try:
        bytes.fromhex(seed)
    except ValueError:
        raise DrawError("随机种子格式不正确") from None
    quotas = {k: int(v) for k, v in quotas.items()}
    # The second thread gets only calls that let go of the GIL (hashing and compressing the
    # whole text): one that held it would stall the ranking whenever the busy host left that
    # thread waiting for a core.
    with ThreadPoolExecutor(1) as pool:
        whole = pool.submit(_digest_and_compress, population.text.encode())
        shares = stratum_digests(by_stratum)
        result = algo.rank(seed, domain, quotas, by_stratum)
        digest, blob = whole.result()
    return SortedDraw(seed, domain, quotas, len(keys), result, Packed(digest, blob, shares))


def seal_sorted(drawn: SortedDraw) -> tuple[str, dict[str, str]]:
    """``seal`` for a ``SortedDraw``: the strata's digests are packed already."""
    salt = secrets.token_hex(32)
    return salt, algo.commitments(salt, drawn.seed, drawn.quotas, [], drawn.result, COMMITTED_STRATA,
                                  drawn.packed.digest, drawn.packed.strata)


def verify_text(stored: Mapping[str, Any], text: str) -> tuple[bool, dict[str, list[str]]]:
    """``verify`` of a stored record whose population is the stored lines ``text``: hashed as
    they are and ranked from the strata grouped in key order; lines that are not plain weight-1
    lines in key order go the general way (``verify_population``)."""
    if stored.get("algorithm") != ALGORITHM:
        raise DrawError(f"未知的抽取算法版本：{stored.get('algorithm')}")
    population = SortedPopulation.from_text(text)
    if population is None:
        members = [(k, s, float(w)) for k, s, w in (line.split("\t") for line in text.splitlines())]
        return verify_population(stored, members)
    if stored.get("population_digest") and hashlib.sha256(text.encode()).hexdigest() != stored["population_digest"]:
        return False, {}
    recomputed = algo.rank(stored["seed"], stored["domain"], dict(stored["quotas"]), population.by_stratum())
    return recomputed == {k: list(v) for k, v in stored["result"].items()}, recomputed
