"""Apify provider: sync run, 408 -> async run + poll + dataset paging, error taxonomy (docs section 9)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from scraping.platforms.base import (
    AuthConfigError,
    FetchContext,
    FetchError,
    NotFoundError,
    QuotaExhaustedError,
    SchemaDriftError,
    TransientError,
)
from scraping.platforms.http import make_client
from scraping.providers.apify import (
    PROVIDER_BASE_URLS,
    ActorInputError,
    ActorRunFailedError,
    ApifyClient,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
BASE = "https://apify.test"
TOKEN = "apify_api_SECRET_TOKEN"
ACTOR = "someone~reviews-actor"
SYNC_URL = f"{BASE}/v2/acts/{ACTOR}/run-sync-get-dataset-items"
RUNS_URL = f"{BASE}/v2/acts/{ACTOR}/runs"
RUN_URL = f"{BASE}/v2/actor-runs/HG7ML7M8z78YcAPEB"
ITEMS_URL = f"{BASE}/v2/datasets/wmKPijuyDnPZAPRMk/items"
RUN_INPUT = {"startUrls": [{"url": "https://www.trustpilot.com/review/zalando.de"}], "maxItems": 10}


def fixture_json(name: str):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def make_context(sleeps: list[float] | None = None, **overrides) -> FetchContext:
    values = {
        "base_urls": {"apify": BASE},
        "credentials": {"apify": TOKEN},
        "sleep": (sleeps if sleeps is not None else []).append,
        "max_attempts": 3,
        "provider_options": {"apify_page_size": 2, "apify_poll_interval_seconds": 2.5},
    }
    values.update(overrides)
    return FetchContext(**values)


def run_batches(context: FetchContext, cursor: str | None = None, max_items: int | None = None) -> list:
    apify = ApifyClient.from_context(context, platform="Test")
    with make_client(context) as client:
        return list(apify.iter_batches(client, ACTOR, RUN_INPUT, context=context, cursor=cursor, max_items=max_items))


def test_sync_run_returns_all_items_in_one_batch(respx_mock) -> None:
    items = fixture_json("apify/dataset_page1.json")
    route = respx_mock.post(SYNC_URL).respond(200, json=items)

    batches = run_batches(make_context(), max_items=10)

    assert [(batch.items, batch.cursor, batch.requests_made) for batch in batches] == [(items, None, 1)]
    request = route.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in str(request.url)
    assert dict(request.url.params) == {"format": "json", "clean": "true", "maxItems": "10"}
    assert json.loads(request.content) == RUN_INPUT
    # The sync endpoint holds the connection for up to 300 s: the read timeout must exceed it.
    assert request.extensions["timeout"]["read"] > 300


def test_sync_empty_dataset_is_one_empty_last_batch(respx_mock) -> None:
    respx_mock.post(SYNC_URL).respond(200, json=[])
    batches = run_batches(make_context())
    assert [(batch.items, batch.cursor) for batch in batches] == [([], None)]


def test_408_falls_back_to_async_run_poll_and_dataset_paging(respx_mock) -> None:
    sleeps: list[float] = []
    sync = respx_mock.post(SYNC_URL).respond(408, json={"error": {"type": "run-timeout-exceeded", "message": "..."}})
    start = respx_mock.post(RUNS_URL).respond(201, json=fixture_json("apify/run_started.json"))
    status = respx_mock.get(RUN_URL)
    status.side_effect = [
        httpx.Response(200, json=fixture_json("apify/run_running.json")),
        httpx.Response(200, json=fixture_json("apify/run_succeeded.json")),
    ]
    page1, page2 = fixture_json("apify/dataset_page1.json"), fixture_json("apify/dataset_page2.json")
    items = respx_mock.get(ITEMS_URL)
    items.side_effect = [
        httpx.Response(200, json=page1, headers={"X-Apify-Pagination-Total": "3"}),
        httpx.Response(200, json=page2, headers={"X-Apify-Pagination-Total": "3"}),
    ]

    checkpoint, first, last = run_batches(make_context(sleeps))

    assert (sync.call_count, start.call_count, status.call_count, items.call_count) == (1, 1, 2, 2)
    # The run id is handed back before waiting, so a task that dies resumes this run.
    assert checkpoint.items == [] and checkpoint.cursor is not None and checkpoint.requests_made == 2
    assert json.loads(checkpoint.cursor.removeprefix("apify:")) == {
        "run": "HG7ML7M8z78YcAPEB",
        "dataset": "wmKPijuyDnPZAPRMk",
        "offset": 0,
    }
    assert first.items == page1 and json.loads(first.cursor.removeprefix("apify:"))["offset"] == 2
    assert first.requests_made == 3  # two status polls and one dataset page
    assert last.items == page2 and last.cursor is None
    assert sleeps == [2.5]  # one pause between the RUNNING and SUCCEEDED polls
    assert status.calls[0].request.url.params["waitForFinish"] == "60"
    offsets = [(call.request.url.params["offset"], call.request.url.params["limit"]) for call in items.calls]
    assert offsets == [("0", "2"), ("2", "2")]
    assert json.loads(start.calls.last.request.content) == RUN_INPUT


def test_resuming_from_a_cursor_continues_the_same_run_at_its_offset(respx_mock) -> None:
    respx_mock.get(RUN_URL).respond(200, json=fixture_json("apify/run_succeeded.json"))
    items = respx_mock.get(ITEMS_URL).respond(200, json=fixture_json("apify/dataset_page2.json"))
    cursor = 'apify:{"dataset":"wmKPijuyDnPZAPRMk","offset":2,"run":"HG7ML7M8z78YcAPEB"}'

    [batch] = run_batches(make_context(), cursor=cursor)

    assert batch.items == fixture_json("apify/dataset_page2.json") and batch.cursor is None
    assert items.calls.last.request.url.params["offset"] == "2"
    assert respx_mock.calls.call_count == 2  # no new run was started


def test_rate_limited_then_success(respx_mock) -> None:
    sleeps: list[float] = []
    route = respx_mock.post(SYNC_URL)
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "2"}, json={"error": {"type": "rate-limit-exceeded"}}),
        httpx.Response(200, json=fixture_json("apify/dataset_page2.json")),
    ]
    [batch] = run_batches(make_context(sleeps))
    assert route.call_count == 2 and sleeps == [2.0]
    assert len(batch.items) == 1


@pytest.mark.parametrize(
    ("status", "fixture", "error_class", "message_part"),
    [
        (400, "apify/error_invalid_input.json", ActorInputError, "startUrls is required"),
        (404, "apify/error_actor_not_found.json", AuthConfigError, "check the actor name"),
        (401, "apify/error_token_invalid.json", AuthConfigError, "token"),
        (402, "apify/error_usage_limit.json", QuotaExhaustedError, "usage limit"),
        (403, "apify/error_usage_limit.json", QuotaExhaustedError, "usage limit"),
        (403, "apify/error_token_invalid.json", AuthConfigError, "permissions"),
    ],
)
def test_permanent_errors_are_classified_and_not_retried(
    respx_mock, status: int, fixture: str, error_class: type, message_part: str
) -> None:
    sleeps: list[float] = []
    route = respx_mock.post(SYNC_URL).respond(status, json=fixture_json(fixture))
    with pytest.raises(error_class) as excinfo:
        run_batches(make_context(sleeps))
    assert type(excinfo.value) is error_class
    assert route.call_count == 1 and sleeps == []
    assert excinfo.value.retryable is False and excinfo.value.status_code == status
    assert message_part in excinfo.value.message
    assert TOKEN not in str(excinfo.value)


def test_missing_dataset_is_not_found(respx_mock) -> None:
    respx_mock.get(RUN_URL).respond(200, json=fixture_json("apify/run_succeeded.json"))
    respx_mock.get(ITEMS_URL).respond(
        404, json={"error": {"type": "record-not-found", "message": "Dataset was not found"}}
    )
    cursor = 'apify:{"dataset":"wmKPijuyDnPZAPRMk","offset":0,"run":"HG7ML7M8z78YcAPEB"}'
    with pytest.raises(NotFoundError, match="Dataset was not found"):
        run_batches(make_context(), cursor=cursor)


def test_failed_run_is_reported_with_its_id(respx_mock) -> None:
    respx_mock.get(RUN_URL).respond(200, json=fixture_json("apify/run_failed.json"))
    cursor = 'apify:{"dataset":"wmKPijuyDnPZAPRMk","offset":0,"run":"HG7ML7M8z78YcAPEB"}'
    with pytest.raises(ActorRunFailedError, match="HG7ML7M8z78YcAPEB .* ended FAILED"):
        run_batches(make_context(), cursor=cursor)


def test_sync_run_failed_answer_is_run_failed(respx_mock) -> None:
    respx_mock.post(SYNC_URL).respond(
        400, json={"error": {"type": "run-failed", "message": "Actor run did not succeed (status: FAILED)"}}
    )
    with pytest.raises(ActorRunFailedError, match="did not succeed"):
        run_batches(make_context())


def test_run_that_never_finishes_is_transient_after_max_polls(respx_mock) -> None:
    sleeps: list[float] = []
    status = respx_mock.get(RUN_URL).respond(200, json=fixture_json("apify/run_running.json"))
    context = make_context(sleeps, provider_options={"apify_max_polls": 3, "apify_poll_interval_seconds": 1.0})
    cursor = 'apify:{"dataset":"wmKPijuyDnPZAPRMk","offset":0,"run":"HG7ML7M8z78YcAPEB"}'
    with pytest.raises(TransientError, match="still running"):
        run_batches(context, cursor=cursor)
    assert status.call_count == 3 and sleeps == [1.0, 1.0]


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, json={"items": []}),
        httpx.Response(200, text="<html>maintenance</html>", headers={"Content-Type": "text/html"}),
    ],
)
def test_malformed_sync_answer_is_schema_drift(respx_mock, response: httpx.Response) -> None:
    respx_mock.post(SYNC_URL).mock(return_value=response)
    with pytest.raises(SchemaDriftError):
        run_batches(make_context())


def test_run_object_without_id_is_schema_drift(respx_mock) -> None:
    respx_mock.post(SYNC_URL).respond(408)
    respx_mock.post(RUNS_URL).respond(201, json={"data": {"status": "READY"}})
    with pytest.raises(SchemaDriftError, match="data.id"):
        run_batches(make_context())


def test_corrupt_cursor_is_rejected_without_requests(respx_mock) -> None:
    with pytest.raises(FetchError, match="not an Apify cursor"):
        run_batches(make_context(), cursor="steam-cursor-AoIIPwYYan")
    assert respx_mock.calls.call_count == 0


def test_from_context_requires_a_token_and_uses_default_base() -> None:
    with pytest.raises(AuthConfigError, match="Trustpilot .* no Apify API token"):
        ApifyClient.from_context(FetchContext(), platform="Trustpilot")
    client = ApifyClient.from_context(FetchContext(credentials={"apify": TOKEN}), platform="Yelp")
    assert client.base_url == PROVIDER_BASE_URLS["apify"]
    assert TOKEN not in repr(client)
