"""Stratified draws that anyone can re-run (services/draw.py, infrastructure/draw_algorithm.py)."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from services import draw
from services.draw import DrawError, Member

SEED = "00" * 31 + "2a"


def _members(n: int, stratum: str = "A", prefix: str = "entity") -> list[Member]:
    return [Member(f"{prefix}:{i}", stratum) for i in range(1, n + 1)]


def test_the_draw_takes_the_smallest_keyed_hashes_recomputed_by_hand():
    members = _members(50)
    record = draw.run(members, {"A": 5}, seed=SEED)
    by_hand = sorted(
        (int.from_bytes(hmac.new(bytes.fromhex(SEED), f"object:{m.key}".encode(), hashlib.sha256).digest(), "big"), m.key)
        for m in members
    )
    assert record.result == {"A": [key for _, key in by_hand[:5]]}
    assert record.algorithm == "zhjg-draw-1" and len(record.seed) == 64


def test_same_seed_same_list_other_seed_or_domain_other_list():
    members = _members(200)
    first = draw.run(members, {"A": 10}, seed=SEED).result
    assert draw.run(list(reversed(members)), {"A": 10}, seed=SEED).result == first  # order of input is irrelevant
    assert draw.run(members, {"A": 10}, seed="11" * 32).result != first
    assert draw.run(members, {"A": 10}, seed=SEED, domain=draw.INSPECTOR_DOMAIN).result != first
    assert draw.run(members, {"A": 10}).seed != draw.run(members, {"A": 10}).seed  # fresh seeds


def test_strata_are_drawn_separately():
    members = _members(100, "A") + _members(10, "E", "place")
    record = draw.run(members, {"A": 3, "E": 10}, seed=SEED)
    assert len(record.result["A"]) == 3 and all(k.startswith("entity:") for k in record.result["A"])
    assert sorted(record.result["E"]) == sorted(m.key for m in members if m.stratum == "E")  # full coverage


def test_quota_arithmetic_rounds_up_and_respects_the_cap():
    assert draw.quota(1000, Decimal("3")) == 30
    assert draw.quota(10, Decimal("3")) == 1  # a non-zero ratio draws at least one
    assert draw.quota(0, Decimal("50")) == 0 and draw.quota(7, Decimal("0")) == 0
    assert draw.quota(7, Decimal("100")) == 7
    counts = {"A": 1000, "C": 500, "E": 40}
    assert draw.quotas_by_stratum(counts, {"A": "1", "C": "3%", "E": 100}) == {"A": 10, "C": 15, "E": 40}
    with pytest.raises(DrawError, match="E类抽查比例100%超过该一般检查事项的比例上限5%"):
        draw.quotas_by_stratum(counts, {"A": 1, "C": 3, "E": 100}, cap="5")
    assert draw.quotas_by_stratum(counts, {"A": 1, "C": 3, "E": 5}, cap="5")["E"] == 2


@pytest.mark.parametrize("bad", ["101", "-1", "abc", "NaN", ""])
def test_bad_ratios_are_refused_in_chinese(bad):
    with pytest.raises(DrawError, match="A类抽查比例应为0到100之间的数字"):
        draw.quotas_by_stratum({"A": 10}, {"A": bad})


def test_bad_draws_are_refused():
    with pytest.raises(DrawError, match="为空"):
        draw.run([], {"A": 1})
    with pytest.raises(DrawError, match="超过该类对象总数3户"):
        draw.run(_members(3), {"A": 4})
    with pytest.raises(DrawError, match="重复"):
        draw.run(_members(3) + _members(1), {"A": 1})
    with pytest.raises(DrawError, match="数量为0"):
        draw.quotas_by_stratum({"A": 10}, {"A": 0})
    with pytest.raises(DrawError, match="随机种子"):
        draw.run(_members(3), {"A": 1}, seed="not hex")


def test_verify_recomputes_and_detects_tampering():
    record = draw.run(_members(300, "B") + _members(20, "E", "place"), {"B": 9, "E": 20}, seed=SEED)
    stored = json.loads(json.dumps(record.as_json()))
    assert draw.verify(stored) == (True, record.result)
    swapped = json.loads(json.dumps(stored))
    swapped["result"]["B"][0] = "entity:999"
    assert draw.verify(swapped)[0] is False
    shrunk = json.loads(json.dumps(stored))
    shrunk["population"] = shrunk["population"][1:]  # a member quietly left out
    assert draw.verify(shrunk)[0] is False


def test_every_member_has_the_same_chance():
    """Over 3,000 fixed seeds, drawing 1 of 10: each member about 300 times."""
    members = _members(10)
    counts = Counter(draw.run(members, {"A": 1}, seed=f"{i:064x}").result["A"][0] for i in range(3000))
    assert set(counts) == {m.key for m in members}
    chi2 = sum((c - 300) ** 2 / 300 for c in counts.values())
    assert chi2 < 27.9  # 9 degrees of freedom, p = 0.001


def test_a_heavier_weight_raises_the_chance():
    members = [Member("entity:1", "A", 1.0), Member("entity:2", "A", 9.0)]
    wins = Counter(draw.run(members, {"A": 1}, seed=f"{i:064x}").result["A"][0] for i in range(2000))
    assert 1650 < wins["entity:2"] < 1950  # expected 1800 (weight 9 of 10)


def test_the_published_script_outside_the_app_gives_the_same_list(tmp_path):
    members = [Member(f"entity:{i}", "ABCDE"[i % 5], 1.0 if i % 7 else 2.5) for i in range(1, 400)]
    record = draw.run(members, {"A": 4, "B": 4, "C": 5, "D": 6, "E": 79}, seed=SEED)
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record.as_json(), ensure_ascii=False), encoding="utf-8")
    script = Path(__file__).resolve().parents[2] / "infrastructure" / "draw_algorithm.py"
    copy = tmp_path / "draw_algorithm.py"
    copy.write_bytes(script.read_bytes())  # as a citizen would: a copy, run with no app on the path
    out = subprocess.run([sys.executable, "-I", str(copy), str(path)], capture_output=True, text=True,
                         cwd=tmp_path, check=True).stdout.splitlines()
    assert out[0] == f"population digest {record.digest}"
    printed: dict[str, list[str]] = {}
    for line in out[1:]:
        stratum, key = line.split(" ", 1)
        printed.setdefault(stratum, []).append(key)
    assert printed == record.result


def test_a_long_seed_is_hashed_as_hmac_does():
    seed = "ab" * 100  # longer than SHA-256's 64-byte block
    members = _members(30)
    record = draw.run(members, {"A": 3}, seed=seed)
    by_hand = sorted(
        (hmac.new(bytes.fromhex(seed), f"object:{m.key}".encode(), hashlib.sha256).digest(), m.key) for m in members
    )
    assert record.result == {"A": [key for _, key in by_hand[:3]]}


def test_packed_population_round_trips_and_matches_the_published_digest():
    members = [draw.Member("b", "-", 1.0), draw.Member("a", "C", 2.5), draw.Member("c", "A", 1.0)]
    record = draw.run(members, {"-": 1, "C": 1, "A": 0}, seed="00" * 32)
    digest, blob = draw.pack_population(record.population)
    assert digest == record.digest  # the script's digest: SHA-256 over the same lines
    assert draw.unpack_population(blob) == record.population
    assert [m.key for m in record.population] == ["a", "b", "c"]
