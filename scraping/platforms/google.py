"""Google Maps places (docs/platforms.md section 6).

URL parsing finds a ``place_id`` and/or a CID in the many Maps URL shapes. Fetching uses the Places
API (New) Place Details ``reviews`` field, which returns at most five reviews with no paging; when
``context.provider == "apify"`` it runs the Apify Google Maps reviews actor for the full history.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import SplitResult, parse_qsl, quote, unquote, unquote_plus, urlsplit, urlunsplit

import httpx

from scraping.platforms import base
from scraping.platforms._commerce import (
    apify_pages,
    as_text,
    first_present,
    parse_rating,
    require_credential,
    stable_id,
    utc_from_value,
    with_input_overrides,
    within_window,
)
from scraping.platforms.http import json_body, make_client, request_with_retries

PROVIDER_BASE_URLS = {"google_places": "https://places.googleapis.com"}
DEFAULT_ACTOR = "compass~google-maps-reviews-scraper"
# Billing follows the field mask (``reviews`` is the expensive part); never use "*".
DETAILS_FIELD_MASK = "id,displayName,rating,userRatingCount,googleMapsUri,reviews"
SEARCH_FIELD_MASK = "places.id,places.displayName,places.googleMapsUri"
TEXT_SEARCH_RADIUS_METERS = 500.0

_GOOGLE_HOST = re.compile(r"^(?:(?:www|maps)\.)?google\.(?:com|[a-z]{2,3}|co\.[a-z]{2}|com\.[a-z]{2})$")
_SHORT_HOSTS = frozenset({"maps.app.goo.gl", "g.page", "g.co", "goo.gl"})
_PLACE_ID = re.compile(r"[A-Za-z0-9_-]{20,}")
_DATA19 = re.compile(r"!19s([A-Za-z0-9_-]{20,})")
_FEATURE = re.compile(r"(?<![0-9a-f])(0x[0-9a-f]{1,16}):(0x[0-9a-f]{1,16})(?![0-9a-f])", re.IGNORECASE)
_CID = re.compile(r"\d{1,20}")
_PLACE_NAME = re.compile(r"^/maps/place/([^/@]+)/?(?:@(-?\d+\.\d+),(-?\d+\.\d+))?")
_DATA_COORDS = re.compile(r"!3d(-?\d+\.\d+)!4d(-?\d+\.\d+)")


# --- URL parsing -------------------------------------------------------------------------------


def parse_url(parts: SplitResult) -> base.ParsedTarget | None:
    """Parse a Google Maps URL; None when the host is not Google's.

    ``platform_data`` keys: ``place_id`` (str), ``place_id_derived`` (True when computed from the
    feature id rather than read from the URL: a hint, confirmed by the Details call), ``cid``
    (decimal string: CIDs are unsigned 64-bit and do not fit a signed BSON int64), ``name``,
    ``lat``/``lng`` (floats) when the URL carries them, ``short_url`` for share links.
    """
    host = (parts.hostname or "").rstrip(".").lower()
    path = parts.path or "/"
    if host in _SHORT_HOSTS:
        if host == "goo.gl" and not path.startswith("/maps"):
            raise base.UrlParseError("goo.gl links other than goo.gl/maps/… are not Google Maps places")
        short_url = urlunsplit(("https", host, path, parts.query, ""))
        return base.ParsedTarget(
            platform=base.Platform.GOOGLE,
            detected_type="place",
            canonical_url=short_url,
            platform_data={"short_url": short_url},
            needs_resolution=True,
        )
    if host == "search.google.com":
        if not path.startswith("/local"):
            raise base.UrlParseError("search.google.com links must be /local/… review links of a Maps place")
    elif not _GOOGLE_HOST.match(host):
        return None
    elif not (host.startswith("maps.") or path == "/maps" or path.startswith("/maps/")):
        raise base.UrlParseError(
            "This Google link is not a Google Maps place; open the place in Google Maps and copy its link"
        )

    params = {key.lower(): value for key, value in parse_qsl(parts.query, keep_blank_values=True)}
    decoded = unquote(path) + "?" + unquote(parts.query)
    data: dict[str, Any] = {}

    place_id = _explicit_place_id(params, decoded)
    feature = _FEATURE.search(decoded)
    if feature:
        hi, lo = int(feature.group(1), 16), int(feature.group(2), 16)
        data["cid"] = str(lo)
        if place_id is None and hi != 0:
            place_id = _place_id_from_feature(hi, lo)
            data["place_id_derived"] = True
    else:
        cid = params.get("cid") or params.get("ludocid")
        if cid is not None:
            if not _CID.fullmatch(cid) or int(cid) >= 2**64:
                raise base.UrlParseError("The cid in this Maps link is not a valid place number; copy the link again")
            data["cid"] = cid
    if place_id is not None:
        data["place_id"] = place_id

    name_match = _PLACE_NAME.match(unquote(path))
    if name_match and name_match.group(1).strip():
        data["name"] = unquote_plus(name_match.group(1)).strip()
    # The place's own position (!3d…!4d… in data=) beats the viewport centre after "@".
    if coords := _DATA_COORDS.search(decoded):
        data["lat"], data["lng"] = float(coords.group(1)), float(coords.group(2))
    elif name_match and name_match.group(2):
        data["lat"], data["lng"] = float(name_match.group(2)), float(name_match.group(3))

    if "place_id" in data or "cid" in data:
        canonical = (
            f"https://www.google.com/maps/place/?q=place_id:{data['place_id']}"
            if "place_id" in data
            else f"https://maps.google.com/?cid={data['cid']}"
        )
        return base.ParsedTarget(base.Platform.GOOGLE, "place", canonical, data)
    if "name" in data:
        # A place name with coordinates but no id: Text Search can find it, outside the request.
        canonical = urlunsplit(("https", host, path, "", ""))
        return base.ParsedTarget(base.Platform.GOOGLE, "place", canonical, data, needs_resolution=True)
    raise base.UrlParseError(_why_not_a_place(path))


def _explicit_place_id(params: Mapping[str, str], decoded: str) -> str | None:
    for key in ("query_place_id", "placeid", "place_id"):
        value = params.get(key)
        if value is not None:
            if not _PLACE_ID.fullmatch(value):
                raise base.UrlParseError(f"The {key} in this Maps link looks truncated; copy the full link again")
            return value
    query = params.get("q", "")
    if query.startswith("place_id:"):
        value = query[len("place_id:") :]
        if not _PLACE_ID.fullmatch(value):
            raise base.UrlParseError("The place_id in this Maps link looks truncated; copy the full link again")
        return value
    match = _DATA19.search(decoded)
    return match.group(1) if match else None


def _place_id_from_feature(hi: int, lo: int) -> str:
    """The ``ChIJ…`` place id encoded from a feature id (unofficial protobuf layout, a hint only)."""
    raw = b"\x0a\x12\x09" + hi.to_bytes(8, "little") + b"\x11" + lo.to_bytes(8, "little")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _why_not_a_place(path: str) -> str:
    if path.startswith("/maps/search"):
        return "This Maps link is a search results page; open one place and copy its link"
    if path.startswith("/maps/dir"):
        return "This Maps link is a directions page; open the destination place and copy its link"
    if path.startswith("/maps/@") or path in ("/maps", "/maps/"):
        return "This Maps link points at a map position, not a place; open the place and copy its link"
    return "This Google Maps link does not identify a place; open the place and use Share > Copy link"


# --- fetching ----------------------------------------------------------------------------------


def fetch_pages(
    target: base.ParsedTarget,
    options: base.FetchOptions,
    context: base.FetchContext,
    cursor: str | None = None,
) -> Iterator[base.Page]:
    """Reviews of a place: one page of at most 5 from Places API (New), or the Apify actor's pages."""
    if context.provider == "apify":
        yield from _fetch_apify(target, options, context, cursor)
        return
    if cursor is not None:
        # The official API has no paging: a cursor can only come from an Apify walk.
        raise base.FetchError("Google Places has no further pages; this cursor belongs to another provider")
    key = require_credential(
        context,
        "google",
        "No Google Places API key is configured; add one in the integration settings (the key needs the "
        "Places API (New) enabled), or choose the Apify provider",
    )
    with make_client(context) as client:
        place_id, requests = resolve_place_id(target, context, client=client, api_key=key)
        try:
            payload = _place_details(client, place_id, key, options, context)
        except base.NotFoundError:
            if not target.platform_data.get("place_id_derived") or not target.platform_data.get("name"):
                raise
            # A derived id is only a hint; with a name we can still ask Text Search for the CID.
            place_id, more = resolve_place_id(target, context, client=client, api_key=key, ignore_place_id=True)
            requests += more + 1  # the rejected Details call counts too
            payload = _place_details(client, place_id, key, options, context)
        requests += 1
    reviews = [_review_from_places(item, payload, target) for item in _reviews_of(payload)]
    reviews = [review for review in reviews if within_window(review, options)][: options.max_results]
    yield base.Page(reviews=reviews, cursor=None, requests_made=requests, target_info=_place_info(payload))


