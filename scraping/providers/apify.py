"""Apify provider (docs/platforms.md section 9): run an actor and read its dataset.

Flow of ``ApifyClient.iter_batches``:

1. ``POST /v2/acts/{actor}/run-sync-get-dataset-items``: one request that waits for the run and
   returns every item. Good for the usual case (a few hundred reviews, well under five minutes).
2. If the run outlives the sync window the API answers 408 while the run goes on. We then start
   an asynchronous run (``POST /v2/acts/{actor}/runs``), hand back its id at once as a checkpoint
   cursor, poll ``GET /v2/actor-runs/{id}?waitForFinish=…`` (sleeping through ``context.sleep``
   between polls) and page ``GET /v2/datasets/{id}/items`` by offset. Each batch carries the
   cursor of the next one, so a Celery task that dies mid-way resumes the same run, never a new one.

The token goes in the ``Authorization`` header, never in the URL, and no message includes it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from scraping.platforms import base
from scraping.platforms._commerce import rebuild_error, redact
from scraping.platforms.http import json_body, request_with_retries

PROVIDER_BASE_URLS = {"apify": "https://api.apify.com"}
SOURCE = "apify"

# The sync endpoint holds the connection for up to 300 s and then answers 408, so the read timeout
# must be longer than that or we would cut off runs that are about to finish.
SYNC_TIMEOUT = httpx.Timeout(330.0, connect=10.0)
# ``waitForFinish`` makes the API hold a status request for up to 60 s.
POLL_WAIT_SECONDS = 60
POLL_TIMEOUT = httpx.Timeout(POLL_WAIT_SECONDS + 30.0, connect=10.0)
DATASET_PAGE_SIZE = 1000

TERMINAL_STATUSES = frozenset({"SUCCEEDED", "FAILED", "TIMED-OUT", "ABORTED"})
# A timed-out run still holds what it collected before the timeout: read it rather than lose it.
READABLE_STATUSES = frozenset({"SUCCEEDED", "TIMED-OUT"})

_CURSOR_PREFIX = "apify:"


class ActorInputError(base.FetchError):
    """Apify rejected the actor input (400). Retrying the same input cannot succeed."""

    code = "invalid_input"


class ActorRunFailedError(base.FetchError):
    """The actor run ended FAILED or ABORTED; its log in the Apify console says why."""

    code = "provider_run_failed"


@dataclass(frozen=True)
class ApifyRun:
    run_id: str
    status: str
    dataset_id: str


@dataclass(frozen=True)
class ApifyBatch:
    """Items from one request. ``cursor`` resumes after this batch; None means the run is done.

    A batch with no items and a cursor is a checkpoint: the run id is known but the run is not
    finished, and the caller should persist the cursor before waiting further.
    """

    items: list[Any]
    cursor: str | None
    requests_made: int = 1


@dataclass(frozen=True)
class _RunCursor:
    run_id: str
    dataset_id: str
    offset: int

    def encode(self) -> str:
        payload = {"run": self.run_id, "dataset": self.dataset_id, "offset": self.offset}
        return _CURSOR_PREFIX + json.dumps(payload, separators=(",", ":"), sort_keys=True)

    @classmethod
    def decode(cls, cursor: str) -> _RunCursor:
        try:
            if not cursor.startswith(_CURSOR_PREFIX):
                raise ValueError("prefix")
            payload = json.loads(cursor[len(_CURSOR_PREFIX) :])
            return cls(run_id=str(payload["run"]), dataset_id=str(payload["dataset"]), offset=int(payload["offset"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise base.FetchError("not an Apify cursor: the checkpoint is corrupt or from another provider") from exc


@dataclass(frozen=True)
class ApifyClient:
    """Calls the Apify API with an explicit token. ``token`` is excluded from ``repr``.

    ``max_polls`` bounds one ``iter_batches`` call; past it a ``TransientError`` tells the task to
    come back later with the checkpoint cursor it already holds.
    """

    token: str = field(repr=False)
    base_url: str = PROVIDER_BASE_URLS["apify"]
    poll_interval_seconds: float = 5.0
    max_polls: int = 60
    page_size: int = DATASET_PAGE_SIZE

    @classmethod
    def from_context(cls, context: base.FetchContext, *, platform: str) -> ApifyClient:
        token = context.credentials.get("apify")
        if not token:
            raise base.AuthConfigError(
                f"{platform} reviews are collected through Apify, but no Apify API token is configured; "
                "add the token in the integration settings"
            )
        options = context.provider_options
        return cls(
            token=token,
            base_url=(context.base_urls.get("apify") or PROVIDER_BASE_URLS["apify"]).rstrip("/"),
            poll_interval_seconds=float(options.get("apify_poll_interval_seconds", 5.0)),
            max_polls=int(options.get("apify_max_polls", 60)),
            page_size=int(options.get("apify_page_size", DATASET_PAGE_SIZE)),
        )

    # --- public operations ---------------------------------------------------------------------

    def iter_batches(
        self,
        client: httpx.Client,
        actor_id: str,
        run_input: Mapping[str, Any],
        *,
        context: base.FetchContext,
        cursor: str | None = None,
        max_items: int | None = None,
    ) -> Iterator[ApifyBatch]:
        """Run ``actor_id`` on ``run_input`` (or resume ``cursor``) and yield its items in batches."""
        if cursor is None:
            items = self.run_sync_get_items(client, actor_id, run_input, context=context, max_items=max_items)
            if items is not None:
                yield ApifyBatch(items=items, cursor=None)
                return
            run = self.start_run(client, actor_id, run_input, context=context, max_items=max_items)
            state = _RunCursor(run_id=run.run_id, dataset_id=run.dataset_id, offset=0)
            # Two requests so far: the sync attempt that answered 408 and the run start.
            yield ApifyBatch(items=[], cursor=state.encode(), requests_made=2)
        else:
            state = _RunCursor.decode(cursor)
        run, polls = self.wait_for_run(client, state.run_id, context=context)
        if run.status not in READABLE_STATUSES:
            raise ActorRunFailedError(
                f"Apify run {run.run_id} of {actor_id} ended {run.status}; see the run log in the Apify console"
            )
        dataset_id = run.dataset_id or state.dataset_id
        if not dataset_id:
            raise base.SchemaDriftError(f"Apify run {run.run_id}: no defaultDatasetId in the run object")
        requests = polls
        offset = state.offset
        while True:
            items, total = self.get_dataset_items(
                client, dataset_id, offset=offset, limit=self.page_size, context=context
            )
            requests += 1
            # Offsets count raw dataset positions; ``clean=true`` may drop empty items from a page,
            # so advance by the page size and trust the total when the API reports it.
            offset += self.page_size
            done = offset >= total if total is not None else len(items) < self.page_size
            next_cursor = None if done else _RunCursor(run.run_id, dataset_id, offset).encode()
            yield ApifyBatch(items=items, cursor=next_cursor, requests_made=requests)
            if done:
                return
            requests = 0

    def run_sync_get_items(
        self,
        client: httpx.Client,
        actor_id: str,
        run_input: Mapping[str, Any],
        *,
        context: base.FetchContext,
        max_items: int | None = None,
    ) -> list[Any] | None:
        """Run the actor and wait for its items; None when the run outlived the sync window (408)."""
        params: dict[str, Any] = {"format": "json", "clean": "true"}
        if max_items:
            params["maxItems"] = max_items
        response = self._send(
            client,
            "POST",
            f"/v2/acts/{quote(actor_id, safe='~')}/run-sync-get-dataset-items",
            context=context,
            params=params,
            json=dict(run_input),
            timeout=SYNC_TIMEOUT,
        )
        if response.status_code == 408:
            return None
        self._raise_for_status(response, what=f"actor {actor_id}", actor_lookup=True)
        return _as_item_list(json_body(response, "Apify run-sync-get-dataset-items"), "run-sync-get-dataset-items")

    def start_run(
        self,
        client: httpx.Client,
        actor_id: str,
        run_input: Mapping[str, Any],
        *,
        context: base.FetchContext,
        max_items: int | None = None,
    ) -> ApifyRun:
        params: dict[str, Any] = {}
        if max_items:
            params["maxItems"] = max_items
        response = self._send(
            client,
            "POST",
            f"/v2/acts/{quote(actor_id, safe='~')}/runs",
            context=context,
            params=params or None,
            json=dict(run_input),
        )
        self._raise_for_status(response, what=f"actor {actor_id}", actor_lookup=True)
        return _as_run(json_body(response, "Apify start run"))

    def get_run(self, client: httpx.Client, run_id: str, *, context: base.FetchContext) -> ApifyRun:
        response = self._send(
            client,
            "GET",
            f"/v2/actor-runs/{quote(run_id, safe='')}",
            context=context,
            params={"waitForFinish": POLL_WAIT_SECONDS},
            timeout=POLL_TIMEOUT,
        )
        self._raise_for_status(response, what=f"run {run_id}")
        return _as_run(json_body(response, "Apify run status"))

    def wait_for_run(self, client: httpx.Client, run_id: str, *, context: base.FetchContext) -> tuple[ApifyRun, int]:
        """Poll until the run reaches a terminal status; return it and the number of polls made."""
        sleep = context.sleep or time.sleep
        for poll in range(1, self.max_polls + 1):
            run = self.get_run(client, run_id, context=context)
            if run.status in TERMINAL_STATUSES:
                return run, poll
            if poll < self.max_polls:
                # waitForFinish usually holds the request for a minute; this pause only matters when
                # the API answers early, so polling never turns into a busy loop.
                sleep(self.poll_interval_seconds)
        raise base.TransientError(
            f"Apify run {run_id} is still running after {self.max_polls} status checks; resume from the checkpoint",
            retry_after=float(POLL_WAIT_SECONDS),
        )

    def get_dataset_items(
        self, client: httpx.Client, dataset_id: str, *, offset: int, limit: int, context: base.FetchContext
    ) -> tuple[list[Any], int | None]:
        """One page of dataset items and the dataset's total count when the API reports it."""
        response = self._send(
            client,
            "GET",
            f"/v2/datasets/{quote(dataset_id, safe='~')}/items",
            context=context,
            params={"format": "json", "clean": "true", "offset": offset, "limit": limit},
        )
        self._raise_for_status(response, what=f"dataset {dataset_id}")
        items = _as_item_list(json_body(response, "Apify dataset items"), "dataset items")
        total_header = response.headers.get("X-Apify-Pagination-Total")
        total = int(total_header) if total_header and total_header.isdigit() else None
        return items, total

    # --- plumbing ------------------------------------------------------------------------------

    def _send(
        self,
        client: httpx.Client,
        method: str,
        path: str,
        *,
        context: base.FetchContext,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        try:
            return request_with_retries(
                client,
                method,
                self.base_url + path,
                context=context,
                params=params,
                headers=headers,
                json=json,
                timeout=timeout,
            )
        except base.FetchError as exc:
            raise rebuild_error(exc, redact(exc.message, self.token)) from None

    def _raise_for_status(self, response: httpx.Response, *, what: str, actor_lookup: bool = False) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        error_type, message = _error_fields(response)
        detail = redact(f"{error_type or 'error'}: {message}" if message else error_type or "no details", self.token)
        if status == 400:
            if error_type == "run-failed":
                raise ActorRunFailedError(f"Apify {what}: the run did not succeed ({detail})", status_code=400)
            raise ActorInputError(f"Apify {what} rejected its input ({detail}); check the actor input", status_code=400)
        if status == 401:
            raise base.AuthConfigError(
                "Apify rejected the API token (401); check the token in settings", status_code=401
            )
        if status == 402 or (status == 403 and _mentions_limits(error_type, message)):
            raise base.QuotaExhaustedError(
                f"Apify refused {what}: usage limit or credit exhausted ({detail})", status_code=status
            )
        if status == 403:
            raise base.AuthConfigError(
                f"Apify token is not allowed to use {what} ({detail}); check the token's permissions",
                status_code=403,
            )
        if status == 404:
            if actor_lookup:
                raise base.AuthConfigError(
                    f"Apify {what} was not found; check the actor name in settings ({detail})", status_code=404
                )
            raise base.NotFoundError(f"Apify {what} was not found ({detail})", status_code=404)
        raise base.FetchError(f"Apify {what} answered HTTP {status} ({detail})", status_code=status)


def _error_fields(response: httpx.Response) -> tuple[str, str]:
    try:
        payload = response.json()
    except ValueError:
        return "", ""
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        return "", ""
    return str(error.get("type") or ""), str(error.get("message") or "")[:300]


def _mentions_limits(error_type: str, message: str) -> bool:
    text = f"{error_type} {message}".lower()
    return any(word in text for word in ("limit", "usage", "credit", "quota", "payment", "billing"))


def _as_item_list(payload: Any, what: str) -> list[Any]:
    if not isinstance(payload, list):
        raise base.SchemaDriftError(f"Apify {what}: expected a JSON array of items, got {type(payload).__name__}")
    return payload


def _as_run(payload: Any) -> ApifyRun:
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict) or not data.get("id") or not data.get("status"):
        raise base.SchemaDriftError("Apify run object: missing data.id or data.status")
    return ApifyRun(
        run_id=str(data["id"]), status=str(data["status"]), dataset_id=str(data.get("defaultDatasetId") or "")
    )
