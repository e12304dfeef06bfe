from __future__ import annotations

import pytest

from sentimatrix import health

pytestmark = pytest.mark.django_db


def test_live(client) -> None:
    response = client.get("/health/live")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_ready_names_the_failing_part(client, monkeypatch) -> None:
    monkeypatch.setattr(health, "check_redis", lambda: "ConnectionError: refused")
    response = client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["redis"]
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["error"] == "ConnectionError: refused"


def test_ready_when_everything_answers(client, monkeypatch) -> None:
    monkeypatch.setattr(health, "check_redis", lambda: None)
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_database_failure_is_reported(client, monkeypatch) -> None:
    monkeypatch.setattr(health, "check_database", lambda: "ServerSelectionTimeoutError: no servers")
    monkeypatch.setattr(health, "check_redis", lambda: None)
    response = client.get("/health/ready")
    assert response.status_code == 503 and response.json()["failing"] == ["database"]
