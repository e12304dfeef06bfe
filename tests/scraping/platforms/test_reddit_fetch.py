"""Reddit comment-tree walk against hand-made fixtures (docs/platforms.md section 5.2)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from scraping.platforms import reddit
from scraping.platforms.base import (
    AuthConfigError,
    BlockedError,
    DisabledError,
    FetchContext,
    FetchOptions,
    NotFoundError,
    SchemaDriftError,
    TransientError,
)
from scraping.platforms.urls import parse_target_url

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "reddit"
TOKEN_URL = "https://www.reddit.com/api/v1/access_token"
COMMENTS = "https://oauth.reddit.com/comments/1641krf"
MORE = "https://oauth.reddit.com/api/morechildren"
THREAD = "https://oauth.reddit.com/comments/1641krf/_/kxa0004"
PUBLIC = "https://www.reddit.com/comments/1641krf.json"
TARGET = parse_target_url("https://redd.it/1641krf")
USER_AGENT = "linux:studio.sentimatrix.scraper:v1.0.0 (by /u/sentimatrix_bot)"
CREDENTIALS = {
    "reddit_client_id": "fake-client-id",
    "reddit_client_secret": "fake-client-secret",
    "reddit_user_agent": USER_AGENT,
}

# Every registered route must be used and every request must hit a route.
pytestmark = pytest.mark.respx(assert_all_called=True, assert_all_mocked=True)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def ok(name: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(200, json=fixture(name), headers=headers)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def context(sleeps: list[float]) -> FetchContext:
    return FetchContext(credentials=CREDENTIALS, sleep=sleeps.append)


@pytest.fixture
def token_route(respx_mock):
    return respx_mock.post(TOKEN_URL).mock(return_value=ok("token.json"))


def ids(page) -> list[str]:
    return [review.platform_id for review in page.reviews]


def test_oauth_walk_flattens_the_tree_and_expands_every_stub(respx_mock, context, token_route) -> None:
    comments = respx_mock.get(COMMENTS).mock(return_value=ok("comments_1641krf.json"))
    more = respx_mock.get(MORE).mock(
        side_effect=[ok("morechildren_1641krf_batch1.json"), ok("morechildren_1641krf_batch2.json")]
    )
    thread = respx_mock.get(THREAD).mock(return_value=ok("thread_1641krf_kxa0004.json"))

    pages = list(reddit.fetch_pages(TARGET, FetchOptions(max_results=500), context))

    # Token: client credentials with HTTP Basic auth, once for the whole walk.
    assert token_route.call_count == 1
    token_request = token_route.calls[0].request
    expected_basic = base64.b64encode(b"fake-client-id:fake-client-secret").decode()
    assert token_request.headers["Authorization"] == f"Basic {expected_basic}"
    assert parse_qs(token_request.content.decode()) == {"grant_type": ["client_credentials"]}
    assert token_request.headers["User-Agent"] == USER_AGENT

    listing_request = comments.calls[0].request
    assert listing_request.headers["Authorization"] == "bearer fake-app-only-token-0001"
    assert listing_request.headers["User-Agent"] == USER_AGENT
    assert dict(listing_request.url.params) == {"raw_json": "1", "sort": "new", "limit": "500"}

    # Page 1: the listing, tombstones dropped ([deleted] kxa0003, [removed] kxa0006), their replies kept.
    assert ids(pages[0]) == ["t1_kxa0001", "t1_kxa0002", "t1_kxa0004", "t1_kxa0005"]
    assert pages[0].requests_made == 2  # token + listing
    assert pages[0].target_info == {
        "subreddit": "ModSupport",
        "title": "Reddit broke share links again",
        "num_comments": 11,
        "locked": False,
        "over_18": False,
    }
    assert json.loads(pages[0].cursor) == {"v": 1, "more": ["kxa0007", "kxa0008", "kxa0009"], "threads": ["kxa0004"]}

    first = pages[0].reviews[0]
    assert first.platform == "reddit"
    assert first.text == "Same here, & it started after the last app update."
    assert first.author == "first_commenter"
    assert first.rating is None
    assert first.date == datetime(2023, 8, 29, 9, 15, tzinfo=UTC)
    assert first.url == "https://www.reddit.com/r/ModSupport/comments/1641krf/reddit_broke_share_links_again/kxa0001/"
    assert first.source == "official_api"
    assert first.extra == {"score": 57, "parent_id": "t3_1641krf", "depth": 0, "edited": False, "stickied": False}
    assert pages[0].reviews[1].extra["edited"] is True
    orphan = pages[0].reviews[2]
    assert orphan.extra["parent_id"] == "t1_kxa0003"  # reply to a deleted comment survives
    deleted_author = pages[0].reviews[3]
    assert deleted_author.author == ""
    assert deleted_author.text == "I left the app because of this."
    assert deleted_author.extra["author_deleted"] is True

    # Page 2 and 3: morechildren batches; page 4: the continued thread without its parent.
    more_params = more.calls[0].request.url.params
    assert dict(more_params) == {
        "api_type": "json",
        "link_id": "t3_1641krf",
        "children": "kxa0007,kxa0008,kxa0009",
        "sort": "new",
        "raw_json": "1",
    }
    assert more.calls[1].request.url.params["children"] == "kxa000b"
    assert ids(pages[1]) == ["t1_kxa0007", "t1_kxa0008", "t1_kxa0009"]
    assert pages[1].reviews[2].extra["stickied"] is True
    assert json.loads(pages[1].cursor) == {"v": 1, "more": ["kxa000b"], "threads": ["kxa0004"]}
    assert ids(pages[2]) == ["t1_kxa000b"]
    assert json.loads(pages[2].cursor) == {"v": 1, "more": [], "threads": ["kxa0004"]}
    assert thread.call_count == 1
    assert ids(pages[3]) == ["t1_kxa000c", "t1_kxa000d"]
    assert pages[3].cursor is None
    assert [page.requests_made for page in pages] == [2, 1, 1, 1]


def test_resumes_from_a_cursor(respx_mock, context, token_route) -> None:
    more = respx_mock.get(MORE).mock(return_value=ok("morechildren_1641krf_batch2.json"))
    cursor = json.dumps({"v": 1, "more": ["kxa000b"], "threads": []})
    pages = list(reddit.fetch_pages(TARGET, FetchOptions(), context, cursor=cursor))
    assert more.calls[0].request.url.params["children"] == "kxa000b"
    assert [ids(page) for page in pages] == [["t1_kxa000b"]]
    assert pages[0].cursor is None


def test_morechildren_is_called_in_batches_of_at_most_100(respx_mock, context, token_route) -> None:
    stub_ids = [f"m{n:05d}" for n in range(150)]
    listing = fixture("comments_no_comments.json")
    listing[1]["data"]["children"] = [
        {
            "kind": "more",
            "data": {"count": 150, "name": "t1_m00000", "id": "m00000", "parent_id": "t3_zz9yy8", "children": stub_ids},
        }
    ]
    respx_mock.get("https://oauth.reddit.com/comments/zz9yy8").respond(200, json=listing)
    empty = {"json": {"errors": [], "data": {"things": []}}}
    more = respx_mock.get(MORE).respond(200, json=empty)

    target = parse_target_url("https://np.reddit.com/r/AskReddit/comments/zz9yy8/")
    pages = list(reddit.fetch_pages(target, FetchOptions(), context))

    sent = [call.request.url.params["children"].split(",") for call in more.calls]
    assert [len(batch) for batch in sent] == [100, 50]
    assert sent[0] + sent[1] == stub_ids
    assert all(call.request.url.params["link_id"] == "t3_zz9yy8" for call in more.calls)
    assert pages[-1].cursor is None


def test_public_json_without_credentials(respx_mock, sleeps) -> None:
    context = FetchContext(sleep=sleeps.append, user_agent="SentimatrixStudio/1.0 (+https://example.test)")
    route = respx_mock.get(PUBLIC).mock(return_value=ok("comments_1641krf.json"))
    pages = list(reddit.fetch_pages(TARGET, FetchOptions(), context))
    request = route.calls[0].request
    assert dict(request.url.params) == {"raw_json": "1", "sort": "new", "limit": "100"}
    assert "Authorization" not in request.headers
    assert request.headers["User-Agent"] == "SentimatrixStudio/1.0 (+https://example.test)"
    # One request only: the stubs stay unexpanded under the anonymous budget.
    assert len(pages) == 1
    assert ids(pages[0]) == ["t1_kxa0001", "t1_kxa0002", "t1_kxa0004", "t1_kxa0005"]
    assert pages[0].cursor is None
    assert {review.source for review in pages[0].reviews} == {"public_json"}


def test_empty_result(respx_mock, context, token_route) -> None:
    route = respx_mock.get("https://oauth.reddit.com/comments/zz9yy8").mock(
        return_value=ok("comments_no_comments.json")
    )
    target = parse_target_url("https://www.reddit.com/r/AskReddit/comments/zz9yy8/")
    pages = list(reddit.fetch_pages(target, FetchOptions(), context))
    assert route.call_count == 1
    assert len(pages) == 1
    assert pages[0].reviews == []
    assert pages[0].cursor is None
    assert pages[0].target_info["locked"] is True
    assert pages[0].target_info["num_comments"] == 0


def test_max_results_stops_before_expanding_stubs(respx_mock, context, token_route) -> None:
    respx_mock.get(COMMENTS).mock(return_value=ok("comments_1641krf.json"))
    pages = list(reddit.fetch_pages(TARGET, FetchOptions(max_results=3), context))
    assert len(pages) == 1
    assert ids(pages[0]) == ["t1_kxa0001", "t1_kxa0002", "t1_kxa0004"]
    assert pages[0].cursor is None


def test_date_window_filters_comments(respx_mock, context, token_route) -> None:
    respx_mock.get(COMMENTS).mock(return_value=ok("comments_1641krf.json"))
    cutoff = datetime(2023, 8, 29, 10, 0, tzinfo=UTC)  # 1693303200
    options = FetchOptions(date_from=cutoff, max_results=4)
    pages = reddit.fetch_pages(TARGET, options, context)
    assert ids(next(pages)) == ["t1_kxa0004", "t1_kxa0005"]
    pages.close()


@pytest.mark.parametrize(
    ("headers", "expected_sleep"),
    [({"Retry-After": "4"}, 4.0), ({"X-Ratelimit-Reset": "12", "X-Ratelimit-Remaining": "0"}, 12.0)],
)
def test_429_then_success_honours_the_wait(respx_mock, context, sleeps, token_route, headers, expected_sleep) -> None:
    route = respx_mock.get(COMMENTS).mock(
        side_effect=[httpx.Response(429, headers=headers), ok("comments_no_comments.json")]
    )
    pages = list(reddit.fetch_pages(TARGET, FetchOptions(), context))
    assert route.call_count == 2
    assert sleeps == [expected_sleep]
    assert pages[0].reviews == []


def test_a_nearly_spent_budget_waits_for_the_window(respx_mock, context, sleeps, token_route) -> None:
    limits = {"X-Ratelimit-Remaining": "3.0", "X-Ratelimit-Used": "97", "X-Ratelimit-Reset": "20"}
    respx_mock.get(COMMENTS).mock(return_value=ok("comments_1641krf.json", headers=limits))
    more = respx_mock.get(MORE).mock(return_value=ok("morechildren_1641krf_batch2.json"))
    pages = reddit.fetch_pages(TARGET, FetchOptions(), context)
    next(pages)
    assert sleeps == []
    next(pages)
    assert sleeps == [20.0]  # waited before the morechildren call
    assert more.call_count == 1
    pages.close()


def test_a_far_budget_reset_is_handed_to_the_task(respx_mock, context, sleeps, token_route) -> None:
    limits = {"X-Ratelimit-Remaining": "1", "X-Ratelimit-Reset": "250"}
    respx_mock.get(COMMENTS).mock(return_value=ok("comments_1641krf.json", headers=limits))
    pages = reddit.fetch_pages(TARGET, FetchOptions(), context)
    first = next(pages)
    assert first.cursor is not None  # progress so far is checkpointed
    with pytest.raises(TransientError) as excinfo:
        next(pages)
    assert excinfo.value.retry_after == 250.0
    assert sleeps == []


def test_an_expired_token_is_refreshed_once(respx_mock, context) -> None:
    tokens = respx_mock.post(TOKEN_URL).mock(
        side_effect=[
            httpx.Response(200, json={"access_token": "old-token", "token_type": "bearer", "expires_in": 1}),
            ok("token.json"),
        ]
    )
    route = respx_mock.get(COMMENTS).mock(
        side_effect=[
            httpx.Response(401, json={"message": "Unauthorized", "error": 401}),
            ok("comments_no_comments.json"),
        ]
    )
    pages = list(reddit.fetch_pages(TARGET, FetchOptions(), context))
    assert tokens.call_count == 2
    assert [call.request.headers["Authorization"] for call in route.calls] == [
        "bearer old-token",
        "bearer fake-app-only-token-0001",
    ]
    assert pages[0].reviews == []


def test_a_token_rejected_twice_is_an_auth_error(respx_mock, context) -> None:
    tokens = respx_mock.post(TOKEN_URL).mock(return_value=ok("token.json"))
    route = respx_mock.get(COMMENTS).respond(401, json={"message": "Unauthorized", "error": 401})
    with pytest.raises(AuthConfigError):
        list(reddit.fetch_pages(TARGET, FetchOptions(), context))
    assert tokens.call_count == 2
    assert route.call_count == 2


@pytest.mark.parametrize(
    "token_response",
    [
        httpx.Response(401, json={"message": "Unauthorized", "error": 401}),
        httpx.Response(200, json={"error": "unsupported_grant_type"}),
    ],
    ids=["401", "200-with-error"],
)
def test_bad_app_credentials_are_an_auth_error(respx_mock, context, sleeps, token_response) -> None:
    tokens = respx_mock.post(TOKEN_URL).mock(return_value=token_response)
    with pytest.raises(AuthConfigError) as excinfo:
        list(reddit.fetch_pages(TARGET, FetchOptions(), context))
    assert tokens.call_count == 1
    assert sleeps == []
    assert "fake-client-secret" not in str(excinfo.value)


@pytest.mark.parametrize(
    ("response", "error_class"),
    [
        (httpx.Response(404, json=fixture("error_404.json")), NotFoundError),
        (httpx.Response(403, json=fixture("error_403_private.json")), DisabledError),
        (
            httpx.Response(
                403, text=(FIXTURES / "blocked_403.html").read_text(), headers={"Content-Type": "text/html"}
            ),
            BlockedError,
        ),
    ],
    ids=["404", "403-private", "403-html"],
)
def test_permanent_errors_are_classified_and_not_retried(
    respx_mock, context, sleeps, token_route, response, error_class
) -> None:
    route = respx_mock.get(COMMENTS).mock(return_value=response)
    with pytest.raises(error_class) as excinfo:
        list(reddit.fetch_pages(TARGET, FetchOptions(), context))
    assert type(excinfo.value) is error_class
    assert route.call_count == 1
    assert sleeps == []
    assert excinfo.value.status_code == response.status_code


def test_an_html_page_with_200_is_blocked(respx_mock, sleeps) -> None:
    context = FetchContext(sleep=sleeps.append)
    respx_mock.get(PUBLIC).respond(
        200, text=(FIXTURES / "blocked_403.html").read_text(), headers={"Content-Type": "text/html; charset=utf-8"}
    )
    with pytest.raises(BlockedError):
        list(reddit.fetch_pages(TARGET, FetchOptions(), context))


@pytest.mark.parametrize(
    "body",
    [
        fixture("comments_malformed_replies.json"),
        [fixture("comments_1641krf.json")[0]],
        {"kind": "Listing"},
        [
            fixture("comments_1641krf.json")[0],
            {"kind": "Listing", "data": {"children": [{"kind": "t5", "data": {"id": "x"}}]}},
        ],
        [
            fixture("comments_1641krf.json")[0],
            {"kind": "Listing", "data": {"children": [{"kind": "t1", "data": {"id": "kxa0001", "body": 5}}]}},
        ],
    ],
    ids=["replies-list", "one-listing", "object", "unknown-kind", "body-number"],
)
def test_malformed_answers_are_schema_drift(respx_mock, context, token_route, body) -> None:
    route = respx_mock.get(COMMENTS).respond(200, json=body)
    with pytest.raises(SchemaDriftError):
        list(reddit.fetch_pages(TARGET, FetchOptions(), context))
    assert route.call_count == 1


def test_malformed_morechildren_is_schema_drift(respx_mock, context, token_route) -> None:
    respx_mock.get(COMMENTS).mock(return_value=ok("comments_1641krf.json"))
    respx_mock.get(MORE).respond(200, json={"json": {"errors": [], "data": {"things": "none"}}})
    pages = reddit.fetch_pages(TARGET, FetchOptions(), context)
    next(pages)
    with pytest.raises(SchemaDriftError):
        next(pages)


def test_base_urls_come_from_the_context(respx_mock, sleeps) -> None:
    context = FetchContext(
        base_urls={
            "reddit_auth": "http://fixtures.local:8003",
            "reddit_oauth": "http://fixtures.local:8003/oauth",
        },
        credentials=CREDENTIALS,
        sleep=sleeps.append,
    )
    respx_mock.post("http://fixtures.local:8003/api/v1/access_token").mock(return_value=ok("token.json"))
    route = respx_mock.get("http://fixtures.local:8003/oauth/comments/zz9yy8").mock(
        return_value=ok("comments_no_comments.json")
    )
    target = parse_target_url("https://www.reddit.com/r/AskReddit/comments/zz9yy8/")
    list(reddit.fetch_pages(target, FetchOptions(), context))
    assert route.call_count == 1


@pytest.mark.parametrize(
    "cursor", ["not json", '{"v": 2, "more": [], "threads": []}', '{"v": 1, "more": ["../x"], "threads": []}']
)
def test_a_foreign_cursor_is_refused(context, cursor) -> None:
    with pytest.raises(ValueError, match="not a Reddit cursor"):
        next(reddit.fetch_pages(TARGET, FetchOptions(), context, cursor=cursor))


def test_refuses_an_unresolved_share_link(context) -> None:
    share = parse_target_url("https://www.reddit.com/r/ModSupport/s/9aRRC2rZpd")
    with pytest.raises(ValueError, match="resolved Reddit target"):
        next(reddit.fetch_pages(share, FetchOptions(), context))
