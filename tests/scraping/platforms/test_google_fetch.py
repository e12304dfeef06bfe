"""Google Places (New) Place Details fetching and the Apify path (docs/platforms.md sections 6.2, 6.3, 9)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from scraping.platforms import google
from scraping.platforms.base import (
    AuthConfigError,
    FetchContext,
    FetchError,
    FetchOptions,
    NotFoundError,
    SchemaDriftError,
    TransientError,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PLACES = "https://places.test"
PLACE_ID = "ChIJN1t_tDeuEmsRUsoyG83frY4"
DETAILS_URL = f"{PLACES}/v1/places/{PLACE_ID}"
API_KEY = "g-key-SECRET-123"


def fixture_json(name: str):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def make_context(sleeps: list[float] | None = None, **overrides) -> FetchContext:
    values = {
        "base_urls": {"google_places": PLACES, "apify": "https://apify.test"},
        "credentials": {"google": API_KEY},
        "sleep": (sleeps if sleeps is not None else []).append,
        "max_attempts": 3,
    }
    values.update(overrides)
    return FetchContext(**values)


def target_for(url: str):
    return google.parse_url(urlsplit(url))


PLACE_TARGET = target_for(f"https://www.google.com/maps/place/?q=place_id:{PLACE_ID}")


def test_first_page_maps_reviews_and_sends_key_and_field_mask(respx_mock) -> None:
    route = respx_mock.get(DETAILS_URL).respond(200, json=fixture_json("google/place_details_two_reviews.json"))

    pages = list(google.fetch_pages(PLACE_TARGET, FetchOptions(language="en"), make_context()))

    assert len(pages) == 1
    page = pages[0]
    assert page.cursor is None and page.requests_made == 1
    assert page.target_info == {
        "place_id": PLACE_ID,
        "name": "Google Workplace 6",
        "rating": 4.2,
        "review_count": 1021,
        "maps_url": "https://maps.google.com/?cid=10281119596374313554",
    }
    first, second = page.reviews
    assert first.platform == "google"
    assert first.platform_id == f"places/{PLACE_ID}/reviews/ChZDSUhNMG9nS0VJQ0FnSURENnFxLUlnEAE"
    assert first.text == "Great office, friendly security staff."
    assert first.author == "Alex Example"
    assert first.rating == 5.0 and isinstance(first.rating, float) and first.rating_scale == "1-5"
    assert first.date == datetime(2024, 3, 14, 9, 30, 12, 345678, tzinfo=UTC)
    assert first.language == "en" and first.source == "official_api"
    assert first.extra == {"relative_time": "2 months ago"}
    # The translated review keeps the original text and language; the translation goes to extra.
    assert second.text == "Die Lobby ist schön, aber Parken ist schwierig."
    assert second.language == "de"
    assert second.extra["translated_text"] == "The lobby is nice but parking is hard."
    assert second.date == datetime(2023, 2, 1, 17, 5, tzinfo=UTC)  # +01:00 converted to UTC
    assert second.url.startswith("https://www.google.com/maps/reviews/")
    request = route.calls.last.request
    assert request.headers["X-Goog-Api-Key"] == API_KEY
    assert request.headers["X-Goog-FieldMask"] == "id,displayName,rating,userRatingCount,googleMapsUri,reviews"
    assert request.url.params["languageCode"] == "en"


def test_default_base_url_is_the_places_api(respx_mock) -> None:
    route = respx_mock.get(f"https://places.googleapis.com/v1/places/{PLACE_ID}").respond(
        200, json=fixture_json("google/place_details_no_reviews.json")
    )
    context = FetchContext(credentials={"google": API_KEY}, sleep=[].append)
    pages = list(google.fetch_pages(PLACE_TARGET, FetchOptions(), context))
    assert route.call_count == 1
    assert pages[0].reviews == []


def test_place_without_reviews_is_an_empty_last_page(respx_mock) -> None:
    respx_mock.get(DETAILS_URL).respond(200, json=fixture_json("google/place_details_no_reviews.json"))
    pages = list(google.fetch_pages(PLACE_TARGET, FetchOptions(), make_context()))
    assert [(page.reviews, page.cursor) for page in pages] == [([], None)]


def test_rate_limited_then_success_honours_retry_after(respx_mock) -> None:
    sleeps: list[float] = []
    route = respx_mock.get(DETAILS_URL)
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "7"}, json=fixture_json("google/error_resource_exhausted.json")),
        httpx.Response(200, json=fixture_json("google/place_details_two_reviews.json")),
    ]
    pages = list(google.fetch_pages(PLACE_TARGET, FetchOptions(), make_context(sleeps)))
    assert route.call_count == 2
    assert sleeps == [7.0]
    assert len(pages[0].reviews) == 2


def test_rate_limit_that_never_clears_is_transient(respx_mock) -> None:
    route = respx_mock.get(DETAILS_URL).respond(429, json=fixture_json("google/error_resource_exhausted.json"))
    with pytest.raises(TransientError) as excinfo:
        list(google.fetch_pages(PLACE_TARGET, FetchOptions(), make_context()))
    assert route.call_count == 3  # context.max_attempts
    assert excinfo.value.retryable is True


@pytest.mark.parametrize(
    ("status", "fixture", "error_class", "message_part"),
    [
        (404, "google/error_not_found.json", NotFoundError, "no place with this id"),
        (400, "google/error_invalid_argument.json", NotFoundError, "invalid"),
        (400, "google/error_api_key_invalid.json", AuthConfigError, "Places API key"),
        (403, "google/error_permission_denied.json", AuthConfigError, "enable Places API (New)"),
    ],
)
def test_permanent_errors_are_classified_and_not_retried(
    respx_mock, status: int, fixture: str, error_class: type, message_part: str
) -> None:
    sleeps: list[float] = []
    route = respx_mock.get(DETAILS_URL).respond(status, json=fixture_json(fixture))
    with pytest.raises(error_class) as excinfo:
        list(google.fetch_pages(PLACE_TARGET, FetchOptions(), make_context(sleeps)))
    assert route.call_count == 1
    assert sleeps == []
    assert excinfo.value.retryable is False
    assert excinfo.value.status_code == status
    assert message_part in excinfo.value.message
    assert API_KEY not in str(excinfo.value)


def test_malformed_reviews_field_is_schema_drift(respx_mock) -> None:
    respx_mock.get(DETAILS_URL).respond(200, json=fixture_json("google/place_details_malformed.json"))
    with pytest.raises(SchemaDriftError, match="'reviews' is not a list"):
        list(google.fetch_pages(PLACE_TARGET, FetchOptions(), make_context()))


def test_html_instead_of_json_is_schema_drift(respx_mock) -> None:
    respx_mock.get(DETAILS_URL).respond(200, text="<html>Sorry...</html>", headers={"Content-Type": "text/html"})
    with pytest.raises(SchemaDriftError, match="expected JSON"):
        list(google.fetch_pages(PLACE_TARGET, FetchOptions(), make_context()))


def test_review_without_name_is_schema_drift(respx_mock) -> None:
    payload = fixture_json("google/place_details_two_reviews.json")
    del payload["reviews"][0]["name"]
    respx_mock.get(DETAILS_URL).respond(200, json=payload)
    with pytest.raises(SchemaDriftError, match="without 'name'"):
        list(google.fetch_pages(PLACE_TARGET, FetchOptions(), make_context()))


def test_missing_key_fails_fast_without_requests(respx_mock) -> None:
    with pytest.raises(AuthConfigError, match="No Google Places API key"):
        list(google.fetch_pages(PLACE_TARGET, FetchOptions(), make_context(credentials={})))
    assert respx_mock.calls.call_count == 0


def test_date_window_and_max_results_filter_reviews(respx_mock) -> None:
    respx_mock.get(DETAILS_URL).respond(200, json=fixture_json("google/place_details_two_reviews.json"))
    options = FetchOptions(date_from=datetime(2024, 1, 1, tzinfo=UTC))
    pages = list(google.fetch_pages(PLACE_TARGET, options, make_context()))
    assert [review.author for review in pages[0].reviews] == ["Alex Example"]


def test_cid_with_name_is_resolved_through_text_search(respx_mock) -> None:
    target = target_for(
        "https://www.google.com/maps/place/Joe's+Pizza/data=!4m6!3m5!1s0x0:0x6cc8dba851799f09!8m2!3d40.7305!4d-74.0021"
    )
    assert target.platform_data["cid"] == "7838756667406262025" and "place_id" not in target.platform_data
    search = respx_mock.post(f"{PLACES}/v1/places:searchText").respond(
        200, json=fixture_json("google/text_search_cid.json")
    )
    details = respx_mock.get(f"{PLACES}/v1/places/ChIJrightcandidate0000000").respond(
        200, json=fixture_json("google/place_details_two_reviews.json")
    )
    pages = list(google.fetch_pages(target, FetchOptions(), make_context()))
    body = json.loads(search.calls.last.request.content)
    assert body["textQuery"] == "Joe's Pizza"
    assert body["locationBias"]["circle"]["center"] == {"latitude": 40.7305, "longitude": -74.0021}
    assert search.calls.last.request.headers["X-Goog-FieldMask"] == "places.id,places.displayName,places.googleMapsUri"
    assert details.call_count == 1
    assert pages[0].requests_made == 2
    assert len(pages[0].reviews) == 2


def test_bare_cid_cannot_use_the_official_api(respx_mock) -> None:
    target = target_for("https://maps.google.com/?cid=17052420744237416180")
    with pytest.raises(NotFoundError, match="only a CID"):
        list(google.fetch_pages(target, FetchOptions(), make_context()))
    assert respx_mock.calls.call_count == 0


def test_derived_place_id_that_google_rejects_falls_back_to_text_search(respx_mock) -> None:
    target = target_for(
        "https://www.google.com/maps/place/Joe's+Pizza/data=!4m6!3m5!1s0x89b7b7bcdecbb1df:0x6cc8dba851799f09"
        "!8m2!3d40.7305!4d-74.0021"
    )
    assert target.platform_data["place_id_derived"] is True
    derived = respx_mock.get(f"{PLACES}/v1/places/{target.platform_data['place_id']}").respond(
        404, json=fixture_json("google/error_not_found.json")
    )
    respx_mock.post(f"{PLACES}/v1/places:searchText").respond(200, json=fixture_json("google/text_search_cid.json"))
    respx_mock.get(f"{PLACES}/v1/places/ChIJrightcandidate0000000").respond(
        200, json=fixture_json("google/place_details_no_reviews.json")
    )
    pages = list(google.fetch_pages(target, FetchOptions(), make_context()))
    assert derived.call_count == 1
    assert pages[0].requests_made == 3


def test_short_link_must_be_resolved_first() -> None:
    target = target_for("https://maps.app.goo.gl/Tz1mH3K6bqVZyQ8X7")
    with pytest.raises(FetchError, match="resolved"):
        list(google.fetch_pages(target, FetchOptions(), make_context()))


# --- Apify (full history) ----------------------------------------------------------------------

SYNC_URL = "https://apify.test/v2/acts/compass~google-maps-reviews-scraper/run-sync-get-dataset-items"


def test_apify_path_runs_the_compass_actor_and_maps_items(respx_mock) -> None:
    route = respx_mock.post(SYNC_URL).respond(200, json=fixture_json("apify/compass_items.json"))
    context = make_context(provider="apify", credentials={"apify": "apify-token-XYZ"})
    target = target_for(
        "https://www.google.com/maps/place/Good+Thanks+Cafe/data=!4m7!3m6!1s0x89c259a31b639d95:0x90a673b3e3ed8540"
        "!19sChIJlZ1jG6NZwokRQIXt47NzppA"
    )
    pages = list(google.fetch_pages(target, FetchOptions(max_results=50), context))

    request = route.calls.last.request
    assert request.headers["Authorization"] == "Bearer apify-token-XYZ"
    assert "apify-token-XYZ" not in str(request.url)
    run_input = json.loads(request.content)
    assert run_input["placeIds"] == ["ChIJlZ1jG6NZwokRQIXt47NzppA"]
    assert run_input["maxReviews"] == 50 and run_input["personalData"] is True
    assert request.url.params["maxItems"] == "50"
    [page] = pages
    assert page.cursor is None
    assert page.target_info == {
        "place_id": "ChIJlZ1jG6NZwokRQIXt47NzppA",
        "name": "Good Thanks Cafe",
        "rating": 4.6,
        "review_count": 812,
    }
    first, translated, rating_only = page.reviews
    assert first.platform_id == "ChZDSUhNMG9nS0VJQ0FnSUNfaXNxVkNnEAE"
    assert first.rating == 5.0 and first.author == "Casey Fake" and first.source == "apify"
    assert first.date == datetime(2024, 4, 2, 11, 22, 33, tzinfo=UTC)
    assert first.extra == {"likes": 3, "local_guide": True, "relative_time": "3 weeks ago", "owner_replied": True}
    assert translated.text == "Trop bruyant le week-end." and translated.language == "fr"
    assert translated.extra["translated_text"] == "Too noisy on weekends."
    # No reviewId (personal data off): a stable synthetic id keeps upserts idempotent.
    assert rating_only.platform_id.startswith("h:") and rating_only.rating == 4.0 and rating_only.text == ""
    again = list(google.fetch_pages(target, FetchOptions(max_results=50), context))
    assert again[0].reviews[2].platform_id == rating_only.platform_id


def test_apify_path_uses_the_configured_actor_and_cid_url(respx_mock) -> None:
    route = respx_mock.post("https://apify.test/v2/acts/someone~maps-reviews/run-sync-get-dataset-items").respond(
        200, json=[]
    )
    context = make_context(provider="apify", credentials={"apify": "t"}, actors={"google": "someone~maps-reviews"})
    pages = list(
        google.fetch_pages(target_for("https://maps.google.com/?cid=17052420744237416180"), FetchOptions(), context)
    )
    assert [(page.reviews, page.cursor) for page in pages] == [([], None)]
    assert json.loads(route.calls.last.request.content)["startUrls"] == [
        {"url": "https://www.google.com/maps?cid=17052420744237416180"}
    ]


def test_apify_path_without_token_fails_fast(respx_mock) -> None:
    with pytest.raises(AuthConfigError, match="no Apify API token"):
        list(google.fetch_pages(PLACE_TARGET, FetchOptions(), make_context(provider="apify", credentials={})))
    assert respx_mock.calls.call_count == 0
