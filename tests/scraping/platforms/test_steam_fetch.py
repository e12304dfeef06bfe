"""Steam appreviews walk against hand-made fixtures (docs/platforms.md section 3.2)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from scraping.platforms import steam
from scraping.platforms.base import (
    BlockedError,
    FetchContext,
    FetchOptions,
    NotFoundError,
    ParsedTarget,
    SchemaDriftError,
    TransientError,
)
from scraping.platforms.urls import parse_target_url

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "steam"
URL = "https://store.steampowered.com/appreviews/730"
PAGE1_CURSOR = "AoIIPwYYan/HzbUB+x=="
PAGE2_CURSOR = "AoIIPw3rZ2+kfTUC"

# Every registered route must be used and every request must hit a route.
pytestmark = pytest.mark.respx(assert_all_called=True, assert_all_mocked=True)
TARGET = ParsedTarget(
    platform="steam",
    detected_type="game",
    canonical_url="https://store.steampowered.com/app/730/",
    platform_data={"app_id": 730},
)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def context(sleeps: list[float]) -> FetchContext:
    return FetchContext(sleep=sleeps.append)


def ok(name: str) -> httpx.Response:
    return httpx.Response(200, json=fixture(name))


def test_first_page_is_normalized(respx_mock, context) -> None:
    route = respx_mock.get(URL).mock(side_effect=[ok("appreviews_730_page1.json")])
    pages = steam.fetch_pages(TARGET, FetchOptions(max_results=500), context)
    page = next(pages)

    params = route.calls[0].request.url.params
    assert dict(params) == {
        "json": "1",
        "filter": "recent",
        "language": "all",
        "review_type": "all",
        "purchase_type": "all",
        "num_per_page": "100",
        "cursor": "*",
    }
    assert page.cursor == PAGE1_CURSOR
    assert page.requests_made == 1
    assert page.target_info == {
        "total_reviews": 8363763,
        "total_positive": 7313542,
        "total_negative": 1050221,
        "review_score": 8,
        "review_score_desc": "Very Positive",
    }
    assert [r.platform_id for r in page.reviews] == ["171234567", "171230001", "171200042"]
    first, second, third = page.reviews
    assert first.platform == "steam"
    assert first.text == 'Still the best competitive shooter. Matchmaking is "fine" now\nand the new maps are great.'
    assert first.title == ""
    assert first.author == "76561198000000001"
    assert first.rating == 1.0
    assert first.rating_scale == "binary"
    assert first.date == datetime(2024, 5, 29, 16, 26, 40, tzinfo=UTC)
    assert first.url == "https://steamcommunity.com/profiles/76561198000000001/recommended/730/"
    assert first.language == "english"
    assert first.source == "official_api"
    assert first.extra["votes_up"] == 12
    assert first.extra["weighted_vote_score"] == pytest.approx(0.603448271751403809)
    assert first.extra["playtime_at_review"] == 52980
    assert "developer_response" not in first.extra
    # weighted_vote_score as the number 0, a negative review, a gift.
    assert second.rating == 0.0
    assert second.text == "外挂太多了"
    assert second.language == "schinese"
    assert second.extra["weighted_vote_score"] == 0.0
    assert second.extra["received_for_free"] is True
    assert third.extra["developer_response"].startswith("Thanks for the report")
    pages.close()


def test_walks_every_page_and_percent_encodes_the_cursor(respx_mock, context) -> None:
    route = respx_mock.get(URL).mock(
        side_effect=[
            ok("appreviews_730_page1.json"),
            ok("appreviews_730_page2.json"),
            ok("appreviews_730_last_empty.json"),
        ]
    )
    pages = list(steam.fetch_pages(TARGET, FetchOptions(max_results=500), context))

    assert route.call_count == 3
    sent = [call.request.url for call in route.calls]
    assert [url.params["cursor"] for url in sent] == ["*", PAGE1_CURSOR, PAGE2_CURSOR]
    assert "cursor=AoIIPwYYan%2FHzbUB%2Bx%3D%3D" in str(sent[1])  # "/", "+", "=" must be encoded
    assert [page.cursor for page in pages] == [PAGE1_CURSOR, PAGE2_CURSOR, None]
    assert [len(page.reviews) for page in pages] == [3, 2, 0]
    assert [r.platform_id for r in pages[1].reviews] == ["171100007", "171000500"]
    assert pages[1].target_info == {}  # later pages carry no full summary
    assert pages[1].reviews[0].extra["weighted_vote_score"] == pytest.approx(0.52173912525177002)


def test_a_repeated_cursor_ends_the_walk(respx_mock, context) -> None:
    repeated = fixture("appreviews_730_page2.json") | {"cursor": PAGE1_CURSOR}
    route = respx_mock.get(URL).mock(side_effect=[ok("appreviews_730_page1.json"), httpx.Response(200, json=repeated)])
    pages = list(steam.fetch_pages(TARGET, FetchOptions(max_results=500), context))
    assert route.call_count == 2
    assert [page.cursor for page in pages] == [PAGE1_CURSOR, None]
    assert len(pages[1].reviews) == 2


def test_a_page_of_already_seen_reviews_ends_the_walk(respx_mock, context) -> None:
    same_again = fixture("appreviews_730_page1.json") | {"cursor": "AoIIPzzzzz"}
    route = respx_mock.get(URL).mock(
        side_effect=[ok("appreviews_730_page1.json"), httpx.Response(200, json=same_again)]
    )
    pages = list(steam.fetch_pages(TARGET, FetchOptions(max_results=500), context))
    assert route.call_count == 2
    assert [len(page.reviews) for page in pages] == [3, 0]
    assert pages[-1].cursor is None


def test_a_short_page_does_not_end_the_walk(respx_mock, context) -> None:
    # Page 2 holds fewer than num_per_page reviews; only the empty page ends it.
    route = respx_mock.get(URL).mock(
        side_effect=[ok("appreviews_730_page2.json"), ok("appreviews_730_last_empty.json")]
    )
    pages = list(steam.fetch_pages(TARGET, FetchOptions(max_results=500), context, cursor=PAGE1_CURSOR))
    assert route.call_count == 2
    assert route.calls[0].request.url.params["cursor"] == PAGE1_CURSOR
    assert [page.cursor for page in pages] == [PAGE2_CURSOR, None]


def test_empty_result(respx_mock, context) -> None:
    route = respx_mock.get(URL).mock(side_effect=[ok("appreviews_no_reviews.json")])
    pages = list(steam.fetch_pages(TARGET, FetchOptions(), context))
    assert route.call_count == 1
    assert len(pages) == 1
    assert pages[0].reviews == []
    assert pages[0].cursor is None
    assert pages[0].target_info["total_reviews"] == 0
    assert pages[0].target_info["review_score_desc"] == "No user reviews"


def test_max_results_stops_the_walk_and_sizes_the_page(respx_mock, context) -> None:
    route = respx_mock.get(URL).mock(side_effect=[ok("appreviews_730_page1.json")])
    pages = list(steam.fetch_pages(TARGET, FetchOptions(max_results=2), context))
    assert route.call_count == 1
    assert route.calls[0].request.url.params["num_per_page"] == "2"
    assert [r.platform_id for r in pages[0].reviews] == ["171234567", "171230001"]
    assert pages[0].cursor is None


def test_date_window_skips_newer_and_stops_at_older(respx_mock, context) -> None:
    route = respx_mock.get(URL).mock(side_effect=[ok("appreviews_730_page1.json")])
    options = FetchOptions(
        max_results=5,
        date_from=datetime(2024, 5, 29, tzinfo=UTC),
        date_to=datetime(2024, 5, 29, 12, tzinfo=UTC),
        language="schinese",
    )
    pages = list(steam.fetch_pages(TARGET, options, context))
    # 171234567 is newer than date_to, 171200042 older than date_from: the walk stops there.
    assert [r.platform_id for page in pages for r in page.reviews] == ["171230001"]
    assert route.call_count == 1
    assert pages[-1].cursor is None
    params = route.calls[0].request.url.params
    assert params["language"] == "schinese"
    assert params["num_per_page"] == "100"  # a date_to window skips reviews, so pages stay full


def test_updated_ordering_walks_by_update_time(respx_mock, context) -> None:
    route = respx_mock.get(URL).mock(
        side_effect=[ok("appreviews_730_page2.json"), ok("appreviews_730_last_empty.json")]
    )
    options = FetchOptions(sort_by="updated", date_from=datetime(2024, 5, 26, 12, tzinfo=UTC))
    pages = list(steam.fetch_pages(TARGET, options, context))
    assert route.calls[0].request.url.params["filter"] == "updated"
    # 171000500 was created before date_from but updated after it: kept in the walk, filtered out.
    assert [r.platform_id for page in pages for r in page.reviews] == ["171100007"]
    assert route.call_count == 2


def test_429_then_success_honours_retry_after(respx_mock, context, sleeps) -> None:
    route = respx_mock.get(URL).mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "9"}), ok("appreviews_no_reviews.json")]
    )
    pages = list(steam.fetch_pages(TARGET, FetchOptions(), context))
    assert route.call_count == 2
    assert sleeps == [9.0]
    assert pages[0].reviews == []


def test_502_during_sales_is_retried_then_given_up(respx_mock, sleeps) -> None:
    context = FetchContext(sleep=sleeps.append, max_attempts=3)
    route = respx_mock.get(URL).respond(502)
    with pytest.raises(TransientError) as excinfo:
        list(steam.fetch_pages(TARGET, FetchOptions(), context))
    assert route.call_count == 3
    assert len(sleeps) == 2
    assert excinfo.value.status_code == 502


def test_404_is_not_found_and_not_retried(respx_mock, context, sleeps) -> None:
    route = respx_mock.get(URL).respond(404, text="Not Found")
    with pytest.raises(NotFoundError):
        list(steam.fetch_pages(TARGET, FetchOptions(), context))
    assert route.call_count == 1
    assert sleeps == []


def test_403_is_blocked_and_not_retried(respx_mock, context, sleeps) -> None:
    route = respx_mock.get(URL).respond(403, text="<html>Access Denied</html>")
    with pytest.raises(BlockedError) as excinfo:
        list(steam.fetch_pages(TARGET, FetchOptions(), context))
    assert route.call_count == 1
    assert sleeps == []
    assert excinfo.value.status_code == 403


def test_success_other_than_1_is_rejected(respx_mock, context) -> None:
    respx_mock.get(URL).mock(side_effect=[ok("appreviews_success_2.json")])
    with pytest.raises(SchemaDriftError, match="success=2"):
        list(steam.fetch_pages(TARGET, FetchOptions(), context))


def test_success_no_match_is_not_found(respx_mock, context) -> None:
    respx_mock.get(URL).respond(200, json={"success": 42})
    with pytest.raises(NotFoundError):
        list(steam.fetch_pages(TARGET, FetchOptions(), context))


@pytest.mark.parametrize(
    "body",
    [
        fixture("appreviews_malformed_author.json"),
        {"success": "1", "reviews": []},
        {"success": 1, "reviews": {"0": {}}, "cursor": "x"},
        {"success": 1, "reviews": [{"recommendationid": "1"}], "cursor": "x"},
        {"success": 1, "reviews": [fixture("appreviews_730_page1.json")["reviews"][0]]},
        [],
    ],
    ids=["author-string", "success-string", "reviews-object", "review-missing-fields", "no-cursor", "top-level-list"],
)
def test_malformed_answers_are_schema_drift(respx_mock, context, body) -> None:
    route = respx_mock.get(URL).respond(200, json=body)
    with pytest.raises(SchemaDriftError):
        list(steam.fetch_pages(TARGET, FetchOptions(), context))
    assert route.call_count == 1


def test_non_json_answer_is_schema_drift(respx_mock, context) -> None:
    respx_mock.get(URL).respond(200, text="<html>maintenance</html>", headers={"Content-Type": "text/html"})
    with pytest.raises(SchemaDriftError, match="expected JSON"):
        list(steam.fetch_pages(TARGET, FetchOptions(), context))


def test_base_url_comes_from_the_context(respx_mock, sleeps) -> None:
    context = FetchContext(base_urls={"steam_store": "http://fixtures.local:8001/"}, sleep=sleeps.append)
    route = respx_mock.get("http://fixtures.local:8001/appreviews/1086940").mock(
        side_effect=[ok("appreviews_no_reviews.json")]
    )
    target = parse_target_url("https://store.steampowered.com/app/1086940/Baldurs_Gate_3/")
    assert list(steam.fetch_pages(target, FetchOptions(), context))[0].reviews == []
    assert route.call_count == 1


def test_refuses_a_target_of_another_platform(context) -> None:
    youtube_target = parse_target_url("https://youtu.be/dQw4w9WgXcQ")
    with pytest.raises(ValueError, match="Steam target"):
        next(steam.fetch_pages(youtube_target, FetchOptions(), context))
