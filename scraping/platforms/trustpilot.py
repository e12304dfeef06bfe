"""Trustpilot business pages (docs/platforms.md section 7b).

The URL is parsed directly; reviews come only through an Apify actor (Trustpilot's own API needs a
business account), so fetching fails fast with ``AuthConfigError`` when no Apify token is set.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import SplitResult

from scraping.platforms import base
from scraping.platforms._commerce import ItemFields, apify_pages, review_from_item, with_input_overrides

# Unconfirmed community actor: check its input schema and pin the build before relying on it;
# settings override it through ``context.actors["trustpilot"]``.
DEFAULT_ACTOR = "curious_coder~trustpilot-reviews-scraper"

_HOST = re.compile(r"^(?:(?P<sub>www|[a-z]{2})\.)?trustpilot\.com$")
_REVIEW_PATH = re.compile(r"^/review/(?P<slug>[A-Za-z0-9.-]+\.[A-Za-z]{2,})(?=[/?#]|$)")

ITEM_FIELDS = ItemFields(
    id=("reviewId", "id", "review_id", "reviewUrl"),
    text=("text", "reviewText", "reviewBody", "body", "content", "review"),
    title=("title", "reviewTitle", "headline"),
    rating=("rating", "stars", "ratingValue", "reviewRating", "score"),
    date=("datePublished", "publishedDate", "dates.publishedDate", "date", "publishedAt", "createdAt", "reviewDate"),
    author=("consumer.displayName", "consumerName", "author", "authorName", "userName", "reviewer", "name"),
    url=("reviewUrl", "url", "link"),
    language=("language", "languageCode", "lang"),
)


def parse_url(parts: SplitResult) -> base.ParsedTarget | None:
    """Parse a Trustpilot ``/review/<domain>`` URL; None when the host is not Trustpilot's.

    ``platform_data``: ``slug`` (the business's domain, lower-cased) and ``locale`` (the two-letter
    subdomain such as ``de``, or None for www).
    """
    host = (parts.hostname or "").rstrip(".").lower()
    match = _HOST.match(host)
    if not match:
        return None
    path_match = _REVIEW_PATH.match(parts.path or "")
    if not path_match:
        raise base.UrlParseError(
            "This Trustpilot link is not a company review page; open the company on Trustpilot "
            "and copy its link (https://www.trustpilot.com/review/<company domain>)"
        )
    slug = path_match.group("slug").lower()
    sub = match.group("sub")
    return base.ParsedTarget(
        platform=base.Platform.TRUSTPILOT,
        detected_type="business",
        canonical_url=f"https://www.trustpilot.com/review/{slug}",
        platform_data={"slug": slug, "locale": None if sub in (None, "www") else sub},
    )


def actor_input(target: base.ParsedTarget, options: base.FetchOptions, context: base.FetchContext) -> dict[str, Any]:
    """Actor input; ``context.provider_options["actor_input"]["trustpilot"]`` is merged on top."""
    run_input: dict[str, Any] = {"startUrls": [{"url": target.canonical_url}], "maxItems": options.max_results}
    if options.language:
        run_input["languages"] = [options.language]
    return with_input_overrides(run_input, context, base.Platform.TRUSTPILOT)


def fetch_pages(
    target: base.ParsedTarget,
    options: base.FetchOptions,
    context: base.FetchContext,
    cursor: str | None = None,
) -> Iterator[base.Page]:
    """Reviews of a Trustpilot business through the Apify actor (paged by dataset offset)."""
    yield from apify_pages(
        target=target,
        options=options,
        context=context,
        cursor=cursor,
        platform=base.Platform.TRUSTPILOT,
        label="Trustpilot",
        default_actor=DEFAULT_ACTOR,
        run_input=actor_input(target, options, context),
        mapper=lambda item: review_from_item(
            item,
            ITEM_FIELDS,
            platform=base.Platform.TRUSTPILOT,
            rating_scale="1-5",
            fallback_url=target.canonical_url,
        ),
    )
