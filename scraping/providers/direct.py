"""Direct provider: a plain GET of the target page through the shared retrying HTTP layer.

Used when no commercial provider is configured. It never interprets the page: the platform module
decides what a 403, a 503 or a captcha means for its site.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from scraping.platforms import base
from scraping.platforms.http import request_with_retries

SOURCE = "html"


@dataclass(frozen=True)
class FetchedPage:
    """A fetched HTML document, whichever provider fetched it.

    ``status_code`` is the target's status as far as the provider reports it; ``url`` is the final
    URL (after redirects, when the client follows them); ``location`` is the redirect target of an
    unfollowed 3xx; ``source`` is the normalized-review ``source`` value for this path.
    """

    status_code: int
    text: str
    url: str
    source: str
    location: str | None = None


def fetch_page(
    client: httpx.Client,
    url: str,
    *,
    context: base.FetchContext,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    timeout: float | httpx.Timeout | None = None,
) -> FetchedPage:
    """GET ``url`` and return it whatever its status (transport errors, 429 and 5xx are retried
    by ``request_with_retries``, which raises ``TransientError`` when it gives up)."""
    merged = {"User-Agent": context.user_agent}
    merged.update(headers or {})
    response = request_with_retries(
        client, "GET", url, context=context, params=dict(params) if params else None, headers=merged, timeout=timeout
    )
    return FetchedPage(
        status_code=response.status_code,
        text=response.text,
        url=str(response.url),
        source=SOURCE,
        location=response.headers.get("location"),
    )
