"""Per-client rate limits: a fixed window of one minute per credential.

``RedisLimiter`` keeps the counters in Redis (API_RATE_LIMIT_REDIS_URL), shared by every worker
process: one round trip (SET NX with the window's expiry, then INCR, pipelined; ``hit_reading``
adds a GET of another key to the same round trip: the credentials' generation of
services/api/clients.py).
``MemoryLimiter`` keeps them in the process (development on SQLite, one process); it is also
the fallback while Redis does not answer (asked again after RETRY_REDIS_SECONDS), so an outage of Redis loosens the limit to one per
worker instead of refusing every call.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

WINDOW_SECONDS = 60
RETRY_REDIS_SECONDS = 10  # after a failure, Redis is asked again this much later
log = logging.getLogger("zhjg.api")


class Limiter(Protocol):
    def hit(self, key: str, limit: int) -> float:
        """Count one request; 0 when allowed, else the seconds until the window ends."""

    def hit_reading(self, key: str, limit: int, name: str) -> tuple[float, Any]:
        """``hit``, and the value of the counter ``name`` (None when never bumped)."""

    def bump(self, name: str) -> None:
        """Add one to the counter ``name``."""


def _retry_after(now: float, window: int) -> float:
    return max(window - (now % window), 0.001)


class MemoryLimiter:
    def __init__(self, window: int = WINDOW_SECONDS, clock: Callable[[], float] = time.time) -> None:
        self.window = window
        self.clock = clock
        self._counts: dict[str, tuple[int, int]] = {}  # key → (window number, count)
        self._values: dict[str, int] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, limit: int) -> float:
        now = self.clock()
        number = int(now // self.window)
        with self._lock:
            start, count = self._counts.get(key, (number, 0))
            if start != number:
                count = 0
                if len(self._counts) > 10_000:  # forget the keys of past windows
                    self._counts = {k: v for k, v in self._counts.items() if v[0] == number}
            count += 1
            self._counts[key] = (number, count)
        return 0.0 if count <= limit else _retry_after(now, self.window)

    def hit_reading(self, key: str, limit: int, name: str) -> tuple[float, Any]:
        return self.hit(key, limit), self._values.get(name)

    def bump(self, name: str) -> None:
        with self._lock:
            self._values[name] = self._values.get(name, 0) + 1


class RedisLimiter:
    def __init__(self, client: Any, window: int = WINDOW_SECONDS, fallback: MemoryLimiter | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.window = window
        self.clock = clock
        self.fallback = fallback or MemoryLimiter(window, clock)
        self.down_until = 0.0

    def hit(self, key: str, limit: int) -> float:
        return self._hit(key, limit, None)[0]

    def hit_reading(self, key: str, limit: int, name: str) -> tuple[float, Any]:
        return self._hit(key, limit, name)

    def _hit(self, key: str, limit: int, read: str | None) -> tuple[float, Any]:
        now = self.clock()
        if now < self.down_until:
            return self.fallback.hit_reading(key, limit, read or "")
        name = f"zhjg:api:rl:{key}:{int(now // self.window)}"
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.set(name, 0, ex=self.window + 1, nx=True)
            pipe.incr(name)
            if read:
                pipe.get(read)
            answers = pipe.execute()
        except Exception as exc:  # Redis down or slow: count in this process meanwhile
            log.warning("rate-limit counters of Redis unavailable (%s); counting in process", exc)
            self.down_until = now + RETRY_REDIS_SECONDS  # no timeout on every call meanwhile
            return self.fallback.hit_reading(key, limit, read or "")
        wait = 0.0 if int(answers[1]) <= limit else _retry_after(now, self.window)
        return wait, (answers[2] if read else None)

    def bump(self, name: str) -> None:
        self.fallback.bump(name)  # read while Redis is down
        try:
            self.client.incr(name)
        except Exception as exc:
            log.warning("credentials' generation not bumped in Redis (%s)", exc)


def for_app(app: Any) -> Limiter:
    """The app's limiter (made once, from API_RATE_LIMIT_REDIS_URL)."""
    found = app.extensions.get("zhjg_api_limiter")
    if found is None:
        found = app.extensions["zhjg_api_limiter"] = make(app.config.get("API_RATE_LIMIT_REDIS_URL", ""))
    return found  # type: ignore[no-any-return]


def make(url: str) -> Limiter:
    """The limiter a setting names: Redis when a URL is given, else the process's memory."""
    if not url:
        return MemoryLimiter()
    import redis

    return RedisLimiter(redis.Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25))


def retry_after_header(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
