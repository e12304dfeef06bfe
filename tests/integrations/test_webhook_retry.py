from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations.webhooks import events
from integrations.webhooks.events import ProgressThrottle, should_emit
from integrations.webhooks.retry import (
    MAX_ATTEMPTS,
    MAX_RETRY_AFTER_SECONDS,
    SCHEDULE_SECONDS,
    classify_response,
    next_attempt_delay,
    parse_retry_after,
)

NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=timezone.utc)


class FixedRandom:
    def __init__(self, value: float) -> None:
        self.value = value

    def random(self) -> float:
        return self.value


MIDDLE = FixedRandom(0.5)  # zero jitter


def test_schedule_is_the_issue_list():
    assert SCHEDULE_SECONDS == (0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600)
    assert MAX_ATTEMPTS == 7


@pytest.mark.parametrize(
    ("failed_attempt", "delay"),
    [(1, 5.0), (2, 300.0), (3, 1800.0), (4, 7200.0), (5, 18000.0), (6, 36000.0), (7, None), (8, None)],
)
def test_delay_after_each_failed_attempt(failed_attempt, delay):
    assert next_attempt_delay(failed_attempt, retry_after=None, rng=MIDDLE) == delay


def test_jitter_is_plus_minus_ten_percent():
    assert next_attempt_delay(3, retry_after=None, rng=FixedRandom(0.0)) == pytest.approx(1800 * 0.9)
    assert next_attempt_delay(3, retry_after=None, rng=FixedRandom(0.999999)) == pytest.approx(1800 * 1.1, rel=1e-5)
    assert next_attempt_delay(3, retry_after=None, rng=FixedRandom(0.75)) == pytest.approx(1800 * 1.05)


def test_retry_after_is_a_floor_capped_at_24_hours():
    assert next_attempt_delay(1, retry_after=120.0, rng=MIDDLE) == 120.0  # longer than 5 s: honoured
    assert next_attempt_delay(4, retry_after=120.0, rng=MIDDLE) == 7200.0  # shorter than schedule: ignored
    assert next_attempt_delay(1, retry_after=10 * 86400.0, rng=MIDDLE) == MAX_RETRY_AFTER_SECONDS
    assert next_attempt_delay(7, retry_after=60.0, rng=MIDDLE) is None  # exhausted stays exhausted


@pytest.mark.parametrize("bad", [0, -1, True, 1.5])
def test_attempt_number_is_validated(bad):
    with pytest.raises(ValueError):
        next_attempt_delay(bad, retry_after=None, rng=MIDDLE)


@given(
    jitters=st.lists(st.floats(min_value=0.0, max_value=0.9999999), min_size=MAX_ATTEMPTS, max_size=MAX_ATTEMPTS),
    retry_after=st.one_of(st.none(), st.floats(min_value=0.0, max_value=1e9, allow_nan=False)),
)
def test_delays_are_monotonic_and_bounded(jitters, retry_after):
    delays = [
        next_attempt_delay(n, retry_after=retry_after, rng=FixedRandom(jitters[n - 1])) for n in range(1, MAX_ATTEMPTS)
    ]
    assert all(d is not None for d in delays)
    assert all(earlier <= later for earlier, later in zip(delays, delays[1:], strict=False))
    for n, delay in enumerate(delays, start=1):
        base = SCHEDULE_SECONDS[n]
        assert base * 0.9 - 1e-9 <= delay <= max(base * 1.1, MAX_RETRY_AFTER_SECONDS) + 1e-9
        assert delay <= MAX_RETRY_AFTER_SECONDS  # every step, even with a huge Retry-After
    assert next_attempt_delay(MAX_ATTEMPTS, retry_after=retry_after, rng=FixedRandom(jitters[0])) is None


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("Sun, 01 Jun 2025 12:05:00 GMT", 300.0),
        ("Sun, 01 Jun 2025 11:00:00 GMT", 0.0),  # in the past
        ("Sunday, 01-Jun-25 12:01:00 GMT", 60.0),  # obsolete RFC 850 form, still a valid HTTP-date
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(header, seconds):
    assert parse_retry_after(header, now=NOW) == seconds


def test_parse_retry_after_needs_aware_now():
    with pytest.raises(ValueError):
        parse_retry_after("5", now=datetime(2025, 1, 1))  # noqa: DTZ001 - naive on purpose


@pytest.mark.parametrize(
    ("status", "result"),
    [
        (200, "success"),
        (201, "success"),
        (204, "success"),
        (299, "success"),
        (301, "failure"),
        (302, "failure"),
        (307, "failure"),
        (308, "failure"),
        (400, "failure"),
        (404, "failure"),
        (410, "gone"),
        (429, "failure"),
        (500, "failure"),
        (503, "failure"),
        (100, "failure"),
    ],
)
def test_classify_response(status, result):
    assert classify_response(status) == result


# --- event catalogue and the job.progress throttle (events.py) ------------------------------------------


def test_event_catalogue():
    assert events.EVENT_TYPES == {
        "job.started",
        "job.completed",
        "job.failed",
        "job.progress",
        "results.new",
        "analysis.completed",
        "schedule.triggered",
        "target.error",
        "alert.sentiment_drop",
        "webhook.test",
    }
    assert events.SUBSCRIBABLE_EVENT_TYPES == events.EVENT_TYPES - {"webhook.test"}
    assert all(desc.endswith(".") and "\n" not in desc for desc in events.EVENT_DESCRIPTIONS.values())


@pytest.mark.parametrize(
    ("last_percent", "elapsed_s", "percent", "emit"),
    [
        (None, 0, 0.0, True),  # first report always goes out
        (0.0, 1, 5.0, False),  # same 10 % bucket, too soon
        (0.0, 1, 10.0, True),  # entered the next bucket
        (12.0, 1, 19.9, False),
        (12.0, 1, 20.0, True),
        (12.0, 29.9, 13.0, False),
        (12.0, 30, 13.0, True),  # 30 s passed and progress moved
        (12.0, 120, 12.0, False),  # no progress, no event
        (50.0, 120, 40.0, False),  # going backwards never emits
        (95.0, 1, 100.0, True),
        (12.0, 60, float("nan"), False),
    ],
)
def test_progress_throttle(last_percent, elapsed_s, percent, emit):
    last_at = None if last_percent is None else NOW
    assert should_emit(last_percent, last_at, percent, NOW + timedelta(seconds=elapsed_s)) is emit


def test_progress_throttle_is_configurable_and_validated():
    coarse = ProgressThrottle(step_percent=25, min_interval=timedelta(minutes=5))
    assert coarse.should_emit(10.0, NOW, 24.0, NOW + timedelta(minutes=4)) is False
    assert coarse.should_emit(10.0, NOW, 25.0, NOW + timedelta(minutes=4)) is True
    assert coarse.should_emit(10.0, NOW, 11.0, NOW + timedelta(minutes=5)) is True
    with pytest.raises(ValueError):
        ProgressThrottle(step_percent=0)
    with pytest.raises(ValueError):
        ProgressThrottle(min_interval=timedelta(0))
