"""Retry schedule and response classification for webhook deliveries (security.md 1.3, 1.4).

Schedule (issue 7): attempt 1 immediately, then retries 5 s, 5 min, 30 min, 2 h, 5 h and 10 h after the
previous failure - 7 attempts, the last about 17 h 35 min after the first. security.md 1.3 lists the
longer Standard Webhooks example (adding 14 h, 20 h, 24 h); the issue's list is the one in force. With the
"disable after 5 consecutive failures" rule, an endpoint that never answers is disabled at attempt 5
(~2 h 35 min) either way, so the extra steps only matter while other deliveries succeed in between.

The delays are stored as ``next_attempt_at`` by the caller; never implement them with Celery countdown/ETA.
"""

from __future__ import annotations

import random
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Literal, Protocol

__all__ = [
    "JITTER_FRACTION",
    "MAX_ATTEMPTS",
    "MAX_RETRY_AFTER_SECONDS",
    "SCHEDULE_SECONDS",
    "Classification",
    "RandomSource",
    "classify_response",
    "next_attempt_delay",
    "parse_retry_after",
]

# Delay before attempt N+1, indexed by N-1 after attempt N failed. Attempt 1 has delay 0 ("immediately").
SCHEDULE_SECONDS: tuple[float, ...] = (0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0)
MAX_ATTEMPTS = len(SCHEDULE_SECONDS)
JITTER_FRACTION = 0.10
MAX_RETRY_AFTER_SECONDS = 24 * 3600.0

Classification = Literal["success", "failure", "gone"]


class RandomSource(Protocol):
    """Anything with ``random() -> float in [0, 1)``: ``random.Random``, ``random.SystemRandom`` or a stub."""

    def random(self) -> float: ...


# Jitter only spreads load; it protects nothing, but SystemRandom keeps linters and reviewers calm.
_DEFAULT_RNG: RandomSource = random.SystemRandom()


def next_attempt_delay(
    attempt_number: int,
    *,
    retry_after: float | None = None,
    rng: RandomSource = _DEFAULT_RNG,
) -> float | None:
    """Seconds to wait after attempt ``attempt_number`` (1-based) failed, or None when attempts are exhausted.

    The scheduled delay gets ±10 % jitter. A receiver's ``Retry-After`` (already parsed to seconds, see
    :func:`parse_retry_after`) is honoured as ``max(scheduled, retry_after)``, with ``retry_after`` capped
    at 24 h so a hostile or buggy receiver cannot park a delivery forever.
    """
    if isinstance(attempt_number, bool) or not isinstance(attempt_number, int) or attempt_number < 1:
        raise ValueError("attempt_number is the 1-based number of the attempt that just failed")
    if attempt_number >= MAX_ATTEMPTS:
        return None
    base = SCHEDULE_SECONDS[attempt_number]
    jitter = (rng.random() * 2.0 - 1.0) * JITTER_FRACTION  # uniform in [-10 %, +10 %)
    scheduled = base * (1.0 + jitter)
    if retry_after is not None and retry_after > 0:
        return max(scheduled, min(float(retry_after), MAX_RETRY_AFTER_SECONDS))
    return scheduled


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """``Retry-After`` as seconds from ``now``: delta-seconds or an HTTP-date. None if absent or invalid.

    A date in the past gives 0.0. ``now`` must be timezone-aware.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # HTTP-dates are GMT by definition; "-0000" parses as naive
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - now).total_seconds())


def classify_response(status_code: int) -> Classification:
    """2xx is success; 410 Gone disables the endpoint; everything else (3xx included) is a failure."""
    if 200 <= status_code <= 299:
        return "success"
    if status_code == 410:
        return "gone"
    return "failure"
