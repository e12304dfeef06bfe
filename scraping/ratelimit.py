"""Redis-backed rate limits shared by every Celery worker (Celery's own ``rate_limit`` is per worker).

Every check is one Lua script (``register_script``), so concurrent workers can never both take the last
slot. The current time comes from an injectable ``clock`` (wall-clock seconds, default ``time.time``)
and is passed to the scripts as an argument instead of using Redis ``TIME``: tests drive a fake clock,
and in production all workers share NTP-synced wall clocks (skew between hosts shifts limits by the
skew, which is negligible against 1 s+ spacings). Times travel to Lua as integer microseconds, which
doubles represent exactly, and are formatted with ``%d`` so Lua never prints them in exponent form.

Four mechanisms:

* :meth:`RateLimiter.acquire_platform` / :meth:`RateLimiter.acquire_platform_limits`: global
  **sliding-window log** per platform (a sorted set of request times per window length). Exact: never
  more than ``rate`` requests in any ``per_seconds`` interval, which is how the documented limits are
  stated (Reddit 100 per minute, Steam 150 per 5 minutes). Several windows are checked and recorded
  atomically together. Not reserving: a caller told to wait retries after the wait.
* :meth:`RateLimiter.next_slot`: per-target spacing (``config.limits.rate_limit_delay``). Reserving:
  each caller is handed the next free slot, so two workers hitting one target are staggered by
  ``delay_seconds`` instead of both firing at once.
* :meth:`RateLimiter.consume_daily`: per-project ``max_requests_per_day`` counter keyed by UTC date.
* :meth:`RateLimiter.acquire_concurrency`: lease-based semaphore for plan concurrency (ScraperAPI,
  Apify), with expiry so a crashed worker's lease frees itself.

Key layout (``prefix`` default ``sm:rl``): ``{prefix}:plat:{<platform>}:w<window_us>``,
``{prefix}:slot:<key>``, ``{prefix}:daily:<project_id>:<YYYY-MM-DD>``, ``{prefix}:conc:<name>``. The
``{platform}`` braces are a Redis Cluster hash tag so a multi-window script's keys share a slot.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

__all__ = [
    "DEFAULT_PLATFORM_LIMITS",
    "PlatformLimit",
    "PlatformPolicy",
    "RateLimitWaitTooLong",
    "RateLimiter",
]

_US = 1_000_000


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_rate(rate: object, per_seconds: object) -> None:
    if not _is_int(rate) or rate < 1:  # type: ignore[operator]
        raise ValueError(f"rate must be a positive integer; got {rate!r}")
    if (
        not isinstance(per_seconds, int | float)
        or isinstance(per_seconds, bool)
        or not math.isfinite(per_seconds)
        or per_seconds < 0.001  # the scripts work in µs; shorter windows make no sense for HTTP budgets
    ):
        raise ValueError(f"per_seconds must be a number >= 0.001; got {per_seconds!r}")


def _check_seconds(name: str, value: object) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative number of seconds; got {value!r}")
    return float(value)


def _to_us(seconds: float) -> int:
    return int(round(seconds * _US))


@dataclass(frozen=True)
class PlatformLimit:
    """At most ``rate`` requests in any ``per_seconds`` interval."""

    rate: int
    per_seconds: float

    def __post_init__(self) -> None:
        _check_rate(self.rate, self.per_seconds)


@dataclass(frozen=True)
class PlatformPolicy:
    """Defaults for one platform: request-rate windows, and a concurrency cap for plan-limited providers."""

    windows: tuple[PlatformLimit, ...] = ()
    max_concurrency: int | None = None
    source: str = ""  # where the numbers come from (docs/platforms.md section 10)


# From docs/platforms.md section 10 ("practical budget" column). Keys match scraping.platforms.base.Platform
# where one exists. YouTube and Google budgets belong to the API key's Cloud project, so callers with
# per-user keys should pass a per-credential name (e.g. f"youtube:{api_key_id}") to acquire_platform_limits.
# Amazon has no entry on purpose: it is never called directly, only through ScraperAPI/Apify.
DEFAULT_PLATFORM_LIMITS: dict[str, PlatformPolicy] = {
    "steam": PlatformPolicy(
        windows=(PlatformLimit(1, 1.0), PlatformLimit(150, 300.0)),
        source="no documented limit; budget <=1 req/s per IP and 150 per 5 min (steamreviews)",
    ),
    "reddit": PlatformPolicy(
        windows=(PlatformLimit(100, 60.0),),
        source="OAuth app-only: 100 queries/min per client id",
    ),
    "reddit_public": PlatformPolicy(
        windows=(PlatformLimit(10, 60.0),),
        source="anonymous .json: 10 queries/min",
    ),
    "youtube": PlatformPolicy(
        windows=(PlatformLimit(10_000, 86_400.0),),
        source="Data API v3: 10,000 units/day default, 1 unit per list call (sliding 24 h is conservative)",
    ),
    "google": PlatformPolicy(
        windows=(PlatformLimit(60, 60.0),),
        source="Places (New): per-project QPM set in the Cloud console; 60/min is our conservative default",
    ),
    "scraperapi": PlatformPolicy(
        max_concurrency=5,
        source="limit is plan concurrency (semaphore); 5 is the smallest plan's, raise it per account",
    ),
    "apify": PlatformPolicy(
        max_concurrency=3,
        source="platform limits + actor memory; practical budget 1-3 concurrent runs",
    ),
}


class RateLimitWaitTooLong(Exception):  # noqa: N818 - reads better at call sites than ...Error
    """The required wait exceeds the caller's ``max_wait``; nothing was reserved or consumed.

    Celery tasks should ``raise self.retry(countdown=exc.retry_after)`` instead of blocking a worker.
    """

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited; retry in {retry_after:.3f}s")
        self.retry_after = retry_after


# KEYS[i]: sorted set of request times (µs) for window i. ARGV: now_us, member, then rate_i, window_us_i.
# Returns 0 (recorded in every window) or the µs until every window has room (nothing recorded).
_SLIDING_WINDOW_LUA = """
local now = tonumber(ARGV[1])
local member = ARGV[2]
local wait = 0
for i = 1, #KEYS do
  local rate = tonumber(ARGV[1 + 2 * i])
  local window = tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', string.format('%d', now - window))
  local count = redis.call('ZCARD', KEYS[i])
  if count >= rate then
    -- room appears when the (count - rate + 1)-th oldest entry leaves the window
    local entry = redis.call('ZRANGE', KEYS[i], count - rate, count - rate, 'WITHSCORES')
    local w = tonumber(entry[2]) + window - now
    if w > wait then wait = w end
  end
