"""The one HTTP path every platform and provider module uses (docs/platforms.md section 10).

Policy: retry ``httpx.TransportError`` and HTTP 429/500/502/503/504 up to ``context.max_attempts``
times. Between attempts wait what ``Retry-After`` asks (delta-seconds or an HTTP-date, capped at
``RETRY_AFTER_CAP``), otherwise exponential backoff with jitter capped at ``BACKOFF_MAX``. Every
other status is handed back to the caller, which maps it onto the error taxonomy in ``base``: a 4xx
is never retried here. Waiting goes through ``context.sleep`` so tests never sleep.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from scraping.platforms.base import (
    AuthConfigError,
    FetchContext,
    FetchError,
    NotFoundError,
    SchemaDriftError,
    TransientError,
)

# Every base URL a platform module in this package calls, keyed as in ``FetchContext.base_urls``.
# The Django settings layer copies these as its defaults; tests and a local fixture server
# override them per key. No trailing slashes.
DEFAULT_BASE_URLS: Mapping[str, str] = {
    "steam_store": "https://store.steampowered.com",
    "youtube_api": "https://www.googleapis.com/youtube/v3",
    "reddit_oauth": "https://oauth.reddit.com",
    "reddit_www": "https://www.reddit.com",
    "reddit_auth": "https://www.reddit.com",
}

RETRYABLE_STATUS_CODES = frozenset({429, 500, 502, 503, 504})
RETRY_AFTER_CAP = 300.0
BACKOFF_INITIAL = 1.0
BACKOFF_MAX = 60.0
BACKOFF_JITTER = 1.0
MAX_REDIRECTS = 5
CONNECT_TIMEOUT_CAP = 10.0

_DELTA_SECONDS = re.compile(r"\d+(?:\.\d+)?")

TimeoutArg = float | httpx.Timeout | None


def base_url(context: FetchContext, key: str) -> str:
    """The base URL for ``key``: the context's value when set, else the documented default."""
    value = context.base_urls.get(key) or DEFAULT_BASE_URLS.get(key)
    if not value:
        raise ValueError(f"no base URL configured for {key!r}")
    return value.rstrip("/")


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait according to a ``Retry-After`` value, or None when absent or unreadable.

    Accepts delta-seconds and HTTP-dates (RFC 9110 section 10.2.3). A date in the past means
    "now" (0). The result is capped at ``RETRY_AFTER_CAP`` so a hostile or confused server cannot
    park a worker for hours.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if _DELTA_SECONDS.fullmatch(text):
        seconds = float(text)
    else:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            # RFC 9110 dates are always GMT; email.utils returns naive for "-0000".
            when = when.replace(tzinfo=UTC)
        current = now or datetime.now(UTC)
        seconds = max(0.0, (when - current).total_seconds())
    return min(seconds, RETRY_AFTER_CAP)


def backoff_delay(attempt: int, *, rand: Callable[[], float] = random.random) -> float:
    """Exponential backoff with additive jitter for the wait after failed ``attempt`` (1-based).

    Same shape as tenacity's ``wait_exponential_jitter(initial=1, max=60)``.
    """
    exponent = max(0, attempt - 1)
    # Cap the exponent so huge attempt numbers cannot overflow float arithmetic.
    raw = BACKOFF_INITIAL * (2 ** min(exponent, 32)) + BACKOFF_JITTER * rand()
    return max(0.0, min(raw, BACKOFF_MAX))


def make_client(context: FetchContext) -> httpx.Client:
    """An httpx client with the context's user agent and timeouts, following at most 5 redirects.

    httpx strips ``Authorization`` when a redirect leaves the origin, so bearer tokens do not
    follow a redirect to another host.
    """
    timeout = httpx.Timeout(context.timeout_seconds, connect=min(CONNECT_TIMEOUT_CAP, context.timeout_seconds))
    return httpx.Client(
        headers={"User-Agent": context.user_agent},
        timeout=timeout,
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
    )


def request_with_retries(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    context: FetchContext,
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    json: Any = None,
    data: Mapping[str, Any] | None = None,
    timeout: TimeoutArg = None,
    reset_header: str | None = None,
) -> httpx.Response:
    """Send a request, retrying transport errors and 429/5xx; return the first other response.

    ``reset_header`` names a header holding delta-seconds to wait when ``Retry-After`` is absent
    (Reddit's ``X-Ratelimit-Reset``). After ``context.max_attempts`` failed attempts raise
    ``TransientError`` carrying the last status code and ``retry_after`` (None if unknown), so a
    Celery task can schedule its own retry. Error messages carry the host and path only, never the
    query string, which may hold keys.
    """
    sleep = context.sleep or time.sleep
    attempts = max(1, context.max_attempts)
    where = _describe(url)
    request_timeout: Any = httpx.USE_CLIENT_DEFAULT if timeout is None else timeout
    for attempt in range(1, attempts + 1):
        try:
            response = client.request(
                method,
                url,
                params=params,
                headers=headers,
                json=json,
                data=data,
                timeout=request_timeout,
            )
        except (httpx.UnsupportedProtocol, httpx.LocalProtocolError) as exc:
            # A bad base URL or header is a configuration bug; retrying cannot fix it.
            raise FetchError(f"{method} {where}: cannot send request ({type(exc).__name__})") from exc
        except httpx.TooManyRedirects as exc:
            raise FetchError(f"{method} {where}: more than {MAX_REDIRECTS} redirects") from exc
        except httpx.TransportError as exc:
            if attempt == attempts:
                raise TransientError(
                    f"{method} {where}: {type(exc).__name__} after {attempts} attempts",
                ) from exc
            sleep(backoff_delay(attempt))
            continue

        if response.status_code not in RETRYABLE_STATUS_CODES:
            return response
        wait = parse_retry_after(response.headers.get("Retry-After"))
        if wait is None and reset_header:
            wait = parse_retry_after(response.headers.get(reset_header))
        if attempt == attempts:
            raise TransientError(
                f"{method} {where} answered HTTP {response.status_code} after {attempts} attempts",
                status_code=response.status_code,
                retry_after=wait,
            )
        sleep(wait if wait is not None else backoff_delay(attempt))
    # The loop always returns or raises; this keeps type checkers and readers certain of it.
    raise AssertionError("unreachable")


def json_body(response: httpx.Response, what: str) -> Any:
    """Decode a JSON body or raise ``SchemaDriftError`` (an HTML block page, a truncated body...)."""
    try:
        return response.json()
    except ValueError as exc:
        content_type = response.headers.get("Content-Type", "?")
        raise SchemaDriftError(
            f"{what}: expected JSON, got {content_type!r} (HTTP {response.status_code})",
            status_code=response.status_code,
        ) from exc


def error_for_status(response: httpx.Response, what: str) -> FetchError:
    """The default taxonomy class for an unexpected status; platform modules refine it first.

    404/410 mean the target is gone, 401/403 a bad or missing key (section 10), 429/5xx are
    transient (only seen here when a caller bypassed the retry loop), anything else is a request
    this code should not have sent.
    """
    status = response.status_code
    message = f"{what} answered HTTP {status}"
    if status in (404, 410):
        return NotFoundError(message, status_code=status)
    if status in (401, 403):
        return AuthConfigError(message, status_code=status)
    if status in RETRYABLE_STATUS_CODES:
        return TransientError(
            message, status_code=status, retry_after=parse_retry_after(response.headers.get("Retry-After"))
        )
    return FetchError(message, status_code=status)


def _describe(url: str) -> str:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return url.split("?", 1)[0]
    return f"{parsed.host}{parsed.path}"
