"""Fixtures for the scrape-job layer: a local Steam fixture server, a fake results store, captured events.

Nothing here touches the network: the fixture server listens on 127.0.0.1 only, and platform base
URLs are pointed at it through ``SCRAPING_BASE_URLS``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PAGE1_CURSOR = "AoIIPwYYan/HzbUB+x=="
PAGE2_CURSOR = "AoIIPw3rZ2+kfTUC"
STEAM_PAGES = {
    "*": "appreviews_730_page1.json",
    PAGE1_CURSOR: "appreviews_730_page2.json",
    PAGE2_CURSOR: "appreviews_730_last_empty.json",
}
REVIEWS_PER_APP = 5  # 3 on page 1, 2 on page 2, then the empty last page


def steam_fixture(name: str) -> Any:
    return json.loads((FIXTURES / "steam" / name).read_text(encoding="utf-8"))


@dataclass
class SteamServer:
    """A local stand-in for store.steampowered.com's ``/appreviews/<app id>``.

    ``failing`` maps an app id to an HTTP status it always answers; ``malformed`` app ids get a
    page whose review is not in Steam's shape; ``on_request`` runs before each answer (tests use it
    to cancel a job mid-walk).
    """

    base_url: str = ""
    requests: list[tuple[int, str]] = field(default_factory=list)
    failing: dict[int, int] = field(default_factory=dict)
    malformed: set[int] = field(default_factory=set)
    throttled_once: set[int] = field(default_factory=set)
    on_request: Any = None

    def requests_for(self, app_id: int) -> int:
        return sum(1 for app, _ in self.requests if app == app_id)


@pytest.fixture
def steam_server(settings) -> Iterator[SteamServer]:
    state = SteamServer()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            parts = urlsplit(self.path)
            segments = parts.path.strip("/").split("/")
            if len(segments) != 2 or segments[0] != "appreviews" or not segments[1].isdigit():
                self._send(404, {"error": "no such route"})
                return
            app_id = int(segments[1])
            cursor = parse_qs(parts.query).get("cursor", ["*"])[0]
            with lock:
                state.requests.append((app_id, cursor))
                throttle = app_id in state.throttled_once
                state.throttled_once.discard(app_id)
            if state.on_request is not None:
                state.on_request(app_id, cursor)
            if throttle:
                self._send(429, {"error": "slow down"}, {"Retry-After": "0"})
            elif app_id in state.failing:
                status = state.failing[app_id]
                # Retry-After: 0 keeps the platform module's retries of a 5xx from sleeping in tests.
                self._send(status, {"success": 2}, {"Retry-After": "0"} if status >= 500 else None)
            elif app_id in state.malformed:
                self._send(200, steam_fixture("appreviews_malformed_author.json"))
            else:
                self._send(200, steam_fixture(STEAM_PAGES.get(cursor, "appreviews_730_last_empty.json")))

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    settings.SCRAPING_BASE_URLS = {"steam_store": state.base_url}
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


class FakeResults:
    """Stands in for ``results.services.results_ingest`` with its contract: unique (target, platform_id)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], str] = {}
        self.calls = 0

    def __call__(self, *, job: Any, target: Any, reviews: list[Any]) -> int:
        self.calls += 1
        new = 0
        for review in reviews:
            key = (str(target.pk), review.platform_id)
            if key not in self.rows:
                self.rows[key] = str(job.pk)
                new += 1
        return new

    def count(self, target: Any = None) -> int:
        if target is None:
            return len(self.rows)
        return sum(1 for target_id, _ in self.rows if target_id == str(target.pk))


@pytest.fixture
def results_store(monkeypatch) -> FakeResults:
    store = FakeResults()
    monkeypatch.setattr("scraping.runner.ingest_reviews", store)
    return store


@pytest.fixture
def events(monkeypatch) -> list[tuple[str, dict[str, Any]]]:
    captured: list[tuple[str, dict[str, Any]]] = []

    def emit(event_type: str, *, user: Any, project: Any = None, data: Any) -> int:
        captured.append((event_type, dict(data)))
        return 0

    monkeypatch.setattr("scraping.services.emit_event", emit)
    monkeypatch.setattr("scraping.runner.emit_event", emit)
    return captured


@pytest.fixture(autouse=True)
def _scraping_settings(settings) -> None:
    # Rate limits have their own Redis tests; here they would only make tests wait.
    settings.SCRAPING_RATE_LIMITS_ENABLED = False
    settings.SCRAPING_CREDENTIALS = {}
    settings.SCRAPING_BASE_URLS = {}


@pytest.fixture
def owner():
    from tests.factories_accounts import UserFactory

    return UserFactory()


@pytest.fixture
def project(owner):
    from tests.factories_projects import ProjectFactory

    return ProjectFactory(user=owner)


@pytest.fixture
def make_target(project):
    from tests.factories_projects import TargetFactory

    def make(app_id: int, **kwargs: Any):
        return TargetFactory(
            project=kwargs.pop("project", project),
            platform="steam",
            platform_data={"app_id": app_id},
            url=f"https://store.steampowered.com/app/{app_id}/",
            **kwargs,
        )

    return make