def _place_info(payload: Mapping[str, Any]) -> dict[str, Any]:
    """What Details says about the place; ``place_id`` lets the service store a resolved id."""
    info: dict[str, Any] = {"place_id": payload["id"]}
    name = as_text(payload.get("displayName"))
    if name:
        info["name"] = name
    if payload.get("rating") is not None:
        info["rating"] = parse_rating(payload["rating"])
    if isinstance(payload.get("userRatingCount"), int):
        info["review_count"] = payload["userRatingCount"]
    if payload.get("googleMapsUri"):
        info["maps_url"] = payload["googleMapsUri"]
    return info


def resolve_place_id(
    target: base.ParsedTarget,
    context: base.FetchContext,
    *,
    client: httpx.Client,
    api_key: str,
    ignore_place_id: bool = False,
) -> tuple[str, int]:
    """The place id of ``target`` and the number of requests spent finding it (docs section 6.3).

    Uses the id in the URL when there is one; otherwise Text Search (New) on the place name near
    its coordinates, accepting the candidate whose ``googleMapsUri`` carries the URL's CID (or the
    first candidate when the URL had no CID). Raises ``NotFoundError`` when nothing matches.
    """
    data = target.platform_data
    if data.get("place_id") and not ignore_place_id:
        return str(data["place_id"]), 0
    name, cid = data.get("name"), data.get("cid")
    if not name:
        if cid:
            raise base.NotFoundError(
                "This Maps link carries only a CID, which the Places API cannot look up; paste the place's "
                "full link (Share > Copy link from the place page) or use the Apify provider"
            )
        raise base.FetchError("This Maps link must be resolved (short link) before its reviews can be fetched")
    body: dict[str, Any] = {"textQuery": name}
    if data.get("lat") is not None and data.get("lng") is not None:
        center = {"latitude": data["lat"], "longitude": data["lng"]}
        body["locationBias"] = {"circle": {"center": center, "radius": TEXT_SEARCH_RADIUS_METERS}}
    url = _places_base(context) + "/v1/places:searchText"
    headers = {"X-Goog-Api-Key": api_key, "X-Goog-FieldMask": SEARCH_FIELD_MASK}
    response = request_with_retries(client, "POST", url, context=context, headers=headers, json=body)
    _raise_for_places_error(response)
    payload = json_body(response, "Places Text Search")
    places = payload.get("places", []) if isinstance(payload, dict) else None
    if not isinstance(places, list):
        raise base.SchemaDriftError("Places Text Search: 'places' is not a list")
    for place in places:
        if not isinstance(place, dict) or not place.get("id"):
            raise base.SchemaDriftError("Places Text Search: a candidate has no 'id'")
        if cid is None or _cid_of(place.get("googleMapsUri")) == str(cid):
            return str(place["id"]), 1
    raise base.NotFoundError(
        f"Google found no place named {name!r} matching this Maps link; open the place and copy its link again"
    )


