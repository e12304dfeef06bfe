"""Yelp business pages (docs/platforms.md section 7b).

The URL is parsed directly; reviews come only through an Apify actor (Yelp Fusion returns a few
excerpts per business), so fetching fails fast with ``AuthConfigError`` when no Apify token is set.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import SplitResult, quote, unquote

from scraping.platforms import base
from scraping.platforms._commerce import ItemFields, apify_pages, review_from_item, with_input_overrides

# Apify-maintained Yelp scraper; its items are businesses with a nested ``reviews`` list (flattened
# below). Check the input schema and pin the build; settings override it via ``context.actors``.
DEFAULT_ACTOR = "tri_angle~yelp-scraper"

_HOST = re.compile(r"^(?:(?:www|m)\.)?yelp\.(?P<tld>com|ca|co\.uk|com\.au|de|fr|it|es|ie|co\.nz|com\.sg)$")
_BIZ_PATH = re.compile(r"^/biz/(?P<slug>[A-Za-z0-9%_-]+)(?=[/?#]|$)")

ITEM_FIELDS = ItemFields(
    id=("reviewId", "id", "review_id", "encid"),
    text=("text", "reviewText", "comment.text", "comment", "content", "body"),
    title=("title",),
    rating=("rating", "stars", "reviewRating", "ratingValue"),
    date=("date", "localizedDate", "publishedAt", "datePublished", "createdAt", "time"),
    author=("userName", "reviewerName", "author", "user.name", "user.markupDisplayName", "name"),
    url=("reviewUrl", "url"),
    language=("language", "lang", "languageCode"),
)


def parse_url(parts: SplitResult) -> base.ParsedTarget | None:
    """Parse a Yelp ``/biz/<alias>`` URL; None when the host is not Yelp's.

    ``platform_data``: ``slug`` (the business alias, URL-decoded) and ``domain`` (``yelp.co.uk``).
    """
    host = (parts.hostname or "").rstrip(".").lower()
    match = _HOST.match(host)
    if not match:
        return None
    path_match = _BIZ_PATH.match(parts.path or "")
    if not path_match:
        raise base.UrlParseError(
            "This Yelp link is not a business page; open the business on Yelp and copy its link "
            "(https://www.yelp.com/biz/<business>)"
        )
    slug = unquote(path_match.group("slug"))
    domain = f"yelp.{match.group('tld')}"
    return base.ParsedTarget(
        platform=base.Platform.YELP,
        detected_type="business",
        canonical_url=f"https://www.{domain}/biz/{quote(slug, safe='-_')}",
        platform_data={"slug": slug, "domain": domain},
    )


def actor_input(target: base.ParsedTarget, options: base.FetchOptions, context: base.FetchContext) -> dict[str, Any]:
    """Actor input; ``context.provider_options["actor_input"]["yelp"]`` is merged on top."""
    run_input: dict[str, Any] = {"directUrls": [target.canonical_url], "reviewLimit": options.max_results}
    return with_input_overrides(run_input, context, base.Platform.YELP)


def flatten_item(item: Any) -> Iterable[Any]:
    """Review rows of one actor item: a business item's nested ``reviews``, or the item itself."""
    if isinstance(item, Mapping) and isinstance(item.get("reviews"), list):
        return item["reviews"]
    return [item]


def fetch_pages(
    target: base.ParsedTarget,
    options: base.FetchOptions,
    context: base.FetchContext,
    cursor: str | None = None,
) -> Iterator[base.Page]:
    """Reviews of a Yelp business through the Apify actor (paged by dataset offset)."""
    yield from apify_pages(
        target=target,
        options=options,
        context=context,
        cursor=cursor,
        platform=base.Platform.YELP,
        label="Yelp",
        default_actor=DEFAULT_ACTOR,
        run_input=actor_input(target, options, context),
        mapper=lambda item: review_from_item(
            item, ITEM_FIELDS, platform=base.Platform.YELP, rating_scale="1-5", fallback_url=target.canonical_url
        ),
        flatten=flatten_item,
    )
