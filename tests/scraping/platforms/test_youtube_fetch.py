"""YouTube Data API v3 comment walk against hand-made fixtures (docs/platforms.md section 4.2)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from scraping.platforms import youtube
from scraping.platforms.base import (
    AuthConfigError,
    DisabledError,
    FetchContext,
    FetchOptions,
    NotFoundError,
    QuotaExhaustedError,
    SchemaDriftError,
    TransientError,
)
from scraping.platforms.urls import parse_target_url

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "youtube"
API = "https://www.googleapis.com/youtube/v3"
THREADS = f"{API}/commentThreads"
COMMENTS = f"{API}/comments"
API_KEY = "AIzaFakeKeyForTests000000000000000000"
TARGET = parse_target_url("https://www.youtube.com/watch?v=dQw4w9WgXcQ")
THREAD_A = "UgzThreadAAAAAAAAAAAAAAAAAAAAAg"
THREAD_B = "UgxThreadBBBBBBBBBBBBBBBBBBBBBg"
THREAD_C = "UgwThreadCCCCCCCCCCCCCCCCCCCCCg"
THREAD_D = "UgyThreadDDDDDDDDDDDDDDDDDDDDDg"
PAGE2_TOKEN = "QURTSl9pMm5VdW1ZbFZ4X2dZQnR3UT09"

# Every registered route must be used and every request must hit a route.
pytestmark = pytest.mark.respx(assert_all_called=True, assert_all_mocked=True)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def ok(name: str) -> httpx.Response:
    return httpx.Response(200, json=fixture(name))


def error(status: int, name: str) -> httpx.Response:
    return httpx.Response(status, json=fixture(name))


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def context(sleeps: list[float]) -> FetchContext:
    return FetchContext(credentials={"youtube": API_KEY}, sleep=sleeps.append)


def test_first_page_is_normalized_and_the_key_stays_out_of_the_url(respx_mock, context) -> None:
    route = respx_mock.get(THREADS).mock(side_effect=[ok("commentThreads_page1.json")])
    pages = youtube.fetch_pages(TARGET, FetchOptions(max_results=500), context)
    page = next(pages)

    request = route.calls[0].request
    assert dict(request.url.params) == {
        "part": "snippet",
        "videoId": "dQw4w9WgXcQ",
        "maxResults": "100",
        "order": "time",
        "textFormat": "plainText",
    }
    assert request.headers["X-Goog-Api-Key"] == API_KEY
    assert API_KEY not in str(request.url)
    assert page.cursor == PAGE2_TOKEN
    assert page.requests_made == 1
    assert [r.platform_id for r in page.reviews] == [THREAD_A, THREAD_B, THREAD_C]
    first, second, _ = page.reviews
    assert first.platform == "youtube"
    assert first.text == "This song never gets old & the video still slaps"  # textOriginal preferred
    assert first.author == "@viewer_one"
    assert first.rating is None
    assert first.rating_scale is None
    assert first.date == datetime(2024, 5, 30, 18, 21, 4, tzinfo=UTC)
    assert first.url == f"https://www.youtube.com/watch?v=dQw4w9WgXcQ&lc={THREAD_A}"
    assert first.source == "official_api"
    assert first.extra == {"like_count": 1520, "total_reply_count": 3, "author_channel_id": "UCaaaaaaaaaaaaaaaaaaaaa1"}
    # No textOriginal: textDisplay is used; fractional seconds parse.
    assert second.text == "Got rickrolled by my own teacher"
    assert second.date == datetime(2024, 5, 29, 8, 15, 30, 123000, tzinfo=UTC)
    pages.close()


def test_walks_to_the_last_page(respx_mock, context) -> None:
    route = respx_mock.get(THREADS).mock(
        side_effect=[ok("commentThreads_page1.json"), ok("commentThreads_page2_last.json")]
    )
    pages = list(youtube.fetch_pages(TARGET, FetchOptions(max_results=500), context))
    assert route.call_count == 2
    assert "pageToken" not in route.calls[0].request.url.params
    assert route.calls[1].request.url.params["pageToken"] == PAGE2_TOKEN
    assert [page.cursor for page in pages] == [PAGE2_TOKEN, None]
    assert [r.platform_id for r in pages[1].reviews] == [THREAD_D]
    assert pages[1].reviews[0].date == datetime(2009, 10, 25, 6, 57, 33, tzinfo=UTC)


def test_resumes_from_a_page_token(respx_mock, context) -> None:
    route = respx_mock.get(THREADS).mock(side_effect=[ok("commentThreads_page2_last.json")])
    pages = list(youtube.fetch_pages(TARGET, FetchOptions(), context, cursor=PAGE2_TOKEN))
    assert route.calls[0].request.url.params["pageToken"] == PAGE2_TOKEN
    assert [page.cursor for page in pages] == [None]


def test_include_replies_fetches_the_missing_ones(respx_mock, context) -> None:
    threads = respx_mock.get(THREADS).mock(
        side_effect=[ok("commentThreads_page1.json"), ok("commentThreads_page2_last.json")]
    )
    replies = respx_mock.get(COMMENTS).mock(
        side_effect=[ok("comments_replies_threadA_page1.json"), ok("comments_replies_threadA_page2.json")]
    )
    pages = list(youtube.fetch_pages(TARGET, FetchOptions(max_results=500, include_replies=True), context))

    assert threads.calls[0].request.url.params["part"] == "snippet,replies"
    # Thread A embeds 1 of 3 replies -> comments.list (2 pages); thread B embeds all -> no call.
    assert replies.call_count == 2
    first_call = replies.calls[0].request
    assert dict(first_call.url.params) == {
        "part": "snippet",
        "parentId": THREAD_A,
        "maxResults": "100",
        "textFormat": "plainText",
    }
    assert first_call.headers["X-Goog-Api-Key"] == API_KEY
    assert replies.calls[1].request.url.params["pageToken"] == "R2V0UmVwbGllc1BhZ2Uy"
    assert [r.platform_id for r in pages[0].reviews] == [
        THREAD_A,
        f"{THREAD_A}.A0reply0000001",
        f"{THREAD_A}.A0reply0000002",
        f"{THREAD_A}.A0reply0000003",
        THREAD_B,
        f"{THREAD_B}.B0reply0000001",
        THREAD_C,
    ]
    assert pages[0].requests_made == 3  # quota units: 1 thread page + 2 comments pages
    reply = pages[0].reviews[3]
    assert reply.text == "never gonna give this up"  # empty textOriginal falls back to textDisplay
    assert reply.extra["parent_id"] == THREAD_A
    assert reply.url == f"https://www.youtube.com/watch?v=dQw4w9WgXcQ&lc={THREAD_A}.A0reply0000003"
    embedded = pages[0].reviews[5]
    assert embedded.text == "classic"
    assert embedded.extra["parent_id"] == THREAD_B
    assert [len(page.reviews) for page in pages] == [7, 1]


def test_empty_result(respx_mock, context) -> None:
    route = respx_mock.get(THREADS).mock(side_effect=[ok("commentThreads_empty.json")])
    pages = list(youtube.fetch_pages(TARGET, FetchOptions(), context))
    assert route.call_count == 1
    assert len(pages) == 1
    assert pages[0].reviews == []
    assert pages[0].cursor is None


def test_max_results_counts_replies_and_stops(respx_mock, context) -> None:
    threads = respx_mock.get(THREADS).mock(side_effect=[ok("commentThreads_page1.json")])
    replies = respx_mock.get(COMMENTS).mock(side_effect=[ok("comments_replies_threadA_page1.json")])
    pages = list(youtube.fetch_pages(TARGET, FetchOptions(max_results=3, include_replies=True), context))
    assert threads.calls[0].request.url.params["maxResults"] == "3"
    assert [r.platform_id for r in pages[0].reviews] == [
        THREAD_A,
        f"{THREAD_A}.A0reply0000001",
        f"{THREAD_A}.A0reply0000002",
    ]
    assert replies.call_count == 1  # the second replies page is not needed
    assert pages[0].cursor is None


def test_date_from_stops_at_the_first_older_thread(respx_mock, context) -> None:
    route = respx_mock.get(THREADS).mock(side_effect=[ok("commentThreads_page1.json")])
    options = FetchOptions(date_from=datetime(2024, 5, 29, tzinfo=UTC), date_to=datetime(2024, 5, 30, tzinfo=UTC))
    pages = list(youtube.fetch_pages(TARGET, options, context))
    # A is after date_to (skipped), B inside, C before date_from (stop, no second page).
    assert [r.platform_id for r in pages[0].reviews] == [THREAD_B]
    assert pages[0].cursor is None
    assert route.call_count == 1


def test_relevance_order_is_passed_through(respx_mock, context) -> None:
    route = respx_mock.get(THREADS).mock(side_effect=[ok("commentThreads_empty.json")])
    list(youtube.fetch_pages(TARGET, FetchOptions(sort_by="relevance"), context))
    assert route.calls[0].request.url.params["order"] == "relevance"


def test_429_then_success_honours_retry_after(respx_mock, context, sleeps) -> None:
    route = respx_mock.get(THREADS).mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "3"}), ok("commentThreads_page2_last.json")]
    )
    pages = list(youtube.fetch_pages(TARGET, FetchOptions(), context))
    assert route.call_count == 2
    assert sleeps == [3.0]
    assert [r.platform_id for r in pages[0].reviews] == [THREAD_D]


@pytest.mark.parametrize(
    ("status", "name", "error_class"),
    [
        (403, "error_commentsDisabled.json", DisabledError),
        (403, "error_quotaExceeded.json", QuotaExhaustedError),
        (404, "error_videoNotFound.json", NotFoundError),
        (400, "error_keyInvalid.json", AuthConfigError),
    ],
)
def test_permanent_errors_are_classified_and_never_retried(
    respx_mock, context, sleeps, status, name, error_class
) -> None:
    route = respx_mock.get(THREADS).mock(return_value=error(status, name))
    with pytest.raises(error_class) as excinfo:
        list(youtube.fetch_pages(TARGET, FetchOptions(), context))
    assert type(excinfo.value) is error_class
    assert route.call_count == 1
    assert sleeps == []
    assert excinfo.value.status_code == status
    assert excinfo.value.retryable is False
    assert API_KEY not in str(excinfo.value)


def test_rate_limit_exceeded_is_transient_but_not_retried_in_process(respx_mock, context, sleeps) -> None:
    body = {"error": {"code": 403, "message": "Rate limit", "errors": [{"reason": "rateLimitExceeded"}]}}
    route = respx_mock.get(THREADS).respond(403, json=body)
    with pytest.raises(TransientError):
        list(youtube.fetch_pages(TARGET, FetchOptions(), context))
    assert route.call_count == 1
    assert sleeps == []


def test_a_403_without_a_known_reason_is_a_configuration_problem(respx_mock, context) -> None:
    body = {"error": {"code": 403, "message": "API not enabled", "errors": [{"reason": "accessNotConfigured"}]}}
    respx_mock.get(THREADS).respond(403, json=body)
    with pytest.raises(AuthConfigError, match="accessNotConfigured"):
        list(youtube.fetch_pages(TARGET, FetchOptions(), context))


def test_replies_of_a_thread_deleted_meanwhile_are_skipped(respx_mock, context) -> None:
    page = fixture("commentThreads_page1.json")
    page.pop("nextPageToken")
    respx_mock.get(THREADS).mock(side_effect=[httpx.Response(200, json=page)])
    replies = respx_mock.get(COMMENTS).respond(
        404, json={"error": {"code": 404, "errors": [{"reason": "commentNotFound"}]}}
    )
    pages = list(youtube.fetch_pages(TARGET, FetchOptions(include_replies=True), context))
    assert replies.call_count == 1
    ids = [r.platform_id for r in pages[0].reviews]
    assert f"{THREAD_A}.A0reply0000001" not in ids  # thread A's replies are gone with it
    assert ids == [THREAD_A, THREAD_B, f"{THREAD_B}.B0reply0000001", THREAD_C]


def test_missing_api_key_fails_before_any_request(respx_mock, sleeps) -> None:
    # No route is registered: any request would fail the test as unmocked.
    with pytest.raises(AuthConfigError, match="No YouTube Data API key"):
        next(youtube.fetch_pages(TARGET, FetchOptions(), FetchContext(sleep=sleeps.append)))
    assert respx_mock.calls.call_count == 0


@pytest.mark.parametrize(
    "body",
    [
        fixture("commentThreads_malformed.json"),
        {"items": {"id": "x"}},
        {"items": [{"id": THREAD_A, "snippet": {"topLevelComment": "text"}}]},
        {"items": [], "nextPageToken": 12},
        [],
    ],
    ids=["publishedAt-number", "items-object", "comment-string", "token-number", "top-level-list"],
)
def test_malformed_answers_are_schema_drift(respx_mock, context, body) -> None:
    route = respx_mock.get(THREADS).respond(200, json=body)
    with pytest.raises(SchemaDriftError):
        list(youtube.fetch_pages(TARGET, FetchOptions(), context))
    assert route.call_count == 1


def test_base_url_comes_from_the_context(respx_mock, sleeps) -> None:
    context = FetchContext(
        base_urls={"youtube_api": "http://fixtures.local:8002/youtube/v3"},
        credentials={"youtube": API_KEY},
        sleep=sleeps.append,
    )
    route = respx_mock.get("http://fixtures.local:8002/youtube/v3/commentThreads").mock(
        side_effect=[ok("commentThreads_empty.json")]
    )
    list(youtube.fetch_pages(TARGET, FetchOptions(), context))
    assert route.call_count == 1


def test_refuses_an_unresolved_clip(context) -> None:
    clip = parse_target_url("https://www.youtube.com/clip/UgkxU2HSeGL_NvmDJ-nQJrlLwllwMDBdGZFs")
    with pytest.raises(ValueError, match="resolved YouTube target"):
        next(youtube.fetch_pages(clip, FetchOptions(), context))
