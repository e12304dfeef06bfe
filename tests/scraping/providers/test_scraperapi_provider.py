"""ScraperAPI provider: request shape, long timeout, status-code taxonomy (docs/platforms.md section 8)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from scraping.platforms.base import (
    AuthConfigError,
    FetchContext,
    FetchError,
    NotFoundError,
    QuotaExhaustedError,
    TransientError,
)
from scraping.platforms.http import make_client
from scraping.providers.scraperapi import PROVIDER_BASE_URLS, ScraperApiClient

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
BASE = "https://scraperapi.test/"
KEY = "sapi-SECRET-0001"
TARGET = "https://www.amazon.com/dp/B0CWXNS552?th=1&psc=1"


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def make_context(sleeps: list[float] | None = None, **overrides) -> FetchContext:
    values = {
        "base_urls": {"scraperapi": BASE},
        "credentials": {"scraperapi": KEY},
        "sleep": (sleeps if sleeps is not None else []).append,
        "max_attempts": 3,
    }
    values.update(overrides)
    return FetchContext(**values)


def fetch(context: FetchContext, **kwargs):
    client_api = ScraperApiClient.from_context(context)
    with make_client(context) as client:
        return client_api.fetch(client, TARGET, context=context, **kwargs)


def test_success_returns_the_raw_target_body(respx_mock) -> None:
    route = respx_mock.get(BASE).respond(200, html=fixture_text("amazon/product_us.html"))

    page = fetch(make_context(), country_code="US")

    assert page.status_code == 200 and page.source == "scraperapi" and page.url == TARGET
    assert 'data-hook="review"' in page.text
    request = route.calls.last.request
    assert dict(request.url.params) == {"api_key": KEY, "url": TARGET, "country_code": "us"}
    assert "th%3D1%26psc%3D1" in str(request.url)  # the target URL is percent-encoded as one parameter
    # ScraperAPI retries for up to 70 s before answering, so the read timeout must exceed that.
    assert request.extensions["timeout"]["read"] == 75.0
    assert request.extensions["timeout"]["connect"] == 10.0


def test_render_and_premium_flags(respx_mock) -> None:
    route = respx_mock.get(BASE).respond(200, html="<html></html>")
    fetch(make_context(), render=True, premium=True)
    params = route.calls.last.request.url.params
    assert (params["render"], params["premium"]) == ("true", "true")
    assert "country_code" not in params


def test_default_base_url(respx_mock) -> None:
    route = respx_mock.get("https://api.scraperapi.com/").respond(200, html="<html></html>")
    context = FetchContext(credentials={"scraperapi": KEY}, sleep=[].append)
    assert ScraperApiClient.from_context(context).base_url == PROVIDER_BASE_URLS["scraperapi"]
    fetch(context)
    assert route.call_count == 1


def test_500_is_retried_then_succeeds(respx_mock) -> None:
    sleeps: list[float] = []
    route = respx_mock.get(BASE)
    route.side_effect = [
        httpx.Response(500, text=fixture_text("scraperapi/error_500.txt")),
        httpx.Response(200, html="<html>ok</html>"),
    ]
    page = fetch(make_context(sleeps))
    assert route.call_count == 2 and len(sleeps) == 1
    assert page.text == "<html>ok</html>"


def test_429_honours_retry_after(respx_mock) -> None:
    sleeps: list[float] = []
    route = respx_mock.get(BASE)
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "4"}, text="concurrency limit"),
        httpx.Response(200, html="<html>ok</html>"),
    ]
    fetch(make_context(sleeps))
    assert route.call_count == 2 and sleeps == [4.0]


def test_500_every_time_ends_transient_without_leaking_the_key(respx_mock) -> None:
    route = respx_mock.get(BASE).respond(500, text=fixture_text("scraperapi/error_500.txt"))
    with pytest.raises(TransientError) as excinfo:
        fetch(make_context())
    assert route.call_count == 3  # max_attempts
    assert excinfo.value.status_code == 500 and excinfo.value.retryable is True
    assert KEY not in str(excinfo.value)


@pytest.mark.parametrize(
    ("status", "body", "error_class"),
    [
        (403, "scraperapi/error_403.txt", QuotaExhaustedError),
        (401, "scraperapi/error_401.txt", AuthConfigError),
        (404, None, NotFoundError),
        (400, None, FetchError),
    ],
)
def test_permanent_statuses_are_not_retried(respx_mock, status: int, body: str | None, error_class: type) -> None:
    sleeps: list[float] = []
    route = respx_mock.get(BASE).respond(status, text=fixture_text(body) if body else "error")
    with pytest.raises(error_class) as excinfo:
        fetch(make_context(sleeps))
    assert type(excinfo.value) is error_class
    assert route.call_count == 1 and sleeps == []
    assert excinfo.value.retryable is False and excinfo.value.status_code == status
    assert KEY not in str(excinfo.value)


def test_missing_key_is_auth_config() -> None:
    with pytest.raises(AuthConfigError, match="no ScraperAPI key"):
        ScraperApiClient.from_context(FetchContext(credentials={}))


def test_repr_hides_the_key() -> None:
    assert KEY not in repr(ScraperApiClient(api_key=KEY))
