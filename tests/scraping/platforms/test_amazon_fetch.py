"""Amazon product-page fetching (direct and ScraperAPI), block detection, parsing and the Apify path
(docs/platforms.md sections 7.2, 8, 9)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from scraping.platforms import amazon
from scraping.platforms.base import (
    AuthConfigError,
    BlockedError,
    FetchContext,
    FetchError,
    FetchOptions,
    NotFoundError,
    QuotaExhaustedError,
    SchemaDriftError,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
US_PAGE_URL = "https://amazon-us.test/dp/B0CWXNS552"
SCRAPERAPI = "https://scraperapi.test/"
SCRAPER_KEY = "scraper-key-SECRET"


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def make_context(sleeps: list[float] | None = None, **overrides) -> FetchContext:
    values = {
        "base_urls": {"amazon_us": "https://amazon-us.test", "scraperapi": SCRAPERAPI, "apify": "https://apify.test"},
        "credentials": {"scraperapi": SCRAPER_KEY},
        "sleep": (sleeps if sleeps is not None else []).append,
        "max_attempts": 3,
    }
    values.update(overrides)
    return FetchContext(**values)


def target_for(url: str):
    return amazon.parse_url(urlsplit(url))


US_TARGET = target_for("https://www.amazon.com/dp/B0CWXNS552")
DE_TARGET = target_for("https://www.amazon.de/dp/B0FQP6YQJG")


def test_direct_first_page_parses_every_card(respx_mock) -> None:
    route = respx_mock.get(US_PAGE_URL).respond(200, html=fixture_text("amazon/product_us.html"))

    pages = list(amazon.fetch_pages(US_TARGET, FetchOptions(), make_context()))

    [page] = pages
    assert page.cursor is None and page.requests_made == 1
    assert page.target_info == {"title": "Apple AirTag 4 Pack", "rating": 4.7, "review_count": 21345}
    assert [review.platform_id for review in page.reviews] == ["R2ABCDEF123456", "R1QWERTYUIOP12", "R3OTHERCOUNTRY9"]
    first, second, foreign = page.reviews
    assert first.title == "Found my keys in seconds"
    assert first.text == "Setup took one tap on my iPhone. Precision finding works through two walls."
    assert "Read more" not in first.text
    assert (first.author, first.rating, first.rating_scale) == ("Jane D.", 5.0, "1-5")
    assert first.date == datetime(2024, 1, 5, tzinfo=UTC)
    assert first.url == "https://www.amazon.com/gp/customer-reviews/R2ABCDEF123456/"
    assert first.source == "html"
    assert first.extra == {
        "date_raw": "Reviewed in the United States on January 5, 2024",
        "verified": True,
        "helpful_votes": 1234,
        "variant": "Style: 4 Pack",
    }
    assert (second.rating, second.extra["helpful_votes"], second.extra["verified"]) == (2.0, 1, False)
    # "From other countries" cards: original text, not the hidden translation.
    assert (foreign.title, foreign.text, foreign.rating) == ("Muy útil", "Lo uso en la maleta.", 4.0)
    assert foreign.date == datetime(2024, 2, 3, tzinfo=UTC)
    request = route.calls.last.request
    assert request.headers["Accept-Language"].startswith("en-US")
    assert request.headers["User-Agent"] == FetchContext().user_agent


def test_scraperapi_fetches_the_marketplace_page_with_its_country(respx_mock) -> None:
    route = respx_mock.get(SCRAPERAPI).respond(200, html=fixture_text("amazon/product_de.html"))

    pages = list(amazon.fetch_pages(DE_TARGET, FetchOptions(), make_context(provider="scraperapi")))

    params = route.calls.last.request.url.params
    assert params["url"] == "https://www.amazon.de/dp/B0FQP6YQJG"
    assert params["country_code"] == "de"
    assert params["api_key"] == SCRAPER_KEY
    assert "render" not in params and "premium" not in params
    german, broken = pages[0].reviews
    assert german.platform_id == "R3DEUTSCH12345"  # "customer_review-" prefix stripped
    assert german.rating == 4.5  # "4,5 von 5 Sternen"
    assert german.date == datetime(2024, 1, 5, tzinfo=UTC)  # "vom 5. Januar 2024"
    assert german.title == "Guter Klang, mäßiger Akku"
    assert german.source == "scraperapi"
    assert german.extra["helpful_votes"] == 12 and german.extra["verified"] is True
    assert german.url == "https://www.amazon.de/gp/customer-reviews/R3DEUTSCH12345/"
    assert (broken.rating, broken.date) == (1.0, datetime(2024, 3, 28, tzinfo=UTC))  # "am 28. März 2024"


def test_scraperapi_render_and_premium_come_from_provider_options(respx_mock) -> None:
    route = respx_mock.get(SCRAPERAPI).respond(200, html=fixture_text("amazon/product_us.html"))
    context = make_context(provider="scraperapi", provider_options={"render": True, "premium": True})
    list(amazon.fetch_pages(US_TARGET, FetchOptions(), context))
    params = route.calls.last.request.url.params
    assert (params["render"], params["premium"], params["country_code"]) == ("true", "true", "us")


def test_japanese_page_reads_scale_first_rating_and_kanji_date() -> None:
    target = target_for("https://www.amazon.co.jp/dp/4088820401")
    [review] = amazon.parse_product_page(fixture_text("amazon/product_jp.html"), target, source="html")
    assert (review.rating, review.title, review.text) == (4.0, "面白い", "続きが楽しみです。")
    assert review.date == datetime(2024, 1, 5, tzinfo=UTC)


def test_product_without_reviews_is_an_empty_last_page(respx_mock) -> None:
    respx_mock.get(US_PAGE_URL).respond(200, html=fixture_text("amazon/product_no_reviews.html"))
    pages = list(amazon.fetch_pages(US_TARGET, FetchOptions(), make_context()))
    assert [(page.reviews, page.cursor) for page in pages] == [([], None)]


def test_sign_in_wall_is_blocked_and_asks_for_a_provider(respx_mock) -> None:
    route = respx_mock.get(US_PAGE_URL).respond(200, html=fixture_text("amazon/signin.html"))
    with pytest.raises(BlockedError) as excinfo:
        list(amazon.fetch_pages(US_TARGET, FetchOptions(), make_context()))
    assert route.call_count == 1
    assert "login wall" in excinfo.value.message and "provider" in excinfo.value.message
    assert "sign-in page" in excinfo.value.message


def test_redirect_to_sign_in_is_blocked(respx_mock) -> None:
    respx_mock.get(US_PAGE_URL).respond(302, headers={"Location": "https://amazon-us.test/ap/signin?openid=x"})
    respx_mock.get("https://amazon-us.test/ap/signin").respond(200, html="<html><body>Welcome</body></html>")
    with pytest.raises(BlockedError, match="login wall"):
        list(amazon.fetch_pages(US_TARGET, FetchOptions(), make_context()))


def test_captcha_through_scraperapi_200_is_blocked(respx_mock) -> None:
    respx_mock.get(SCRAPERAPI).respond(200, html=fixture_text("amazon/captcha.html"))
    with pytest.raises(BlockedError, match="captcha"):
        list(amazon.fetch_pages(US_TARGET, FetchOptions(), make_context(provider="scraperapi")))


def test_direct_503_is_a_block_and_not_retried(respx_mock) -> None:
    sleeps: list[float] = []
    route = respx_mock.get(US_PAGE_URL).respond(503, html="<html>Service Unavailable</html>")
    with pytest.raises(BlockedError) as excinfo:
        list(amazon.fetch_pages(US_TARGET, FetchOptions(), make_context(sleeps)))
    assert route.call_count == 1 and sleeps == []
    assert excinfo.value.status_code == 503 and excinfo.value.retryable is False


def test_direct_404_is_not_found_and_not_retried(respx_mock) -> None:
    route = respx_mock.get(US_PAGE_URL).respond(404, html="<html>Page Not Found</html>")
    with pytest.raises(NotFoundError, match="no product B0CWXNS552 on amazon.com"):
        list(amazon.fetch_pages(US_TARGET, FetchOptions(), make_context()))
    assert route.call_count == 1


def test_scraperapi_404_is_reported_as_missing_product(respx_mock) -> None:
    route = respx_mock.get(SCRAPERAPI).respond(404, text="Not Found")
    with pytest.raises(NotFoundError, match="no product B0CWXNS552"):
        list(amazon.fetch_pages(US_TARGET, FetchOptions(), make_context(provider="scraperapi")))
    assert route.call_count == 1


def test_scraperapi_rate_limited_then_success(respx_mock) -> None:
    sleeps: list[float] = []
    route = respx_mock.get(SCRAPERAPI)
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "3"}, text="Too many concurrent requests"),
        httpx.Response(500, text=fixture_text("scraperapi/error_500.txt")),
        httpx.Response(200, html=fixture_text("amazon/product_us.html")),
    ]
    pages = list(amazon.fetch_pages(US_TARGET, FetchOptions(), make_context(sleeps, provider="scraperapi")))
    assert route.call_count == 3
    assert sleeps[0] == 3.0 and len(sleeps) == 2
    assert len(pages[0].reviews) == 3


def test_scraperapi_credits_exhausted_is_quota_and_not_retried(respx_mock) -> None:
    route = respx_mock.get(SCRAPERAPI).respond(403, text=fixture_text("scraperapi/error_403.txt"))
    with pytest.raises(QuotaExhaustedError) as excinfo:
        list(amazon.fetch_pages(US_TARGET, FetchOptions(), make_context(provider="scraperapi")))
    assert route.call_count == 1
    assert SCRAPER_KEY not in str(excinfo.value)


def test_scraperapi_without_key_fails_fast(respx_mock) -> None:
    with pytest.raises(AuthConfigError, match="no ScraperAPI key"):
        list(amazon.fetch_pages(US_TARGET, FetchOptions(), make_context(provider="scraperapi", credentials={})))
    assert respx_mock.calls.call_count == 0


def test_changed_layout_is_schema_drift(respx_mock) -> None:
    respx_mock.get(US_PAGE_URL).respond(200, html=fixture_text("amazon/product_changed_layout.html"))
    with pytest.raises(SchemaDriftError, match="layout may have changed"):
        list(amazon.fetch_pages(US_TARGET, FetchOptions(), make_context()))


def test_nav_bar_sign_in_link_is_not_a_wall(respx_mock) -> None:
    # product_us.html carries the usual "Hello, sign in" nav link to /ap/signin.
    assert "/ap/signin" in fixture_text("amazon/product_us.html")
    respx_mock.get(US_PAGE_URL).respond(200, html=fixture_text("amazon/product_us.html"))
    assert len(list(amazon.fetch_pages(US_TARGET, FetchOptions(), make_context()))[0].reviews) == 3


def test_date_window_and_max_results(respx_mock) -> None:
    respx_mock.get(US_PAGE_URL).respond(200, html=fixture_text("amazon/product_us.html"))
    options = FetchOptions(date_from=datetime(2024, 2, 1, tzinfo=UTC), max_results=1)
    [page] = amazon.fetch_pages(US_TARGET, options, make_context())
    assert [review.platform_id for review in page.reviews] == ["R1QWERTYUIOP12"]


def test_default_product_url_uses_the_marketplace_domain() -> None:
    assert amazon.product_url(DE_TARGET, FetchContext()) == "https://www.amazon.de/dp/B0FQP6YQJG"
    assert amazon.product_url(US_TARGET, make_context()) == US_PAGE_URL


def test_short_link_must_be_resolved_first() -> None:
    with pytest.raises(FetchError, match="resolved"):
        list(amazon.fetch_pages(target_for("https://amzn.to/3xYzAbC"), FetchOptions(), make_context()))


# --- Apify (full history) ----------------------------------------------------------------------

SYNC_URL = "https://apify.test/v2/acts/junglee~amazon-reviews-scraper/run-sync-get-dataset-items"


def test_apify_path_maps_junglee_items(respx_mock) -> None:
    items = json.loads(fixture_text("apify/junglee_items.json"))
    route = respx_mock.post(SYNC_URL).respond(200, json=items)
    context = make_context(provider="apify", credentials={"apify": "apify-token"})

    [page] = amazon.fetch_pages(US_TARGET, FetchOptions(max_results=20), context)

    run_input = json.loads(route.calls.last.request.content)
    assert run_input == {
        "productUrls": [{"url": "https://www.amazon.com/dp/B0CWXNS552"}],
        "maxReviews": 20,
        "sort": "recent",
    }
    english, german = page.reviews
    assert (english.platform_id, english.title, english.rating) == ("R2JUNGLEE00001", "Works as advertised", 5.0)
    assert english.date == datetime(2024, 4, 2, tzinfo=UTC)
    assert english.author == "Fake Reviewer" and english.extra["verified"] is True and english.source == "apify"
    assert german.rating == 2.0  # "2,0"
    assert german.date == datetime(2024, 3, 12, tzinfo=UTC)  # from "vom 12. März 2024"
    assert german.url == "https://www.amazon.de/gp/customer-reviews/R2JUNGLEE00002"


def test_apify_input_overrides_from_provider_options(respx_mock) -> None:
    route = respx_mock.post(SYNC_URL).respond(200, json=[])
    context = make_context(
        provider="apify",
        credentials={"apify": "apify-token"},
        provider_options={"actor_input": {"amazon": {"sort": "helpful", "includeGdprSensitive": True}}},
    )
    pages = list(amazon.fetch_pages(US_TARGET, FetchOptions(), context))
    assert [(page.reviews, page.cursor) for page in pages] == [([], None)]
    run_input = json.loads(route.calls.last.request.content)
    assert run_input["sort"] == "helpful" and run_input["includeGdprSensitive"] is True
