"""Fixed-window counters in Redis for API throttling and login lockout.

One Lua script increments a counter and sets its expiry together, so concurrent requests in
several web processes can never both take the last slot (DRF's cache throttles read then write
and overshoot; docs/security.md 3.3). Keys start with the tenant or client they limit.

If Redis does not answer, the limits fail *open* (the request is served and a warning logged):
losing the API to a Redis outage is worse than a minute without throttling. The monthly API-call
quota is counted in MongoDB and keeps working.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import redis
from django.conf import settings

logger = logging.getLogger("sentimatrix.ratelimit")

_HIT = """
local n = redis.call('INCRBY', KEYS[1], ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}
"""


@dataclass(frozen=True)
class Window:
    limit: int
    count: int
    reset_seconds: int  # until the window ends

    @property
    def allowed(self) -> bool:
        return self.count <= self.limit

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)

    @property
    def reset_at(self) -> int:
        """Unix time at which the window ends (the ``X-RateLimit-Reset`` value)."""
        return int(time.time()) + self.reset_seconds


@lru_cache(maxsize=4)
def _client(url: str) -> Any:
    return redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)


def client() -> Any:
    return _client(getattr(settings, "RATE_LIMIT_REDIS_URL", "") or settings.REDIS_URL)


def _key(key: str) -> str:
    return f"{getattr(settings, 'RATE_LIMIT_PREFIX', 'sm:acc')}:{key}"


def hit(key: str, *, limit: int, window_seconds: int, amount: int = 1) -> Window | None:
    """Count ``amount`` against ``key``; None when Redis is unavailable (fail open)."""
    try:
        count, ttl_ms = client().eval(_HIT, 1, _key(key), window_seconds * 1000, amount)
    except redis.RedisError as exc:
        logger.warning("rate limit %s not applied: Redis unavailable (%s)", key.split(":")[0], exc)
        return None
    return Window(limit=limit, count=int(count), reset_seconds=max(1, -(-int(ttl_ms) // 1000)))


def peek(key: str, *, limit: int) -> Window | None:
    """The current count without adding to it."""
    try:
        pipe = client().pipeline()
        pipe.get(_key(key))
        pipe.pttl(_key(key))
        value, ttl_ms = pipe.execute()
    except redis.RedisError as exc:
        logger.warning("rate limit %s not checked: Redis unavailable (%s)", key.split(":")[0], exc)
        return None
    return Window(limit=limit, count=int(value or 0), reset_seconds=max(1, -(-int(ttl_ms) // 1000)))


def clear(key: str) -> None:
    try:
        client().delete(_key(key))
    except redis.RedisError as exc:
        logger.warning("rate limit %s not cleared: Redis unavailable (%s)", key.split(":")[0], exc)
