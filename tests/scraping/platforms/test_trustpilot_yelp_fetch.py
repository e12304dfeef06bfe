"""Trustpilot and Yelp fetching through Apify actors (docs/platforms.md sections 7b and 9)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from scraping.platforms import trustpilot, yelp
from scraping.platforms.base import (
    AuthConfigError,
    FetchContext,
    FetchOptions,
    QuotaExhaustedError,
    SchemaDriftError,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
BASE = "https://apify.test"
TOKEN = "apify-SECRET-tp"
TP_SYNC = f"{BASE}/v2/acts/{trustpilot.DEFAULT_ACTOR}/run-sync-get-dataset-items"
YELP_SYNC = f"{BASE}/v2/acts/{yelp.DEFAULT_ACTOR}/run-sync-get-dataset-items"
RUN_URL = f"{BASE}/v2/actor-runs/HG7ML7M8z78YcAPEB"
ITEMS_URL = f"{BASE}/v2/datasets/wmKPijuyDnPZAPRMk/items"

TP_TARGET = trustpilot.parse_url(urlsplit("https://de.trustpilot.com/review/zalando.de?page=3"))
YELP_TARGET = yelp.parse_url(urlsplit("https://www.yelp.com/biz/tartine-bakery-san-francisco"))


def fixture_json(name: str):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def make_context(sleeps: list[float] | None = None, **overrides) -> FetchContext:
    values = {
        "base_urls": {"apify": BASE},
        "credentials": {"apify": TOKEN},
        "provider": "apify",
        "provider_options": {"apify_page_size": 2},
        "sleep": (sleeps if sleeps is not None else []).append,
        "max_attempts": 3,
    }
    values.update(overrides)
    return FetchContext(**values)


@pytest.mark.parametrize(("module", "target"), [(trustpilot, TP_TARGET), (yelp, YELP_TARGET)])
def test_no_apify_token_fails_fast_without_requests(respx_mock, module, target) -> None:
    with pytest.raises(AuthConfigError, match="no Apify API token is configured"):
        list(module.fetch_pages(target, FetchOptions(), make_context(credentials={"scraperapi": "x"})))
    assert respx_mock.calls.call_count == 0


# --- Trustpilot --------------------------------------------------------------------------------


def test_trustpilot_first_page_maps_items(respx_mock) -> None:
    route = respx_mock.post(TP_SYNC).respond(200, json=fixture_json("trustpilot/items.json"))

    pages = list(trustpilot.fetch_pages(TP_TARGET, FetchOptions(max_results=25), make_context()))

    [page] = pages
    assert page.cursor is None
    first, german, third = page.reviews
    assert first.platform == "trustpilot" and first.platform_id == "663a1f0e9b1c2d0012ab3401"
    assert (first.title, first.text, first.rating, first.rating_scale) == (
        "Great customer service",
        "They replaced my order without any fuss.",
        5.0,
        "1-5",
    )
    assert first.author == "Fake Shopper"  # consumer.displayName
    assert first.date == datetime(2024, 5, 7, 14, 12, tzinfo=UTC)
    assert first.url == "https://uk.trustpilot.com/reviews/663a1f0e9b1c2d0012ab3401"
    assert first.source == "apify" and first.language == "en"
    assert german.language == "de" and german.rating == 1.0
    assert third.rating == 3.0
    request = route.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    run_input = json.loads(request.content)
    assert run_input == {"startUrls": [{"url": "https://www.trustpilot.com/review/zalando.de"}], "maxItems": 25}


def test_trustpilot_paginates_dataset_offsets_to_the_end(respx_mock) -> None:
    sleeps: list[float] = []
    respx_mock.post(TP_SYNC).respond(408)
    respx_mock.post(f"{BASE}/v2/acts/{trustpilot.DEFAULT_ACTOR}/runs").respond(
        201, json=fixture_json("apify/run_started.json")
    )
    respx_mock.get(RUN_URL).respond(200, json=fixture_json("apify/run_succeeded.json"))
    items = respx_mock.get(ITEMS_URL)
    items.side_effect = [
        httpx.Response(200, json=fixture_json("apify/dataset_page1.json"), headers={"X-Apify-Pagination-Total": "3"}),
        httpx.Response(200, json=fixture_json("apify/dataset_page2.json"), headers={"X-Apify-Pagination-Total": "3"}),
    ]

    pages = list(trustpilot.fetch_pages(TP_TARGET, FetchOptions(), make_context(sleeps)))

    assert [len(page.reviews) for page in pages] == [0, 2, 1]
    assert pages[0].cursor is not None and pages[1].cursor is not None and pages[2].cursor is None
    assert [review.platform_id for page in pages for review in page.reviews] == ["tp-001", "tp-002", "tp-003"]
    assert pages[2].reviews[0].date == datetime(2024, 3, 2, 10, 0, tzinfo=UTC)  # +02:00 -> UTC
    assert pages[2].reviews[0].rating == 4.0  # "4" as a string
    assert [call.request.url.params["offset"] for call in items.calls] == ["0", "2"]
    assert sleeps == []

    # Resuming from the middle cursor reads only what is left.
    respx_mock.get(ITEMS_URL).side_effect = [
        httpx.Response(200, json=fixture_json("apify/dataset_page2.json"), headers={"X-Apify-Pagination-Total": "3"})
    ]
    resumed = list(trustpilot.fetch_pages(TP_TARGET, FetchOptions(), make_context(), cursor=pages[1].cursor))
    assert [[review.platform_id for review in page.reviews] for page in resumed] == [["tp-003"]]


def test_trustpilot_empty_result(respx_mock) -> None:
    respx_mock.post(TP_SYNC).respond(200, json=[])
    pages = list(trustpilot.fetch_pages(TP_TARGET, FetchOptions(), make_context()))
    assert [(page.reviews, page.cursor) for page in pages] == [([], None)]


def test_trustpilot_rate_limited_then_success(respx_mock) -> None:
    sleeps: list[float] = []
    route = respx_mock.post(TP_SYNC)
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "5"}),
        httpx.Response(200, json=fixture_json("trustpilot/items.json")),
    ]
    pages = list(trustpilot.fetch_pages(TP_TARGET, FetchOptions(), make_context(sleeps)))
    assert route.call_count == 2 and sleeps == [5.0]
    assert len(pages[0].reviews) == 3


@pytest.mark.parametrize(
    ("status", "body", "error_class"),
    [
        (404, {"error": {"type": "record-not-found", "message": "Actor was not found"}}, AuthConfigError),
        (
            403,
            {"error": {"type": "monthly-usage-limit-exceeded", "message": "Monthly usage hard limit exceeded"}},
            QuotaExhaustedError,
        ),
    ],
)
def test_trustpilot_permanent_errors_not_retried(respx_mock, status: int, body: dict, error_class: type) -> None:
    route = respx_mock.post(TP_SYNC).respond(status, json=body)
    with pytest.raises(error_class):
        list(trustpilot.fetch_pages(TP_TARGET, FetchOptions(), make_context()))
    assert route.call_count == 1


def test_trustpilot_items_without_review_fields_are_schema_drift(respx_mock) -> None:
    respx_mock.post(TP_SYNC).respond(200, json=fixture_json("trustpilot/items_not_reviews.json"))
    with pytest.raises(SchemaDriftError, match="none of the 1 provider items"):
        list(trustpilot.fetch_pages(TP_TARGET, FetchOptions(), make_context()))


def test_trustpilot_non_object_items_are_schema_drift(respx_mock) -> None:
    respx_mock.post(TP_SYNC).respond(200, json=["just a string"])
    with pytest.raises(SchemaDriftError, match="where a review object was expected"):
        list(trustpilot.fetch_pages(TP_TARGET, FetchOptions(), make_context()))


def test_trustpilot_configured_actor_and_input_override(respx_mock) -> None:
    route = respx_mock.post(f"{BASE}/v2/acts/me~tp-actor/run-sync-get-dataset-items").respond(200, json=[])
    context = make_context(
        actors={"trustpilot": "me~tp-actor"},
        provider_options={
            "actor_input": {"trustpilot": {"startUrls": ["https://www.trustpilot.com/review/zalando.de"]}}
        },
    )
    list(trustpilot.fetch_pages(TP_TARGET, FetchOptions(language="de"), context))
    run_input = json.loads(route.calls.last.request.content)
    assert run_input["startUrls"] == ["https://www.trustpilot.com/review/zalando.de"]
    assert run_input["languages"] == ["de"]


# --- Yelp --------------------------------------------------------------------------------------


def test_yelp_flattens_nested_business_reviews(respx_mock) -> None:
    route = respx_mock.post(YELP_SYNC).respond(200, json=fixture_json("yelp/business_items.json"))

    [page] = yelp.fetch_pages(YELP_TARGET, FetchOptions(max_results=30), make_context())

    assert [review.platform_id for review in page.reviews] == ["yelp-rev-0001", "yelp-rev-0002", "yelp-rev-0003"]
    first = page.reviews[0]
    assert (first.platform, first.rating, first.rating_scale, first.author) == ("yelp", 5.0, "1-5", "Fake F.")
    assert first.text == "Morning bun is worth the line."
    assert first.date == datetime(2024, 3, 9, tzinfo=UTC)
    assert first.url.endswith("hrid=yelp-rev-0001")
    assert page.reviews[1].url == "https://www.yelp.com/biz/tartine-bakery-san-francisco"  # falls back to the target
    assert json.loads(route.calls.last.request.content) == {
        "directUrls": ["https://www.yelp.com/biz/tartine-bakery-san-francisco"],
        "reviewLimit": 30,
    }


def test_yelp_max_results_and_date_window(respx_mock) -> None:
    respx_mock.post(YELP_SYNC).respond(200, json=fixture_json("yelp/business_items.json"))
    options = FetchOptions(max_results=1, date_to=datetime(2024, 3, 1, tzinfo=UTC))
    [page] = yelp.fetch_pages(YELP_TARGET, options, make_context())
    assert [review.platform_id for review in page.reviews] == ["yelp-rev-0002"]
    assert page.cursor is None


def test_yelp_business_without_reviews_is_empty(respx_mock) -> None:
    respx_mock.post(YELP_SYNC).respond(200, json=fixture_json("yelp/business_no_reviews.json"))
    pages = list(yelp.fetch_pages(YELP_TARGET, FetchOptions(), make_context()))
    assert [(page.reviews, page.cursor) for page in pages] == [([], None)]


def test_yelp_rate_limited_then_success(respx_mock) -> None:
    sleeps: list[float] = []
    route = respx_mock.post(YELP_SYNC)
    route.side_effect = [
        httpx.Response(503),
        httpx.Response(200, json=fixture_json("yelp/business_items.json")),
    ]
    pages = list(yelp.fetch_pages(YELP_TARGET, FetchOptions(), make_context(sleeps)))
    assert route.call_count == 2 and len(sleeps) == 1
    assert len(pages[0].reviews) == 3


def test_yelp_invalid_token_is_auth_config_and_not_retried(respx_mock) -> None:
    route = respx_mock.post(YELP_SYNC).respond(401, json=fixture_json("apify/error_token_invalid.json"))
    with pytest.raises(AuthConfigError) as excinfo:
        list(yelp.fetch_pages(YELP_TARGET, FetchOptions(), make_context()))
    assert route.call_count == 1
    assert TOKEN not in str(excinfo.value)


def test_yelp_malformed_answer_is_schema_drift(respx_mock) -> None:
    respx_mock.post(YELP_SYNC).respond(200, json={"data": "not a list"})
    with pytest.raises(SchemaDriftError, match="expected a JSON array"):
        list(yelp.fetch_pages(YELP_TARGET, FetchOptions(), make_context()))