end
if wait > 0 then
  return wait
end
for i = 1, #KEYS do
  local window = tonumber(ARGV[2 + 2 * i])
  redis.call('ZADD', KEYS[i], string.format('%d', now), member)
  redis.call('PEXPIRE', KEYS[i], math.ceil(window / 1000) + 1000)
end
return 0
"""

# KEYS[1]: next free slot (µs). ARGV: now_us, delay_us, max_wait_us (-1 = unlimited).
# Returns {reserved 1|0, wait_us}.
_NEXT_SLOT_LUA = """
local now = tonumber(ARGV[1])
local delay = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = now
if free > now then slot = free end
local wait = slot - now
if max_wait >= 0 and wait > max_wait then
  return {0, wait}
end
local nxt = slot + delay
redis.call('SET', KEYS[1], string.format('%d', nxt), 'PX', math.ceil((nxt - now) / 1000) + 1000)
return {1, wait}
"""

# KEYS[1]: counter. ARGV: limit, ttl_seconds. Returns 1 (counted) or 0 (limit reached, not counted).
_DAILY_LUA = """
local limit = tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current >= limit then
  return 0
end
redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return 1
"""

# KEYS[1]: sorted set token -> lease expiry (µs). ARGV: now_us, limit, lease_us, token.
# Returns {1, 0} when leased, else {0, µs until the earliest lease expires}.
_CONCURRENCY_LUA = """
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%d', now))
if redis.call('ZCARD', KEYS[1]) >= limit then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, tonumber(first[2]) - now}
end
redis.call('ZADD', KEYS[1], string.format('%d', now + lease), ARGV[4])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[1], math.ceil((tonumber(last[2]) - now) / 1000) + 1000)
return {1, 0}
"""


class RateLimiter:
    """Cross-worker rate limits on one Redis connection (a ``redis.Redis``; bytes or str responses both work).

    ``clock`` returns wall-clock seconds (shared across hosts, so not ``time.monotonic``); ``sleep`` is
    used by the ``wait_*`` helpers. Inject both in tests.
    """

    def __init__(
        self,
        redis_client: Any,
        prefix: str = "sm:rl",
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._redis = redis_client
        self._prefix = prefix
        self._clock = clock
        self._sleep = sleep
        self._sliding = redis_client.register_script(_SLIDING_WINDOW_LUA)
        self._slot = redis_client.register_script(_NEXT_SLOT_LUA)
        self._daily = redis_client.register_script(_DAILY_LUA)
        self._concurrency = redis_client.register_script(_CONCURRENCY_LUA)

    def _now_us(self) -> int:
        return _to_us(self._clock())

    # ------------------------------------------------------------------ platform (global sliding window)

    def platform_key(self, platform: str, per_seconds: float) -> str:
        return f"{self._prefix}:plat:{{{platform}}}:w{_to_us(per_seconds)}"

    def acquire_platform(self, platform: str, *, rate: int, per_seconds: float) -> float:
        """Take one request from ``platform``'s budget of ``rate`` per ``per_seconds``.

        Returns 0.0 if the request may go now (and it is counted), otherwise the seconds until it may be
        retried (nothing counted).
        """
        return self.acquire_platform_limits(platform, (PlatformLimit(rate, per_seconds),))

    def acquire_platform_limits(self, platform: str, limits: Sequence[PlatformLimit]) -> float:
        """Like :meth:`acquire_platform` for several windows at once (e.g. Steam's 1/s and 150/5 min).

        All windows are checked and, only if every one has room, recorded, in one atomic script.
        """
        if not platform:
            raise ValueError("platform must be a non-empty string")
        if not limits:
            return 0.0
        windows: dict[int, int] = {}
        for limit in limits:
            # Two limits with the same window length share one log: keep the stricter rate.
            window_us = _to_us(limit.per_seconds)
            windows[window_us] = min(limit.rate, windows.get(window_us, limit.rate))
        keys = [self.platform_key(platform, w / _US) for w in windows]
        args: list[int | str] = [self._now_us(), uuid.uuid4().hex]
        for window_us, rate in windows.items():
            args += [rate, window_us]
        wait_us = int(self._sliding(keys=keys, args=args))
        return wait_us / _US

    def wait_platform(self, platform: str, limits: Sequence[PlatformLimit], *, max_wait: float | None = None) -> float:
        """Block (with the injected ``sleep``) until ``platform`` allows a request; return seconds slept.

        With ``max_wait``, raises :class:`RateLimitWaitTooLong` instead of sleeping past it in total.
        """
        budget = None if max_wait is None else _check_seconds("max_wait", max_wait)
        waited = 0.0
        while True:
            delay = self.acquire_platform_limits(platform, limits)
            if delay == 0:
                return waited
            if budget is not None and waited + delay > budget:
                raise RateLimitWaitTooLong(delay)
            self._sleep(delay)
            waited += delay

    # ------------------------------------------------------------------------- per-target spacing

    def slot_key(self, key: str) -> str:
        return f"{self._prefix}:slot:{key}"

    def next_slot(self, key: str, delay_seconds: float, *, max_wait: float | None = None) -> float:
        """Reserve the next request slot for ``key`` (e.g. a target id) and return the wait before it.

        Slots are ``delay_seconds`` apart; each call reserves one, so concurrent callers get 0, delay,
        2*delay... With ``max_wait``, a slot further away than that is not reserved and
        :class:`RateLimitWaitTooLong` is raised.
        """
        if not key:
            raise ValueError("key must be a non-empty string")
        delay = _check_seconds("delay_seconds", delay_seconds)
        if delay == 0:
            return 0.0  # no spacing configured: nothing to coordinate
        limit_us = -1 if max_wait is None else _to_us(_check_seconds("max_wait", max_wait))
        reserved, wait_us = self._slot(keys=[self.slot_key(key)], args=[self._now_us(), _to_us(delay), limit_us])
        if not int(reserved):
            raise RateLimitWaitTooLong(int(wait_us) / _US)
        return int(wait_us) / _US

    def wait_for_slot(self, key: str, delay_seconds: float, *, max_wait: float | None = None) -> float:
        """Reserve the next slot for ``key`` and sleep until it; return the seconds slept."""
        wait = self.next_slot(key, delay_seconds, max_wait=max_wait)
        if wait > 0:
            self._sleep(wait)
        return wait

    # ----------------------------------------------------------------------- per-project daily budget

    def daily_key(self, project_id: str, now: datetime) -> str:
        return f"{self._prefix}:daily:{project_id}:{_utc_day(now).isoformat()}"

    def consume_daily(self, project_id: str, limit: int, *, now: datetime) -> bool:
        """Count one request against ``project_id``'s ``limit`` for the UTC day of ``now``.

        Returns False (and counts nothing) once ``limit`` requests were already counted that day. The
        counter expires one day after its UTC day ends, so yesterday's usage stays readable for a day.
        """
        if not project_id:
            raise ValueError("project_id must be a non-empty string")
        if not _is_int(limit) or limit < 0:
            raise ValueError(f"limit must be a non-negative integer; got {limit!r}")
        day = _utc_day(now)
        day_end = datetime(day.year, day.month, day.day, tzinfo=timezone.utc) + timedelta(days=1)
        # Relative TTL computed from the caller's `now` (not Redis' clock), so a fake `now` still works.
        ttl = math.ceil((day_end - now).total_seconds()) + 86_400
        return bool(int(self._daily(keys=[self.daily_key(project_id, now)], args=[limit, ttl])))

    def daily_count(self, project_id: str, *, now: datetime) -> int:
        """Requests counted so far for ``project_id`` on the UTC day of ``now``."""
        value = self._redis.get(self.daily_key(project_id, now))
        return int(value) if value is not None else 0

    # ------------------------------------------------------------------------- plan concurrency

    def concurrency_key(self, name: str) -> str:
        return f"{self._prefix}:conc:{name}"

    def acquire_concurrency(self, name: str, limit: int, *, lease_seconds: float) -> str | None:
        """Take one of ``limit`` concurrent slots for ``name``; return a lease token, or None if all are taken.

        The lease expires after ``lease_seconds`` even if never released (crashed worker), so pick it
        above the longest request (ScraperAPI: 70 s of retries; Apify sync: 300 s).
        """
        token, _ = self._try_concurrency(name, limit, lease_seconds)
        return token

    def release_concurrency(self, name: str, token: str) -> bool:
        """Give a lease back early. Returns False if it had already expired."""
        return bool(self._redis.zrem(self.concurrency_key(name), token))

    def _try_concurrency(self, name: str, limit: int, lease_seconds: float) -> tuple[str | None, float]:
        if not name:
            raise ValueError("name must be a non-empty string")
        if not _is_int(limit) or limit < 1:
            raise ValueError(f"limit must be a positive integer; got {limit!r}")
        lease = _check_seconds("lease_seconds", lease_seconds)
        if lease == 0:
            raise ValueError("lease_seconds must be positive")
        token = uuid.uuid4().hex
        acquired, wait_us = self._concurrency(
            keys=[self.concurrency_key(name)], args=[self._now_us(), limit, _to_us(lease), token]
        )
        return (token if int(acquired) else None), int(wait_us) / _US

    @contextmanager
    def concurrency_slot(
        self,
        name: str,
        limit: int,
        *,
        lease_seconds: float,
        max_wait: float | None = None,
        poll_seconds: float = 0.5,
    ) -> Iterator[str]:
        """Hold one concurrent slot for the ``with`` block, polling (injected ``sleep``) until one frees.

        Raises :class:`RateLimitWaitTooLong` if no slot frees within ``max_wait`` seconds in total.
        """
        budget = None if max_wait is None else _check_seconds("max_wait", max_wait)
        poll = _check_seconds("poll_seconds", poll_seconds)
        if poll == 0:
            raise ValueError("poll_seconds must be positive")
        waited = 0.0
        while True:
            token, until_expiry = self._try_concurrency(name, limit, lease_seconds)
            if token is not None:
                break
            # Another worker may release early, so poll; but never sleep past the earliest lease expiry.
            step = min(poll, until_expiry) if until_expiry > 0 else poll
            if budget is not None and waited + step > budget:
                raise RateLimitWaitTooLong(step)
            self._sleep(step)
            waited += step
        try:
            yield token
        finally:
            self.release_concurrency(name, token)


def _utc_day(now: datetime) -> date:
    if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    return now.astimezone(timezone.utc).date()
