"""The audit log: record() scrubs secrets; GET /api/v1/audit/events shows only the caller's events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditLog
from audit.services import record, scrub
from tests.factories_accounts import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(api_client):
    from accounts.services import _issue

    def _for(user):
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {_issue(user=user).access}")
        return api_client

    return _for


def test_scrub_masks_secret_keys_and_values() -> None:
    data = scrub(
        {
            "password": "hunter2",
            "new_password": "x",
            "api_key": "k",
            "refresh_token": "r",
            "nested": {"secret": 1},
            "note": "key sk-abcdefghijklmnop and whsec_QUJDREVGR0hJSktM",
            "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
            "fields": ["name"],
            "count": 3,
        }
    )
    assert data["password"] == data["new_password"] == data["api_key"] == data["refresh_token"] == "[redacted]"
    assert data["nested"] == {"secret": "[redacted]"}
    assert "sk-abc" not in data["note"] and "whsec_" not in data["note"] and "eyJ" not in data["jwt"]
    assert data["fields"] == ["name"] and data["count"] == 3


def test_events_list_is_scoped_to_the_caller(client_for) -> None:
    alice, bob = UserFactory(), UserFactory()
    first = record(event_type="auth.login", actor=alice)
    second = record(event_type="project.created", actor=alice, metadata={"name": "P"})
    record(event_type="auth.login", actor=bob)
    # stored at millisecond precision: make the order unambiguous
    AuditLog.objects.filter(pk=second.pk).update(created_at=first.created_at + timedelta(seconds=1))
    response = client_for(alice).get("/api/v1/audit/events")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [e["event_type"] for e in body["results"]] == ["project.created", "auth.login"]
    assert set(body["results"][0]) == {
        "id",
        "event_type",
        "success",
        "ip_address",
        "user_agent",
        "metadata",
        "created_at",
    }


def test_events_filters(client_for) -> None:
    user = UserFactory()
    now = timezone.now()
    for days, kind in [(10, "auth.login"), (5, "auth.logout"), (1, "project.created")]:
        AuditLog.objects.create(user=user, event_type=kind, created_at=now - timedelta(days=days))
    api = client_for(user)

    def kinds(**params) -> list[str]:
        response = api.get("/api/v1/audit/events", params)
        assert response.status_code == 200, response.content
        return [e["event_type"] for e in response.json()["results"]]

    assert kinds(event_type="auth.login") == ["auth.login"]
    assert kinds(event_type="auth.*") == ["auth.logout", "auth.login"]
    assert kinds(since=(now - timedelta(days=6)).isoformat()) == ["project.created", "auth.logout"]
    assert kinds(until=(now - timedelta(days=6)).isoformat()) == ["auth.login"]
    assert kinds(page_size=1) == ["project.created"]


@pytest.mark.parametrize(
    "params",
    [
        {"event_type": "$ne"},
        {"event_type": "a" * 65},
        {"since": "yesterday"},
        {"since": "2025-01-02T00:00:00Z", "until": "2025-01-01T00:00:00Z"},
        {"page": "0"},
        {"page": "abc"},
    ],
)
def test_events_bad_filters_are_4xx(client_for, params: dict) -> None:
    response = client_for(UserFactory()).get("/api/v1/audit/events", params)
    assert response.status_code in (400, 404)
    assert response.json()["error"]["message"]


def test_events_need_authentication(api_client) -> None:
    assert api_client.get("/api/v1/audit/events").status_code == 401