def _cid_of(maps_uri: Any) -> str | None:
    if not isinstance(maps_uri, str):
        return None
    params = dict(parse_qsl(urlsplit(maps_uri).query))
    return params.get("cid")


def _places_base(context: base.FetchContext) -> str:
    return (context.base_urls.get("google_places") or PROVIDER_BASE_URLS["google_places"]).rstrip("/")


def _place_details(
    client: httpx.Client, place_id: str, key: str, options: base.FetchOptions, context: base.FetchContext
) -> dict[str, Any]:
    params: dict[str, str] = {}
    if options.language:
        params["languageCode"] = options.language
    url = f"{_places_base(context)}/v1/places/{quote(place_id, safe='')}"
    headers = {"X-Goog-Api-Key": key, "X-Goog-FieldMask": DETAILS_FIELD_MASK}
    response = request_with_retries(client, "GET", url, context=context, params=params or None, headers=headers)
    _raise_for_places_error(response)
    payload = json_body(response, "Places Place Details")
    if not isinstance(payload, dict) or not isinstance(payload.get("id"), str):
        raise base.SchemaDriftError("Places Place Details: the answer has no place 'id'")
    return payload


def _raise_for_places_error(response: httpx.Response) -> None:
    """Map a ``google.rpc.Status`` error onto the taxonomy (never retried: the HTTP layer already
    retried 429 and 5xx)."""
    status = response.status_code
    if status < 400:
        return
    error: dict[str, Any] = {}
    try:
        payload = response.json()
        if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
            error = payload["error"]
    except ValueError:
        pass
    rpc_status = str(error.get("status") or "")
    message = str(error.get("message") or "")[:300]
    reasons = {
        str(detail.get("reason"))
        for detail in error.get("details") or []
        if isinstance(detail, dict) and detail.get("reason")
    }
    if "API_KEY_INVALID" in reasons or status == 401:
        raise base.AuthConfigError("Google rejected the Places API key; check it in settings", status_code=status)
    if status == 403 or rpc_status == "PERMISSION_DENIED":
        raise base.AuthConfigError(
            f"Google refused the request ({rpc_status or status}): enable Places API (New) for the key's project "
            f"and check the key's restrictions. {message}".strip(),
            status_code=status,
        )
    if status == 404 or rpc_status == "NOT_FOUND":
        raise base.NotFoundError(
            f"Google has no place with this id (it may be obsolete). {message}".strip(), status_code=status
        )
    if status == 400 or rpc_status == "INVALID_ARGUMENT":
        raise base.NotFoundError(f"Google rejected the place id as invalid. {message}".strip(), status_code=status)
    raise base.FetchError(f"Places API answered HTTP {status} {rpc_status}".strip(), status_code=status)


