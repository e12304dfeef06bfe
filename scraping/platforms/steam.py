"""Steam: store/community URL -> app id, and user reviews from the public ``appreviews`` endpoint.

docs/platforms.md section 3. The endpoint needs no key; it is paged with an opaque cursor that
may contain ``+``, ``/`` and ``=`` (httpx ``params=`` percent-encodes it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import SplitResult

import httpx

from scraping.platforms.base import (
    BlockedError,
    FetchContext,
    FetchOptions,
    NotFoundError,
    Page,
    ParsedTarget,
    Platform,
    Review,
    SchemaDriftError,
    UrlParseError,
)
from scraping.platforms.http import base_url, error_for_status, json_body, make_client, request_with_retries
from scraping.platforms.payload import (
    expect_bool,
    expect_dict,
    expect_int,
    expect_list,
    expect_str,
    in_window,
    optional_int,
    utc_from_timestamp,
)

PLATFORM = Platform.STEAM
SOURCE = "official_api"
MAX_PAGE_SIZE = 100
FIRST_CURSOR = "*"
# Steam app ids are unsigned 32-bit integers.
MAX_APP_ID = 2**32 - 1
# Review links are for people, not for fetching, so they always point at the public site.
COMMUNITY_URL = "https://steamcommunity.com"
STORE_URL = "https://store.steampowered.com"

_HOST = re.compile(r"^(?:(?:store|www)\.)?steampowered\.com$|^(?:www\.)?steamcommunity\.com$")
_APP_PATH = re.compile(r"^/(?:agecheck/)?(?:app|games|news/app)/(?P<app_id>\d{1,10})(?=[/?#]|$)")
_APP_PREFIX = re.compile(r"^/(?:agecheck/)?(?:app|games|news/app)(?:/|$)")
_NOT_APP = re.compile(
    r"^/(?P<kind>sub|bundle|package|developer|publisher|curator|franchise|search|id|profiles)(?=[/?#]|$)"
)
_PROTOCOL = re.compile(r"^(?:store|run|rungameid|install|nav/games/details)/(?P<app_id>\d{1,10})(?=[/?#]|$)")
_EXAMPLE = "https://store.steampowered.com/app/730/"

_NOT_APP_REASONS = {
    "sub": "This is a Steam package, and packages have no reviews of their own. Open one game in it and paste "
    "that game's store link (…/app/<number>/).",
    "package": "This is a Steam package, and packages have no reviews of their own. Open one game in it and "
    "paste that game's store link (…/app/<number>/).",
    "bundle": "This is a Steam bundle, and bundles have no reviews of their own. Open one game in it and paste "
    "that game's store link (…/app/<number>/).",
    "search": "This is a Steam search page. Open a game and paste its store link (…/app/<number>/).",
    "id": "This is a Steam user profile, not a game. Paste a game's store link (…/app/<number>/).",
    "profiles": "This is a Steam user profile, not a game. Paste a game's store link (…/app/<number>/).",
}

# EResult codes meaning "no such thing" (k_EResultFileNotFound, k_EResultNoMatch); any other
# non-1 ``success`` is an answer this module does not understand.
_NOT_FOUND_RESULTS = frozenset({9, 42})
# filter value -> the review timestamp that orders the walk.
_ORDERINGS = {"recent": "timestamp_created", "updated": "timestamp_updated"}


# --- URL intake -------------------------------------------------------------------------------


def parse_url(parts: SplitResult) -> ParsedTarget | None:
    """A Steam game URL (store, community, ``steam://``) -> app id; None when the host is not Steam's."""
    if parts.scheme == "steam":
        command = f"{parts.netloc}{parts.path}"
        match = _PROTOCOL.match(command)
        if match is None:
            raise UrlParseError(
                f"This steam:// link does not name a game. Use steam://store/<app id> or a store link like {_EXAMPLE}"
            )
        return _target(match["app_id"])
    if not _HOST.match(parts.netloc):
        return None
    path = re.sub(r"/{2,}", "/", parts.path) or "/"
    match = _APP_PATH.match(path)
    if match is not None:
        return _target(match["app_id"])
    if _APP_PREFIX.match(path):
        raise UrlParseError(f"This Steam link has no numeric app id. It should look like {_EXAMPLE}")
    not_app = _NOT_APP.match(path)
    if not_app is not None:
        kind = not_app["kind"]
        raise UrlParseError(
            _NOT_APP_REASONS.get(kind)
            or f"This is a Steam {kind} page, not a game. Paste a game's store link (…/app/<number>/)."
        )
    raise UrlParseError(f"This Steam link does not point to a game. It should look like {_EXAMPLE}")


def _target(raw_app_id: str) -> ParsedTarget:
    app_id = int(raw_app_id)
    if not 0 < app_id <= MAX_APP_ID:
        raise UrlParseError(f"{raw_app_id} is not a valid Steam app id. It should look like {_EXAMPLE}")
    return ParsedTarget(
        platform=PLATFORM,
        detected_type="game",
        canonical_url=f"{STORE_URL}/app/{app_id}/",
        platform_data={"app_id": app_id},
    )


# --- fetching ---------------------------------------------------------------------------------


def fetch_pages(
    target: ParsedTarget, options: FetchOptions, context: FetchContext, cursor: str | None = None
) -> Iterator[Page]:
    """Walk ``/appreviews/{app_id}`` newest first, one ``Page`` per HTTP page.

    ``cursor`` resumes from a previous ``Page.cursor``. The walk ends on an empty page, a cursor
    that comes back unchanged, a page of already-seen reviews (section 3.2 stop rule; a short
    page is *not* an end), a review older than ``options.date_from``, or ``options.max_results``
    reviews; the last page carries ``cursor=None``. ``options.sort_by`` may be ``"updated"`` to
    walk by last update instead of creation; ``options.language`` is a Steam language code.
    """
    app_id = _app_id(target)
    if options.max_results <= 0:
        return
    ordering = options.sort_by if options.sort_by in _ORDERINGS else "recent"
    order_field = _ORDERINGS[ordering]
    url = f"{base_url(context, 'steam_store')}/appreviews/{app_id}"
    current = cursor or FIRST_CURSOR
    remaining = options.max_results
    seen: set[str] = set()
    with make_client(context) as client:
        while True:
            # With a date_to window the newest reviews are skipped, so small pages would only add requests.
            page_size = MAX_PAGE_SIZE if options.date_to else min(MAX_PAGE_SIZE, remaining)
            params = {
                "json": "1",
                "filter": ordering,
                "language": options.language or "all",
                "review_type": "all",
                # The default is "steam": key and gift reviews would silently be missing.
                "purchase_type": "all",
                "num_per_page": str(page_size),
                "cursor": current,
            }
            response = request_with_retries(client, "GET", url, context=context, params=params)
            payload = _payload(response, app_id)
            raw_reviews = expect_list(payload.get("reviews", []), "steam reviews")
            next_cursor = payload.get("cursor")
            if raw_reviews and (not isinstance(next_cursor, str) or not next_cursor):
                raise SchemaDriftError("steam appreviews: reviews without a next cursor")

            kept: list[Review] = []
            new_ids = 0
            reached_start = False
            for index, item in enumerate(raw_reviews):
                review, ordered_at = _review(item, app_id, order_field, f"steam reviews[{index}]")
                if review.platform_id in seen:
                    continue
                seen.add(review.platform_id)
                new_ids += 1
                if options.date_from is not None and ordered_at < options.date_from:
                    reached_start = True
                    break
                if not in_window(review.date, options):
                    continue
                kept.append(review)
                if len(kept) >= remaining:
                    break
            remaining -= len(kept)
            finished = reached_start or remaining <= 0 or not raw_reviews or new_ids == 0 or next_cursor == current
            info = _summary(payload) if current == FIRST_CURSOR else {}
            yield Page(reviews=kept, cursor=None if finished else next_cursor, requests_made=1, target_info=info)
            if finished:
                return
            current = next_cursor


def _app_id(target: ParsedTarget) -> int:
    if target.platform != PLATFORM or target.needs_resolution:
        raise ValueError(f"steam.fetch_pages needs a resolved Steam target, got {target.platform!r}")
    app_id = target.platform_data.get("app_id")
    if isinstance(app_id, str) and app_id.isdigit():
        app_id = int(app_id)
    if isinstance(app_id, bool) or not isinstance(app_id, int) or app_id <= 0:
        raise ValueError(f"Steam target without a valid app_id: {app_id!r}")
    return app_id


def _payload(response: httpx.Response, app_id: int) -> dict[str, Any]:
    what = f"steam appreviews {app_id}"
    if response.status_code == 403:
        # No key is involved, so a 403 is the CDN refusing this client.
        raise BlockedError(f"{what} answered HTTP 403", status_code=403)
    if response.status_code != 200:
        raise error_for_status(response, what)
    payload = expect_dict(json_body(response, what), what)
    success = expect_int(payload.get("success"), f"{what} success")
    if success in _NOT_FOUND_RESULTS:
        raise NotFoundError(f"{what}: Steam reports no such app (success={success})", status_code=200)
    if success != 1:
        raise SchemaDriftError(f"{what}: unexpected success={success}", status_code=200)
    return payload


def _review(item: Any, app_id: int, order_field: str, what: str) -> tuple[Review, datetime]:
    data = expect_dict(item, what)
    raw_id = data.get("recommendationid")
    if isinstance(raw_id, int) and not isinstance(raw_id, bool):
        raw_id = str(raw_id)
    review_id = expect_str(raw_id, f"{what}.recommendationid")
    author = expect_dict(data.get("author"), f"{what}.author")
    steam_id = expect_str(author.get("steamid"), f"{what}.author.steamid")
    created = utc_from_timestamp(data.get("timestamp_created"), f"{what}.timestamp_created")
    ordered_at = created
    if order_field != "timestamp_created":
        ordered_at = utc_from_timestamp(data.get(order_field), f"{what}.{order_field}")
    voted_up = expect_bool(data.get("voted_up"), f"{what}.voted_up")
    language = data.get("language")
    extra: dict[str, Any] = {
        "votes_up": optional_int(data.get("votes_up")),
        "votes_funny": optional_int(data.get("votes_funny")),
        "weighted_vote_score": _score(data.get("weighted_vote_score")),
        "comment_count": optional_int(data.get("comment_count")),
        "playtime_at_review": optional_int(author.get("playtime_at_review")),
        "steam_purchase": _optional_bool(data.get("steam_purchase")),
        "received_for_free": _optional_bool(data.get("received_for_free")),
        "written_during_early_access": _optional_bool(data.get("written_during_early_access")),
        "updated_at": _optional_iso(data.get("timestamp_updated")),
    }
    developer_response = data.get("developer_response")
    if isinstance(developer_response, str) and developer_response:
        extra["developer_response"] = developer_response
    review = Review(
        platform=PLATFORM,
        platform_id=review_id,
        text=expect_str(data.get("review"), f"{what}.review"),
        author=steam_id,
        rating=1.0 if voted_up else 0.0,
        rating_scale="binary",
        date=created,
        url=f"{COMMUNITY_URL}/profiles/{steam_id}/recommended/{app_id}/",
        language=language if isinstance(language, str) and language else None,
        source=SOURCE,
        extra={key: value for key, value in extra.items() if value is not None},
    )
    return review, ordered_at


def _score(value: Any) -> float | None:
    """``weighted_vote_score`` arrives as a string ("0.603...") or as the number 0."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _optional_bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _optional_iso(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    try:
        return utc_from_timestamp(value, "timestamp").isoformat()
    except SchemaDriftError:
        return None


def _summary(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The first page's ``query_summary`` (later pages carry only ``num_reviews``)."""
    summary = payload.get("query_summary")
    if not isinstance(summary, dict):
        return {}
    keys = ("total_reviews", "total_positive", "total_negative", "review_score")
    info: dict[str, Any] = {key: summary[key] for key in keys if optional_int(summary.get(key)) is not None}
    if isinstance(summary.get("review_score_desc"), str):
        info["review_score_desc"] = summary["review_score_desc"]
    return info
