"""Tests for scraping.ratelimit against a real Redis (db 15, flushed around each test).

Time is a fake clock passed to the limiter; sleeping is a fake that advances it. Nothing sleeps for real.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone

import pytest
import redis

from scraping.ratelimit import (
    DEFAULT_PLATFORM_LIMITS,
    PlatformLimit,
    RateLimiter,
    RateLimitWaitTooLong,
)

REDIS_URL = "redis://127.0.0.1:6379/15"
T0 = 1_700_000_000.0  # realistic epoch seconds: µs values near 1.7e15 exercise the Lua number formatting


class FakeClock:
    def __init__(self, start: float = T0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _connect(**kwargs: object) -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=5, **kwargs)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"Redis is not answering at {REDIS_URL} ({exc}); these tests need a real Redis")
    return client


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = _connect()
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def limiter(redis_client: redis.Redis, clock: FakeClock) -> RateLimiter:
    return RateLimiter(redis_client, prefix="t:rl", clock=clock, sleep=clock.sleep)


def run_threads(n: int, target: Callable[[int], None]) -> None:
    barrier = threading.Barrier(n)

    def body(i: int) -> None:
        barrier.wait()  # release all threads together to maximize contention
        target(i)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)


# ------------------------------------------------------------------------------------ platform windows


def test_platform_five_per_second_exact_waits(limiter: RateLimiter, clock: FakeClock) -> None:
    allowed_at = [0.0, 0.2, 0.4, 0.6, 0.8]
    for offset in allowed_at:
        clock.now = T0 + offset
        assert limiter.acquire_platform("steam", rate=5, per_seconds=1) == 0.0
    clock.now = T0 + 0.9
    assert limiter.acquire_platform("steam", rate=5, per_seconds=1) == 0.1  # until the 0.0 entry leaves
    assert limiter.acquire_platform("steam", rate=5, per_seconds=1) == 0.1  # refusals are not counted
    clock.now = T0 + 1.0  # an entry exactly one window old no longer counts
    assert limiter.acquire_platform("steam", rate=5, per_seconds=1) == 0.0
    assert limiter.acquire_platform("steam", rate=5, per_seconds=1) == 0.2  # now the 0.2 entry is oldest
    clock.now = T0 + 1.123456
    assert limiter.acquire_platform("steam", rate=5, per_seconds=1) == 0.076544


def test_platform_burst_then_wait_for_oldest(limiter: RateLimiter, clock: FakeClock) -> None:
    assert [limiter.acquire_platform("reddit", rate=5, per_seconds=1) for _ in range(5)] == [0.0] * 5
    assert limiter.acquire_platform("reddit", rate=5, per_seconds=1) == 1.0
    clock.now += 0.25
    assert limiter.acquire_platform("reddit", rate=5, per_seconds=1) == 0.75
    # Other platforms and other prefixes have their own budget.
    assert limiter.acquire_platform("youtube", rate=5, per_seconds=1) == 0.0
    other = RateLimiter(limiter._redis, prefix="t:other", clock=clock)
    assert other.acquire_platform("reddit", rate=5, per_seconds=1) == 0.0


def test_platform_key_has_expiry(limiter: RateLimiter, redis_client: redis.Redis) -> None:
    limiter.acquire_platform("steam", rate=1, per_seconds=60)
    key = limiter.platform_key("steam", 60)
    assert key == "t:rl:plat:{steam}:w60000000"
    assert redis_client.zcard(key) == 1
    assert 60_000 < redis_client.pttl(key) <= 61_000


def test_platform_sliding_window_never_exceeds_rate(limiter: RateLimiter, clock: FakeClock) -> None:
    rng = random.Random(7)
    granted: list[int] = []  # integer µs, the limiter's own resolution (float sums drift by ~1e-7)
    for _ in range(600):
        clock.now += rng.choice([0.0, 0.01, 0.05, 0.13, 0.3])
        if limiter.acquire_platform("p", rate=3, per_seconds=1) == 0.0:
            granted.append(round(clock.now * 1_000_000))
    assert len(granted) > 50
    for i, start in enumerate(granted):
        in_window = [t for t in granted[i:] if t < start + 1_000_000]
        assert len(in_window) <= 3
    # The limiter is not simply stricter than needed: some windows are full.
    assert any(len([t for t in granted[i:] if t < s + 1_000_000]) == 3 for i, s in enumerate(granted))


def test_platform_wait_is_exactly_when_room_appears(limiter: RateLimiter, clock: FakeClock) -> None:
    rng = random.Random(11)
    for _ in range(200):
        clock.now += rng.choice([0.0, 0.07, 0.2, 0.5])
        wait = limiter.acquire_platform("q", rate=4, per_seconds=2)
        if wait:
            base = clock.now
            clock.now = base + wait - 0.000001
            assert limiter.acquire_platform("q", rate=4, per_seconds=2) > 0
            clock.now = base + wait
            assert limiter.acquire_platform("q", rate=4, per_seconds=2) == 0.0


def test_multi_window_checks_and_records_atomically(limiter: RateLimiter, clock: FakeClock) -> None:
    limits = (PlatformLimit(1, 1.0), PlatformLimit(3, 10.0))
    assert limiter.acquire_platform_limits("steam", limits) == 0.0  # t=0
    clock.now = T0 + 0.5
    assert limiter.acquire_platform_limits("steam", limits) == 0.5  # 1/s window
    clock.now = T0 + 1
    assert limiter.acquire_platform_limits("steam", limits) == 0.0
    clock.now = T0 + 2
    assert limiter.acquire_platform_limits("steam", limits) == 0.0
    clock.now = T0 + 3
    assert limiter.acquire_platform_limits("steam", limits) == 7.0  # 3/10s window: t=0 leaves at 10
    clock.now = T0 + 10
    # The refusal at t=3 recorded nothing in the 1/s window, so this passes.
    assert limiter.acquire_platform_limits("steam", limits) == 0.0
    assert limiter._redis.zcard(limiter.platform_key("steam", 1.0)) == 1
    assert limiter._redis.zcard(limiter.platform_key("steam", 10.0)) == 3


def test_platform_concurrent_workers_share_one_budget(limiter: RateLimiter) -> None:
    results: list[float] = []
    lock = threading.Lock()

    def worker(_: int) -> None:
        for _ in range(5):
            wait = limiter.acquire_platform("steam", rate=5, per_seconds=1)
            with lock:
                results.append(wait)

    run_threads(8, worker)  # the clock is frozen: 40 requests at the same instant
    assert len(results) == 40
    assert results.count(0.0) == 5
    assert sorted(set(results)) == [0.0, 1.0]


def test_wait_platform_sleeps_with_injected_sleep(limiter: RateLimiter, clock: FakeClock) -> None:
    limits = (PlatformLimit(2, 1.0),)
    waited = [limiter.wait_platform("g", limits) for _ in range(5)]
    assert waited == [0.0, 0.0, 1.0, 0.0, 1.0]
    assert clock.sleeps == [1.0, 1.0]
    assert clock.now == T0 + 2.0
    assert limiter.wait_platform("g", limits) == 0.0  # second request at T0+2: window full again
    with pytest.raises(RateLimitWaitTooLong) as info:
        limiter.wait_platform("g", limits, max_wait=0.5)
    assert info.value.retry_after == 1.0
    assert clock.sleeps == [1.0, 1.0]  # gave up without sleeping
    assert limiter.wait_platform("g", limits, max_wait=1.0) == 1.0


def test_default_platform_limits_follow_the_docs(limiter: RateLimiter) -> None:
    assert DEFAULT_PLATFORM_LIMITS["steam"].windows == (PlatformLimit(1, 1.0), PlatformLimit(150, 300.0))
    assert DEFAULT_PLATFORM_LIMITS["reddit"].windows == (PlatformLimit(100, 60.0),)
    assert DEFAULT_PLATFORM_LIMITS["reddit_public"].windows == (PlatformLimit(10, 60.0),)
    assert DEFAULT_PLATFORM_LIMITS["youtube"].windows == (PlatformLimit(10_000, 86_400.0),)
    assert DEFAULT_PLATFORM_LIMITS["scraperapi"].max_concurrency == 5
    assert DEFAULT_PLATFORM_LIMITS["apify"].max_concurrency == 3
    assert "amazon" not in DEFAULT_PLATFORM_LIMITS
    steam = DEFAULT_PLATFORM_LIMITS["steam"].windows
    assert limiter.acquire_platform_limits("steam", steam) == 0.0
    assert limiter.acquire_platform_limits("steam", steam) == 1.0


@pytest.mark.parametrize(
    ("rate", "per"), [(0, 1.0), (-1, 1.0), (True, 1.0), (1.5, 1.0), (5, 0), (5, -1.0), (5, True), (5, float("inf"))]
)
def test_invalid_limits_rejected(limiter: RateLimiter, rate: object, per: object) -> None:
    with pytest.raises(ValueError):
        limiter.acquire_platform("x", rate=rate, per_seconds=per)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------- per-target spacing


def test_next_slot_staggers_and_reserves(limiter: RateLimiter, clock: FakeClock, redis_client: redis.Redis) -> None:
    assert [limiter.next_slot("target:1", 1.5) for _ in range(3)] == [0.0, 1.5, 3.0]
    clock.now = T0 + 2.0
    assert limiter.next_slot("target:1", 1.5) == 2.5  # the slot at T0+4.5
    assert limiter.next_slot("target:2", 1.5) == 0.0  # other targets are independent
    clock.now = T0 + 100
    assert limiter.next_slot("target:1", 1.5) == 0.0
    assert 1_500 < redis_client.pttl(limiter.slot_key("target:1")) <= 2_500


def test_next_slot_max_wait_does_not_reserve(limiter: RateLimiter) -> None:
    assert limiter.next_slot("t", 2.0) == 0.0
    assert limiter.next_slot("t", 2.0) == 2.0
    with pytest.raises(RateLimitWaitTooLong) as info:
        limiter.next_slot("t", 2.0, max_wait=3.0)
    assert info.value.retry_after == 4.0
    assert limiter.next_slot("t", 2.0, max_wait=4.0) == 4.0  # the refused call took nothing


def test_next_slot_zero_delay_touches_nothing(limiter: RateLimiter, redis_client: redis.Redis) -> None:
    assert limiter.next_slot("t", 0) == 0.0
    assert redis_client.exists(limiter.slot_key("t")) == 0
    with pytest.raises(ValueError):
        limiter.next_slot("t", -1.0)


def test_next_slot_concurrent_workers_get_distinct_slots(limiter: RateLimiter) -> None:
    waits: list[float] = []
    lock = threading.Lock()

    def worker(_: int) -> None:
        wait = limiter.next_slot("target:9", 0.5)
        with lock:
            waits.append(wait)

    run_threads(12, worker)
    assert sorted(waits) == [i * 0.5 for i in range(12)]


def test_wait_for_slot_sleeps_until_reserved_slot(limiter: RateLimiter, clock: FakeClock) -> None:
    assert limiter.wait_for_slot("t", 1.0) == 0.0
    assert limiter.wait_for_slot("t", 1.0) == 1.0
    assert limiter.wait_for_slot("t", 1.0) == 1.0  # the clock moved with each sleep
    assert clock.sleeps == [1.0, 1.0]


# ---------------------------------------------------------------------------------- daily budget


def test_consume_daily_stops_at_limit_without_overcounting(limiter: RateLimiter, redis_client: redis.Redis) -> None:
    now = datetime(2024, 5, 1, 23, 0, tzinfo=timezone.utc)
    assert [limiter.consume_daily("p1", 3, now=now) for _ in range(5)] == [True, True, True, False, False]
    assert limiter.daily_count("p1", now=now) == 3
    key = limiter.daily_key("p1", now)
    assert key == "t:rl:daily:p1:2024-05-01"
    assert redis_client.get(key) == b"3"
    # 1 h left in the UTC day plus one day of grace.
    assert 89_990 <= redis_client.ttl(key) <= 90_000
    # A new UTC day starts a new counter; other projects are independent.
    tomorrow = now + timedelta(hours=1)
    assert limiter.consume_daily("p1", 3, now=tomorrow) is True
    assert limiter.daily_count("p1", now=tomorrow) == 1
    assert limiter.consume_daily("p2", 3, now=now) is True


def test_consume_daily_uses_the_utc_date(limiter: RateLimiter) -> None:
    berlin_morning = datetime(2024, 5, 2, 1, 30, tzinfo=timezone(timedelta(hours=2)))  # 2024-05-01 23:30Z
    assert limiter.consume_daily("p", 10, now=berlin_morning)
    assert limiter.daily_key("p", berlin_morning).endswith(":2024-05-01")
    assert limiter.daily_count("p", now=datetime(2024, 5, 1, 12, tzinfo=timezone.utc)) == 1
    with pytest.raises(ValueError):
        limiter.consume_daily("p", 10, now=datetime(2024, 5, 1))  # noqa: DTZ001 - naive on purpose


def test_consume_daily_zero_limit_and_bad_input(limiter: RateLimiter) -> None:
    now = datetime(2024, 5, 1, tzinfo=timezone.utc)
    assert limiter.consume_daily("p", 0, now=now) is False
    assert limiter.daily_count("p", now=now) == 0
    for bad in (-1, True, 2.0):
        with pytest.raises(ValueError):
            limiter.consume_daily("p", bad, now=now)  # type: ignore[arg-type]


def test_consume_daily_concurrent_exactly_limit(limiter: RateLimiter) -> None:
    now = datetime(2024, 5, 1, 12, tzinfo=timezone.utc)
    outcomes: list[bool] = []
    lock = threading.Lock()

    def worker(_: int) -> None:
        mine = [limiter.consume_daily("busy", 60, now=now) for _ in range(50)]
        with lock:
            outcomes.extend(mine)

    run_threads(2, worker)
    assert len(outcomes) == 100
    assert outcomes.count(True) == 60
    assert limiter.daily_count("busy", now=now) == 60


# ------------------------------------------------------------------------------- plan concurrency


def test_concurrency_leases(limiter: RateLimiter, clock: FakeClock) -> None:
    a = limiter.acquire_concurrency("scraperapi", 2, lease_seconds=30)
    b = limiter.acquire_concurrency("scraperapi", 2, lease_seconds=30)
    assert a and b and a != b
    assert limiter.acquire_concurrency("scraperapi", 2, lease_seconds=30) is None
    assert limiter.release_concurrency("scraperapi", a) is True
    assert limiter.release_concurrency("scraperapi", a) is False
    c = limiter.acquire_concurrency("scraperapi", 2, lease_seconds=30)
    assert c is not None
    assert limiter.acquire_concurrency("scraperapi", 2, lease_seconds=30) is None
    clock.now += 30  # both leases expire (crashed worker case)
    assert limiter.acquire_concurrency("scraperapi", 2, lease_seconds=30) is not None
    assert limiter.release_concurrency("scraperapi", b) is False


def test_concurrency_slot_waits_for_expiry_and_releases(
    limiter: RateLimiter, clock: FakeClock, redis_client: redis.Redis
) -> None:
    assert limiter.acquire_concurrency("apify", 1, lease_seconds=1.2)
    with limiter.concurrency_slot("apify", 1, lease_seconds=60, poll_seconds=0.5) as token:
        assert clock.sleeps == [0.5, 0.5, 0.2]  # polls, the last one only up to the lease expiry
        assert redis_client.zscore(limiter.concurrency_key("apify"), token) is not None
    assert redis_client.zcard(limiter.concurrency_key("apify")) == 0


def test_concurrency_slot_gives_up_after_max_wait(limiter: RateLimiter, clock: FakeClock) -> None:
    assert limiter.acquire_concurrency("apify", 1, lease_seconds=600)
    with pytest.raises(RateLimitWaitTooLong):
        with limiter.concurrency_slot("apify", 1, lease_seconds=60, max_wait=1.0, poll_seconds=0.5):
            pytest.fail("must not enter")
    assert clock.sleeps == [0.5, 0.5]


def test_concurrency_threads_never_exceed_limit(limiter: RateLimiter) -> None:
    tokens: list[str | None] = []
    lock = threading.Lock()

    def worker(_: int) -> None:
        token = limiter.acquire_concurrency("sc", 3, lease_seconds=30)
        with lock:
            tokens.append(token)

    run_threads(10, worker)
    assert sum(token is not None for token in tokens) == 3


# ------------------------------------------------------------------------------- client variants


def test_works_with_decoded_responses(clock: FakeClock) -> None:
    client = _connect(decode_responses=True)
    client.flushdb()
    try:
        limiter = RateLimiter(client, prefix="t:dec", clock=clock, sleep=clock.sleep)
        now = datetime(2024, 1, 1, tzinfo=timezone.utc)
        assert limiter.consume_daily("p", 1, now=now) is True
        assert limiter.consume_daily("p", 1, now=now) is False
        assert limiter.daily_count("p", now=now) == 1
        assert limiter.next_slot("k", 0.25) == 0.0
        assert limiter.next_slot("k", 0.25) == 0.25
        assert limiter.acquire_platform("s", rate=1, per_seconds=2) == 0.0
        assert limiter.acquire_platform("s", rate=1, per_seconds=2) == 2.0
    finally:
        client.flushdb()
        client.close()
