"""services/api: scopes, rate limiters (in process and Redis), idempotency digests, cursors."""

from __future__ import annotations

import pytest

from infrastructure.errors import Invalid
from services.api import idempotency, published, scopes
from services.api.problems import ApiProblem
from services.api.ratelimit import MemoryLimiter, RedisLimiter, retry_after_header
from services.api.resources import load


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_memory_limiter_counts_per_key_and_window():
    clock = Clock(120.0)
    limiter = MemoryLimiter(clock=clock)
    assert [limiter.hit("a", 2) for _ in range(2)] == [0.0, 0.0]
    clock.t = 150.0
    assert limiter.hit("a", 2) == pytest.approx(30.0)
    assert retry_after_header(30.0) == "30" and retry_after_header(0.2) == "1"
    assert limiter.hit("b", 2) == 0.0
    clock.t = 180.0  # a new window
    assert limiter.hit("a", 2) == 0.0


def test_redis_limiter_shares_counters_and_falls_back_when_redis_is_down():
    redis = pytest.importorskip("redis")
    client = redis.Redis(host="127.0.0.1", port=6379, socket_timeout=0.25, socket_connect_timeout=0.25)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    import uuid

    key = uuid.uuid4().hex
    clock = Clock(1_000_040.0)  # 20 s into a window
    one, two = RedisLimiter(client, clock=clock), RedisLimiter(client, clock=clock)  # two workers
    assert [one.hit(key, 3), two.hit(key, 3), one.hit(key, 3)] == [0.0, 0.0, 0.0]
    assert two.hit(key, 3) == pytest.approx(40.0)
    down = RedisLimiter(redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.05), clock=clock)
    assert down.hit(key, 1) == 0.0 and down.hit(key, 1) > 0  # counted in the process meanwhile


def test_scopes_are_checked_against_the_registry():
    codes = {code for code, _ in scopes.catalogue()}
    assert {"entities:read", "entities.legal_rep:read", "facts:write", "facts.penalty:write",
            "published.results:read"} <= codes
    assert scopes.clean(["facts:write", " entities:read", "facts:write"]) == "entities:read facts:write"
    with pytest.raises(Invalid, match="未知的授权范围"):
        scopes.clean(["entities:write"])


def test_parts_and_whole_scopes():
    resources = load()
    entities, facts = resources["entities"], resources["facts"]
    assert scopes.parts(frozenset({"entities:read"}), entities, "read") == frozenset()
    assert scopes.parts(frozenset({"entities:read", "entities.address:read"}), entities, "read") == {"address"}
    post = facts.operations[0]
    assert scopes.allows(frozenset({"facts:write"}), facts, post, "permit")
    assert scopes.allows(frozenset({"facts.permit:write"}), facts, post, "permit")
    assert not scopes.allows(frozenset({"facts.permit:write"}), facts, post, "penalty")


def test_idempotency_digest_covers_method_path_and_body():
    a = idempotency.request_hash("POST", "/api/v1/facts/permit", b"{}")
    assert a == idempotency.request_hash("POST", "/api/v1/facts/permit", b"{}")
    assert a != idempotency.request_hash("POST", "/api/v1/facts/penalty", b"{}")
    assert a != idempotency.request_hash("POST", "/api/v1/facts/permit", b"{ }")
    with pytest.raises(ApiProblem):
        idempotency.check_key("")


def test_cursors_round_trip_and_refuse_garbage():
    assert published.decode_cursor(published.encode_cursor(42)) == 42
    assert published.decode_cursor("") == 0
    for bad in ("%%%", "e30", "eyJhIjogIngifQ"):
        with pytest.raises(ApiProblem):
            published.decode_cursor(bad)


def test_limiters_read_and_bump_a_generation_in_the_same_round_trip():
    memory = MemoryLimiter()
    assert memory.hit_reading("a", 5, "gen") == (0.0, None)
    memory.bump("gen")
    assert memory.hit_reading("a", 5, "gen") == (0.0, 1)
    redis = pytest.importorskip("redis")
    client = redis.Redis(host="127.0.0.1", port=6379, socket_timeout=0.25, socket_connect_timeout=0.25)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    import uuid

    key, name = uuid.uuid4().hex, "zhjg:test:" + uuid.uuid4().hex
    one, two = RedisLimiter(client), RedisLimiter(client)  # two workers
    assert one.hit_reading(key, 5, name) == (0.0, None)
    two.bump(name)
    wait, generation = one.hit_reading(key, 5, name)
    assert wait == 0.0 and generation == b"1"
    client.delete(name)