def _reviews_of(payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    reviews = payload.get("reviews")
    if reviews is None:  # a place without reviews has no 'reviews' key at all
        return []
    if not isinstance(reviews, list) or not all(isinstance(item, dict) for item in reviews):
        raise base.SchemaDriftError("Places Place Details: 'reviews' is not a list of objects")
    return reviews


def _review_from_places(item: Mapping[str, Any], place: Mapping[str, Any], target: base.ParsedTarget) -> base.Review:
    name = item.get("name")
    if not isinstance(name, str) or not name:
        raise base.SchemaDriftError("Places review without 'name' (its id)")
    original = item.get("originalText") if isinstance(item.get("originalText"), dict) else {}
    shown = item.get("text") if isinstance(item.get("text"), dict) else {}
    source_text = original if original.get("text") else shown
    extra: dict[str, Any] = {}
    if item.get("relativePublishTimeDescription"):
        extra["relative_time"] = item["relativePublishTimeDescription"]
    if shown.get("text") and original.get("text") and shown["text"] != original["text"]:
        extra["translated_text"] = shown["text"]
        extra["translated_language"] = shown.get("languageCode")
    return base.Review(
        platform=base.Platform.GOOGLE,
        platform_id=name,
        text=str(source_text.get("text") or ""),
        author=as_text(item.get("authorAttribution")),
        rating=parse_rating(item.get("rating")),
        rating_scale="1-5",
        date=utc_from_value(item.get("publishTime")),
        url=str(item.get("googleMapsUri") or place.get("googleMapsUri") or target.canonical_url),
        language=source_text.get("languageCode"),
        source="official_api",
        extra=extra,
    )


# --- Apify (full history) ----------------------------------------------------------------------


def actor_input(target: base.ParsedTarget, options: base.FetchOptions, context: base.FetchContext) -> dict[str, Any]:
    """Input for the compass Google Maps reviews actor (field names per its input schema: pin the
    build). ``context.provider_options["actor_input"]["google"]`` is merged on top."""
    data = target.platform_data
    if data.get("place_id") and not data.get("place_id_derived"):
        run_input: dict[str, Any] = {"placeIds": [data["place_id"]]}
    elif data.get("cid"):
        run_input = {"startUrls": [{"url": f"https://www.google.com/maps?cid={data['cid']}"}]}
    else:
        run_input = {"startUrls": [{"url": target.canonical_url}]}
    run_input.update(
        {
            "maxReviews": options.max_results,
            "reviewsSort": options.sort_by or "newest",
            "language": options.language or "en",
            # reviewId is null unless personal data is enabled, and upserts need the id.
            "personalData": True,
        }
    )
    if options.date_from is not None:
        run_input["reviewsStartDate"] = options.date_from.date().isoformat()
    return with_input_overrides(run_input, context, base.Platform.GOOGLE)


def _fetch_apify(
    target: base.ParsedTarget, options: base.FetchOptions, context: base.FetchContext, cursor: str | None
) -> Iterator[base.Page]:
    if target.needs_resolution and not target.platform_data.get("name"):
        raise base.FetchError("This Maps short link must be resolved before its reviews can be fetched")
    yield from apify_pages(
        target=target,
        options=options,
        context=context,
        cursor=cursor,
        platform=base.Platform.GOOGLE,
        label="Google Maps",
        default_actor=DEFAULT_ACTOR,
        run_input=actor_input(target, options, context),
        mapper=lambda item: review_from_apify(item, target),
        target_info=_place_info_from_items,
    )


def _place_info_from_items(items: list[Any]) -> dict[str, Any]:
    """Place facts the compass actor repeats on every review row (first row with a place id)."""
    for item in items:
        if isinstance(item, Mapping) and item.get("placeId"):
            info: dict[str, Any] = {"place_id": item["placeId"]}
            for key, out in (("title", "name"), ("totalScore", "rating"), ("reviewsCount", "review_count")):
                if item.get(key) is not None:
                    info[out] = item[key]
            return info
    return {}


def review_from_apify(item: Mapping[str, Any], target: base.ParsedTarget) -> base.Review | None:
    """Map one compass actor item; None for rows that are not reviews (place summaries)."""
    text = as_text(first_present(item, "text", "textTranslated"))
    rating = parse_rating(first_present(item, "stars", "rating"))  # 'rating' is usually null: stars wins
    review_id = first_present(item, "reviewId")
    if review_id is None and not text and rating is None:
        return None
    published = first_present(item, "publishedAtDate")
    platform_id = (
        str(review_id)
        if review_id
        else stable_id(item.get("reviewUrl"), item.get("reviewerId") or item.get("name"), published, text)
    )
    extra: dict[str, Any] = {}
    for key, out in (("likesCount", "likes"), ("isLocalGuide", "local_guide"), ("publishAt", "relative_time")):
        if item.get(key) is not None:
            extra[out] = item[key]
    if item.get("responseFromOwnerText"):
        extra["owner_replied"] = True
    if item.get("textTranslated") and item.get("text"):
        extra["translated_text"] = item["textTranslated"]
    return base.Review(
        platform=base.Platform.GOOGLE,
        platform_id=platform_id,
        text=text,
        author=as_text(item.get("name")),
        rating=rating,
        rating_scale="1-5",
        date=utc_from_value(published),
        url=str(item.get("reviewUrl") or item.get("url") or target.canonical_url),
        language=first_present(item, "originalLanguage", "language"),
        source="apify",
        extra=extra,
    )
