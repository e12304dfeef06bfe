"""Contracts shared by every platform module: parsed targets, normalized reviews, fetch errors.

Pure: no Django model imports. Services build a ``FetchContext`` from settings and the user's
stored keys, call a platform's ``fetch_pages``, and persist what comes back.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class Platform:
    AMAZON = "amazon"
    STEAM = "steam"
    YOUTUBE = "youtube"
    REDDIT = "reddit"
    GOOGLE = "google"
    TRUSTPILOT = "trustpilot"
    YELP = "yelp"

    ALL = (AMAZON, STEAM, YOUTUBE, REDDIT, GOOGLE, TRUSTPILOT, YELP)


@dataclass(frozen=True)
class ParsedTarget:
    """What a URL means: the platform, the kind of thing it points at and its ids.

    ``platform_data`` holds the ids a fetcher needs (``app_id``, ``video_id``, ``asin`` and
    ``marketplace``, ``post_id`` and ``subreddit``, ``place_id`` or ``cid``, ``slug``...).
    ``needs_resolution`` is true for short/share links whose ids are only known after following
    the redirect (done in a task, never in the request cycle).
    """

    platform: str
    detected_type: str  # "product" | "game" | "video" | "post" | "place" | "business"
    canonical_url: str
    platform_data: Mapping[str, Any]
    needs_resolution: bool = False


class UrlParseError(ValueError):
    """The URL is not one any platform understands; ``reason`` says what to fix."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class FetchOptions:
    max_results: int = 100
    include_replies: bool = False
    date_from: datetime | None = None  # aware UTC
    date_to: datetime | None = None
    language: str | None = None  # platform-specific language option (Steam "english", ...)
    sort_by: str | None = None


@dataclass(frozen=True)
class Review:
    """One normalized review or comment. ``platform_id`` is unique per target."""

    platform: str
    platform_id: str
    text: str
    title: str = ""
    author: str = ""
    rating: float | None = None
    rating_scale: str | None = None  # "1-5" | "1-10" | "binary" | None
    date: datetime | None = None  # aware UTC
    url: str = ""
    language: str | None = None
    source: str = "official_api"  # official_api | public_json | html | scraperapi | apify
    extra: Mapping[str, Any] = field(default_factory=dict)  # small: votes, reply_to, ...


@dataclass(frozen=True)
class Page:
    reviews: list[Review]
    cursor: str | None  # opaque; None when this was the last page
    requests_made: int = 1
    # Facts about the target learned while fetching (Steam review totals, a Reddit post's
    # subreddit and title when the URL had none); the service may copy them onto the target.
    target_info: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FetchContext:
    """Everything a fetcher may need from outside: base URLs, credentials, provider choice.

    Built by the scraping service from settings and the user's decrypted keys. Credentials never
    appear in ``repr`` so they cannot leak into logs.
    """

    base_urls: Mapping[str, str] = field(default_factory=dict)
    credentials: Mapping[str, str] = field(default_factory=dict, repr=False)
    provider: str | None = None  # None (direct) | "scraperapi" | "apify"
    provider_options: Mapping[str, Any] = field(default_factory=dict)
    actors: Mapping[str, str] = field(default_factory=dict)
    user_agent: str = "SentimatrixStudio/1.0 (+https://github.com/sentimatrix)"
    timeout_seconds: float = 30.0
    max_attempts: int = 5
    sleep: Any = None  # injectable sleep(seconds) for tests; None means time.sleep


class Fetcher(Protocol):
    def __call__(
        self, target: ParsedTarget, options: FetchOptions, context: FetchContext, cursor: str | None = None
    ) -> Iterator[Page]: ...


# --- error taxonomy (docs/platforms.md section 10) -------------------------------------------


class FetchError(Exception):
    """Base of every fetch failure. ``retryable`` says whether the same request may succeed later."""

    retryable = False
    code = "fetch_error"

    def __init__(self, message: str, *, status_code: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.retry_after = retry_after


class TransientError(FetchError):
    retryable = True
    code = "transient"


class NotFoundError(FetchError):
    code = "not_found"


class DisabledError(FetchError):
    code = "disabled"


class QuotaExhaustedError(FetchError):
    code = "quota_exhausted"


class AuthConfigError(FetchError):
    code = "auth_config"


class BlockedError(FetchError):
    code = "blocked"


class SchemaDriftError(FetchError):
    code = "schema_drift"
