"""ScraperAPI provider (docs/platforms.md section 8): fetch a page through ``api.scraperapi.com``.

The key travels as the ``api_key`` query parameter, so every error raised here is built without
the request URL, and messages coming from the HTTP layer are redacted before they propagate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from scraping.platforms import base
from scraping.platforms._commerce import rebuild_error, redact
from scraping.platforms.http import request_with_retries
from scraping.providers.direct import FetchedPage

PROVIDER_BASE_URLS = {"scraperapi": "https://api.scraperapi.com"}
SOURCE = "scraperapi"

# ScraperAPI keeps retrying the target for up to 70 s before it answers 500, so the read timeout
# must be longer than that or we would abandon requests it is about to answer (and charge).
SCRAPERAPI_TIMEOUT = httpx.Timeout(75.0, connect=10.0)


@dataclass(frozen=True)
class ScraperApiClient:
    """Fetch pages through ScraperAPI's synchronous endpoint.

    ``api_key`` is excluded from ``repr``; ``base_url`` defaults to ``PROVIDER_BASE_URLS``.
    """

    api_key: str = field(repr=False)
    base_url: str = PROVIDER_BASE_URLS["scraperapi"]

    @classmethod
    def from_context(cls, context: base.FetchContext) -> ScraperApiClient:
        key = context.credentials.get("scraperapi")
        if not key:
            raise base.AuthConfigError(
                "ScraperAPI is selected as the provider but no ScraperAPI key is configured; "
                "add the key in the integration settings or choose another provider"
            )
        return cls(api_key=key, base_url=context.base_urls.get("scraperapi") or PROVIDER_BASE_URLS["scraperapi"])

    def fetch(
        self,
        client: httpx.Client,
        url: str,
        *,
        context: base.FetchContext,
        country_code: str | None = None,
        render: bool = False,
        premium: bool = False,
        timeout: httpx.Timeout = SCRAPERAPI_TIMEOUT,
    ) -> FetchedPage:
        """Fetch ``url``; return the body on 200, raise the taxonomy error otherwise.

        500 (failed after ScraperAPI's own retries, not charged) and 429 (plan concurrency) are
        retried by the HTTP layer and end as ``TransientError``; 403 means credits exhausted or a
        feature not on the plan; 401 a bad key; 404 that the target itself answered 404.
        """
        params = {"api_key": self.api_key, "url": url}
        if country_code:
            params["country_code"] = country_code.lower()
        if render:
            params["render"] = "true"
        if premium:
            params["premium"] = "true"
        try:
            response = request_with_retries(
                client, "GET", self.base_url, context=context, params=params, timeout=timeout
            )
        except base.FetchError as exc:
            # The lower layer may have put the request URL (with api_key) into its message.
            raise rebuild_error(exc, redact(exc.message, self.api_key)) from None
        status = response.status_code
        if status == 200:
            return FetchedPage(status_code=200, text=response.text, url=url, source=SOURCE)
        if status == 401:
            raise base.AuthConfigError(
                "ScraperAPI rejected the API key (401); check the key in settings", status_code=401
            )
        if status == 403:
            raise base.QuotaExhaustedError(
                "ScraperAPI refused the request (403): credits exhausted, the feature is not on the plan, "
                "or the request would exceed max_cost",
                status_code=403,
            )
        if status == 404:
            raise base.NotFoundError("the target page answered 404 through ScraperAPI", status_code=404)
        if status == 400:
            raise base.FetchError("ScraperAPI rejected the request as malformed (400)", status_code=400)
        if status in (429, 500, 502, 503, 504):
            # Only reached if the HTTP layer hands back a retryable status instead of raising.
            raise base.TransientError(f"ScraperAPI answered {status}", status_code=status)
        raise base.FetchError(f"ScraperAPI answered an unexpected status {status}", status_code=status)
