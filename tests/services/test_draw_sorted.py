"""The draw of a sorted weight-1 population without a tuple per member (services/draw.run_sorted,
verify_text): the same result, record and commitments as ``run`` + ``pack_population`` + ``seal``,
which the published script re-computes (tests/services/test_draw.py)."""

from __future__ import annotations

import random
import zlib

import pytest

from infrastructure import draw_algorithm as algo
from services import draw
from services.draw import DrawError, Member, SortedPopulation

SEED = "00" * 31 + "2a"
SALT = "11" * 32


def _members() -> list[Member]:
    """Three kinds, ids of one to four digits (string order is not id order), every stratum."""
    strata = [*draw.GRADES, draw.UNGRADED]
    return [Member(f"{kind}:{i}", strata[(i * 7 + len(kind)) % 6])
            for kind in ("entity", "place", "product") for i in range(1, 1200, 7)]


def _lines(members: list[Member]) -> list[str]:
    lines = [f"{m.key}\t{m.stratum}" for m in members]
    random.Random(7).shuffle(lines)
    return lines


QUOTAS = {"A": 5, "B": 0, "C": 9, "D": 1, "E": 80, "-": 13}


def test_run_sorted_gives_the_result_record_and_commitments_of_run():
    members = _members()
    expected = draw.run(members, QUOTAS, seed=SEED)
    drawn = draw.run_sorted(SortedPopulation.from_lines(_lines(members)), QUOTAS, seed=SEED)
    assert drawn.result == expected.result and drawn.size == len(members)
    assert (drawn.packed.digest, drawn.packed.blob) == draw.pack_population(expected.population)
    assert drawn.packed.digest == algo.digest(members)
    by_script = algo.commitments(SALT, SEED, expected.quotas, expected.population, expected.result,
                                 draw.COMMITTED_STRATA)
    assert algo.commitments(SALT, SEED, drawn.quotas, [], drawn.result, draw.COMMITTED_STRATA,
                            drawn.packed.digest, drawn.packed.strata) == by_script
    salt, sealed = draw.seal_sorted(drawn)
    assert sealed == algo.commitments(salt, SEED, expected.quotas, expected.population, expected.result,
                                      draw.COMMITTED_STRATA)


def test_a_missing_stratum_is_committed_as_empty():
    members = [Member(f"entity:{i}", "A") for i in range(1, 30)]
    drawn = draw.run_sorted(SortedPopulation.from_lines(_lines(members)), {"A": 3}, seed=SEED)
    expected = draw.run(members, {"A": 3}, seed=SEED)
    assert algo.commitments(SALT, SEED, {"A": 3}, [], drawn.result, draw.COMMITTED_STRATA, drawn.packed.digest,
                            drawn.packed.strata) == algo.commitments(SALT, SEED, {"A": 3}, expected.population,
                                                                     expected.result, draw.COMMITTED_STRATA)


def test_run_sorted_refuses_what_run_refuses():
    with pytest.raises(DrawError, match="为空"):
        draw.run_sorted(SortedPopulation.from_lines([]), {"A": 1})
    with pytest.raises(DrawError, match="重复"):
        draw.run_sorted(SortedPopulation.from_lines(["entity:1\tA", "entity:1\tB"]), {"A": 1})
    with pytest.raises(DrawError, match="超过该类对象总数1户"):
        draw.run_sorted(SortedPopulation.from_lines(["entity:1\tA", "entity:2\t-"]), {"A": 2})
    with pytest.raises(DrawError, match="负数"):
        draw.run_sorted(SortedPopulation.from_lines(["entity:1\tA"]), {"A": -1})
    with pytest.raises(DrawError, match="随机种子"):
        draw.run_sorted(SortedPopulation.from_lines(["entity:1\tA"]), {"A": 1}, seed="xyz")


def test_rank_of_grouped_strata_is_the_scripts_draw():
    members = [(f"entity:{i}", "AB"[i % 2], 1.0 if i % 3 else 2.5) for i in range(1, 300)]
    keys_of: dict[str, list[str]] = {}
    weights_of: dict[str, list[float]] = {}
    for key, stratum, weight in members:
        keys_of.setdefault(stratum, []).append(key)
        weights_of.setdefault(stratum, []).append(weight)
    quotas = {"A": 7, "B": 11, "C": 0}
    assert algo.rank(SEED, "object", quotas, keys_of, weights_of) == algo.draw(SEED, "object", quotas, members)


def _stored(members: list[Member], quotas: dict[str, int]) -> tuple[dict, str]:
    record = draw.run(members, quotas, seed=SEED)
    digest, blob = draw.pack_population(record.population)
    stored = {"algorithm": record.algorithm, "seed": SEED, "domain": "object", "quotas": quotas,
              "population_digest": digest, "result": record.result}
    return stored, zlib.decompress(blob).decode()


def test_verify_text_matches_and_detects_tampering():
    stored, text = _stored(_members(), QUOTAS)
    matches, recomputed = draw.verify_text(stored, text)
    assert matches and recomputed == stored["result"]
    lines = text.splitlines(keepends=True)
    assert not draw.verify_text(stored, "".join(lines[1:]))[0]  # a member quietly left out
    other = {**stored, "result": {**stored["result"], "A": ["entity:99999", *stored["result"]["A"][1:]]}}
    assert not draw.verify_text(other, text)[0]
    with pytest.raises(DrawError, match="未知的抽取算法"):
        draw.verify_text({**stored, "algorithm": "x"}, text)


def test_verify_text_takes_the_general_path_for_weights_and_disorder():
    members = [Member(f"entity:{i}", "A", 1.0 if i % 4 else 3.0) for i in range(1, 60)]
    stored, text = _stored(members, {"A": 6})
    assert SortedPopulation.from_text(text) is None
    assert draw.verify_text(stored, text) == (True, stored["result"])
    lines = text.splitlines(keepends=True)
    shuffled = "".join(reversed(lines))  # the script sorts the lines before hashing them
    assert SortedPopulation.from_text(shuffled) is None
    assert draw.verify_text(stored, shuffled) == (True, stored["result"])
