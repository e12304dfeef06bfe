"""What a platform fetch needs from the outside world: credentials, provider choice, base URLs.

Credentials come from the project owner's stored keys (``integrations.services.api_key_secret_for``,
decrypted in the worker only) and fall back to the deployment's settings. They go into the
``FetchContext`` (whose ``repr`` hides them) and nowhere else: never into logs, job documents or
audit metadata.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings

from scraping.platforms import amazon, google, reddit, steam, trustpilot, yelp, youtube
from scraping.platforms.base import FetchContext, Fetcher, Platform

logger = logging.getLogger("sentimatrix.scraping")

# The registry of platform modules: platform name -> its ``fetch_pages``.
FETCHERS: dict[str, Fetcher] = {
    Platform.STEAM: steam.fetch_pages,
    Platform.YOUTUBE: youtube.fetch_pages,
    Platform.REDDIT: reddit.fetch_pages,
    Platform.GOOGLE: google.fetch_pages,
    Platform.AMAZON: amazon.fetch_pages,
    Platform.TRUSTPILOT: trustpilot.fetch_pages,
    Platform.YELP: yelp.fetch_pages,
}

# Credential keys (as FetchContext.credentials names them) each platform may use.
CREDENTIALS_BY_PLATFORM: dict[str, tuple[str, ...]] = {
    Platform.STEAM: (),
    Platform.YOUTUBE: ("youtube",),
    Platform.REDDIT: ("reddit_client_id", "reddit_client_secret", "reddit_user_agent"),
    Platform.GOOGLE: ("google", "apify"),
    Platform.AMAZON: ("scraperapi", "apify"),
    Platform.TRUSTPILOT: ("apify",),
    Platform.YELP: ("apify",),
}
_USER_KEY_PROVIDERS = ("youtube", "google", "apify", "scraperapi", "reddit")


def fetcher_for(platform: str) -> Fetcher:
    try:
        return FETCHERS[platform]
    except KeyError:
        raise LookupError(f"no platform module for {platform!r}") from None


def _user_secret(user: Any, provider: str) -> str | None:
    try:
        from integrations.services import api_key_secret_for
    except ImportError:
        return None
    try:
        return api_key_secret_for(user=user, provider=provider)
    except Exception:  # noqa: BLE001 - a broken stored key falls back to the deployment's key
        logger.warning("could not read the stored %s key of user %s", provider, getattr(user, "pk", None))
        return None


def credentials_for(*, platform: str, user: Any) -> dict[str, str]:
    """The credentials ``platform`` may use: the user's own keys first, then the deployment's."""
    wanted = CREDENTIALS_BY_PLATFORM.get(platform, ())
    found: dict[str, str] = {}
    for key in wanted:
        if key in _USER_KEY_PROVIDERS:
            secret = _user_secret(user, key)
            if secret:
                found[key] = secret
    if "reddit_client_id" in wanted:
        # A stored Reddit key is "client_id:client_secret" (one secret per provider).
        secret = _user_secret(user, "reddit")
        if secret and ":" in secret:
            client_id, _, client_secret = secret.partition(":")
            found["reddit_client_id"], found["reddit_client_secret"] = client_id.strip(), client_secret.strip()
    for key in wanted:
        if key not in found and settings.SCRAPING_CREDENTIALS.get(key):
            found[key] = settings.SCRAPING_CREDENTIALS[key]
    return found


def choose_provider(*, platform: str, configured: str | None, credentials: dict[str, str]) -> str | None:
    """Which access path a platform uses: direct (None), ``scraperapi`` or ``apify``.

    Trustpilot and Yelp have only the Apify path. Google uses Places (5 reviews) unless the project
    chose Apify or only an Apify token is available. Amazon uses the project's provider, else
    ScraperAPI when a key exists, else direct HTTP.
    """
    if platform in (Platform.TRUSTPILOT, Platform.YELP):
        return "apify"
    if platform == Platform.GOOGLE:
        if configured == "apify" and credentials.get("apify"):
            return "apify"
        if not credentials.get("google") and credentials.get("apify"):
            return "apify"
        return None
    if platform == Platform.AMAZON:
        if configured in ("scraperapi", "apify") and credentials.get(configured):
            return configured
        if credentials.get("scraperapi"):
            return "scraperapi"
        return None
    return None


def fetch_context_for(*, platform: str, project: Any, user: Any, sleep: Callable[[float], None] | None) -> FetchContext:
    scrapers = getattr(getattr(project, "config", None), "scrapers", None)
    configured = getattr(scrapers, "commercial_provider", None)
    commercial = getattr(scrapers, "commercial_config", None)
    credentials = credentials_for(platform=platform, user=user)
    provider_options: dict[str, Any] = {}
    if commercial is not None:
        if getattr(commercial, "country", ""):
            provider_options["country_code"] = commercial.country
        provider_options["render"] = bool(getattr(commercial, "render_js", False))
        provider_options["premium"] = bool(getattr(commercial, "premium_proxy", False))
    return FetchContext(
        base_urls=dict(settings.SCRAPING_BASE_URLS),
        credentials=credentials,
        provider=choose_provider(platform=platform, configured=configured, credentials=credentials),
        provider_options=provider_options,
        actors=dict(settings.SCRAPING_ACTORS),
        user_agent=settings.SCRAPING_USER_AGENT,
        timeout_seconds=settings.SCRAPING_HTTP_TIMEOUT,
        sleep=sleep,
    )


def rate_limit_key(platform: str, context: FetchContext) -> str | None:
    """The ``DEFAULT_PLATFORM_LIMITS`` entry a request counts against (None: no request-rate window)."""
    if platform == Platform.REDDIT:
        return "reddit" if context.credentials.get("reddit_client_id") else "reddit_public"
    if context.provider in ("scraperapi", "apify"):
        return None  # limited by plan concurrency instead (see provider_slot)
    if platform in (Platform.STEAM, Platform.YOUTUBE, Platform.GOOGLE):
        return platform
    return None
