"""The shared HTTP helper: retry policy, Retry-After, client defaults (docs/platforms.md section 10)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from scraping.platforms.base import (
    AuthConfigError,
    FetchContext,
    FetchError,
    NotFoundError,
    SchemaDriftError,
    TransientError,
)
from scraping.platforms.http import (
    BACKOFF_MAX,
    DEFAULT_BASE_URLS,
    RETRY_AFTER_CAP,
    backoff_delay,
    base_url,
    error_for_status,
    json_body,
    make_client,
    parse_retry_after,
    request_with_retries,
)

URL = "https://api.example.test/v1/items"
NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)

# Every registered route must be used and every request must hit a route.
pytestmark = pytest.mark.respx(assert_all_called=True, assert_all_mocked=True)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def context(sleeps: list[float]) -> FetchContext:
    return FetchContext(sleep=sleeps.append, user_agent="linux:studio.sentimatrix.test:v1 (by /u/tester)")


# --- Retry-After and backoff ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7.0),
        ("0", 0.0),
        (" 12 ", 12.0),
        ("1.5", 1.5),
        ("86400", RETRY_AFTER_CAP),
        (format_datetime(datetime(2025, 3, 1, 12, 0, 30, tzinfo=UTC), usegmt=True), 30.0),
        ("Sat, 01 Mar 2025 12:02:00 GMT", 120.0),
        ("Sat, 01 Mar 2025 11:00:00 GMT", 0.0),
        ("Sat, 01 Mar 2025 18:00:00 GMT", RETRY_AFTER_CAP),
        ("-5", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


def test_backoff_grows_exponentially_with_jitter_and_is_capped() -> None:
    assert [backoff_delay(n, rand=lambda: 0.0) for n in range(1, 8)] == [1, 2, 4, 8, 16, 32, 60]
    assert backoff_delay(3, rand=lambda: 0.5) == 4.5
    assert backoff_delay(10_000, rand=lambda: 1.0) == BACKOFF_MAX
    real = [backoff_delay(2) for _ in range(50)]
    assert all(2.0 <= value <= 3.0 for value in real)
    assert len(set(real)) > 1  # jitter actually varies


# --- request_with_retries ---------------------------------------------------------------------


def test_429_then_success_waits_what_retry_after_says(respx_mock, context, sleeps) -> None:
    route = respx_mock.get(URL).mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, json={"ok": True})]
    )
    with make_client(context) as client:
        response = request_with_retries(client, "GET", URL, context=context)
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert route.call_count == 2
    assert sleeps == [7.0]


def test_retry_after_as_http_date_is_honoured_and_capped(respx_mock, context, sleeps) -> None:
    in_an_hour = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    long_ago = "Sat, 01 Mar 2025 11:00:00 GMT"
    respx_mock.get(URL).mock(
        side_effect=[
            httpx.Response(503, headers={"Retry-After": in_an_hour}),
            httpx.Response(503, headers={"Retry-After": long_ago}),
            httpx.Response(200),
        ]
    )
    with make_client(context) as client:
        assert request_with_retries(client, "GET", URL, context=context).status_code == 200
    # An hour away is capped at 300 s; a date already passed means "now", not a backoff.
    assert sleeps == [RETRY_AFTER_CAP, 0.0]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_without_retry_after_backs_off_exponentially(respx_mock, context, sleeps, status) -> None:
    route = respx_mock.get(URL).mock(
        side_effect=[httpx.Response(status), httpx.Response(status), httpx.Response(200, text="fine")]
    )
    with make_client(context) as client:
        assert request_with_retries(client, "GET", URL, context=context).text == "fine"
    assert route.call_count == 3
    assert len(sleeps) == 2
    assert 1.0 <= sleeps[0] <= 2.0
    assert 2.0 <= sleeps[1] <= 3.0


def test_transport_errors_are_retried(respx_mock, context, sleeps) -> None:
    route = respx_mock.get(URL).mock(
        side_effect=[httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.Response(200)]
    )
    with make_client(context) as client:
        assert request_with_retries(client, "GET", URL, context=context).status_code == 200
    assert route.call_count == 3
    assert len(sleeps) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
def test_other_4xx_are_returned_without_retry(respx_mock, context, sleeps, status) -> None:
    route = respx_mock.get(URL).respond(status, json={"error": "nope"})
    with make_client(context) as client:
        response = request_with_retries(client, "GET", URL, context=context)
    assert response.status_code == status
    assert route.call_count == 1
    assert sleeps == []


def test_giving_up_raises_transient_error_with_status_and_retry_after(respx_mock, sleeps) -> None:
    context = FetchContext(sleep=sleeps.append, max_attempts=3)
    route = respx_mock.get(URL).respond(503, headers={"Retry-After": "30"})
    with make_client(context) as client, pytest.raises(TransientError) as excinfo:
        request_with_retries(client, "GET", URL, context=context, params={"key": "s3cret-key"})
    assert route.call_count == 3
    assert sleeps == [30.0, 30.0]  # no pointless wait after the last attempt
    error = excinfo.value
    assert error.status_code == 503
    assert error.retry_after == 30.0
    assert error.retryable is True
    assert "s3cret-key" not in str(error)  # the query string never reaches the message
    assert "api.example.test/v1/items" in str(error)


def test_default_policy_is_five_attempts(respx_mock, context, sleeps) -> None:
    route = respx_mock.get(URL).respond(429)
    with make_client(context) as client, pytest.raises(TransientError) as excinfo:
        request_with_retries(client, "GET", URL, context=context)
    assert route.call_count == 5
    assert len(sleeps) == 4
    assert excinfo.value.retry_after is None


def test_giving_up_on_transport_errors_raises_transient_error(respx_mock, sleeps) -> None:
    context = FetchContext(sleep=sleeps.append, max_attempts=2)
    route = respx_mock.get(URL).mock(side_effect=httpx.ConnectError("refused"))
    with make_client(context) as client, pytest.raises(TransientError) as excinfo:
        request_with_retries(client, "GET", URL, context=context)
    assert route.call_count == 2
    assert excinfo.value.status_code is None
    assert "ConnectError" in str(excinfo.value)


def test_reset_header_is_the_fallback_wait(respx_mock, context, sleeps) -> None:
    respx_mock.get(URL).mock(
        side_effect=[httpx.Response(429, headers={"X-Ratelimit-Reset": "42"}), httpx.Response(200)]
    )
    with make_client(context) as client:
        request_with_retries(client, "GET", URL, context=context, reset_header="X-Ratelimit-Reset")
    assert sleeps == [42.0]


def test_configuration_errors_are_not_retried(sleeps) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.UnsupportedProtocol("Request URL has an unsupported protocol 'ftp://'")

    context = FetchContext(sleep=sleeps.append)
    with httpx.Client(transport=httpx.MockTransport(handler)) as client, pytest.raises(FetchError) as excinfo:
        request_with_retries(client, "GET", "ftp://files.example.test/x", context=context)
    assert type(excinfo.value) is FetchError
    assert excinfo.value.retryable is False
    assert len(calls) == 1
    assert sleeps == []


def test_request_arguments_reach_the_server(respx_mock, context) -> None:
    route = respx_mock.post(URL).respond(201)
    with make_client(context) as client:
        request_with_retries(
            client,
            "POST",
            URL,
            context=context,
            params={"cursor": "AoIIPwYYan/HzbUB+x=="},
            headers={"X-Test": "1"},
            json={"a": 1},
            timeout=75.0,
        )
    request = route.calls.last.request
    assert "cursor=AoIIPwYYan%2FHzbUB%2Bx%3D%3D" in str(request.url)
    assert request.headers["X-Test"] == "1"
    assert request.headers["User-Agent"] == "linux:studio.sentimatrix.test:v1 (by /u/tester)"
    assert request.content == b'{"a":1}'
    assert request.extensions["timeout"]["read"] == 75.0


# --- client and helpers -----------------------------------------------------------------------


def test_make_client_applies_the_context() -> None:
    context = FetchContext(timeout_seconds=45.0, user_agent="ua/1")
    with make_client(context) as client:
        assert client.headers["User-Agent"] == "ua/1"
        assert client.timeout.read == 45.0
        assert client.timeout.connect == 10.0
        assert client.follow_redirects is True
        assert client.max_redirects == 5


def test_make_client_follows_redirects(respx_mock, context) -> None:
    respx_mock.get(URL).respond(301, headers={"Location": "https://api.example.test/v2/items"})
    respx_mock.get("https://api.example.test/v2/items").respond(200, json={"moved": True})
    with make_client(context) as client:
        response = request_with_retries(client, "GET", URL, context=context)
    assert response.json() == {"moved": True}


def test_default_base_urls_and_overrides() -> None:
    assert set(DEFAULT_BASE_URLS) == {"steam_store", "youtube_api", "reddit_oauth", "reddit_www", "reddit_auth"}
    assert all(not value.endswith("/") for value in DEFAULT_BASE_URLS.values())
    assert base_url(FetchContext(), "youtube_api") == "https://www.googleapis.com/youtube/v3"
    assert base_url(FetchContext(base_urls={"steam_store": "http://127.0.0.1:8080/"}), "steam_store") == (
        "http://127.0.0.1:8080"
    )
    with pytest.raises(ValueError, match="no base URL"):
        base_url(FetchContext(), "nowhere")


@pytest.mark.parametrize(
    ("status", "error_class"),
    [(404, NotFoundError), (410, NotFoundError), (401, AuthConfigError), (403, AuthConfigError), (502, TransientError)],
)
def test_error_for_status_maps_the_taxonomy(status: int, error_class: type[FetchError]) -> None:
    error = error_for_status(httpx.Response(status), "thing")
    assert type(error) is error_class
    assert error.status_code == status


def test_error_for_status_leaves_other_codes_generic() -> None:
    error = error_for_status(httpx.Response(418), "teapot")
    assert type(error) is FetchError
    assert str(error) == "teapot answered HTTP 418"


def test_json_body_rejects_non_json() -> None:
    response = httpx.Response(200, text="<html>blocked</html>", headers={"Content-Type": "text/html"})
    with pytest.raises(SchemaDriftError, match="expected JSON"):
        json_body(response, "thing")
    assert json_body(httpx.Response(200, json=[1, 2]), "thing") == [1, 2]
