"""me (GET/PATCH/DELETE), usage against limits, API throttling and the monthly quota."""

from __future__ import annotations

import time

import pytest

from accounts.models import RefreshToken, User
from accounts.quotas import _users, quota_reserve
from audit.models import AuditLog
from projects.schedule_math import ScheduleRule
from tests.factories_accounts import UserFactory

pytestmark = pytest.mark.django_db


def test_me_patch_changes_profile_and_settings_only(authed, user) -> None:
    _users().update_one({"_id": user.pk}, {"$inc": {"usage.scrapes_this_month": 7}})  # concurrent counter change
    response = authed.patch(
        "/api/v1/auth/me",
        {
            "name": "New Name",
            "company": "ACME",
            "settings": {"timezone": "Europe/Berlin", "results_per_page": 50},
            "plan": "enterprise",
            "email": "hijack@example.com",
            "role": "admin",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "New Name" and body["company"] == "ACME"
    assert body["settings"]["timezone"] == "Europe/Berlin" and body["settings"]["results_per_page"] == 50
    assert body["settings"]["dashboard_layout"] == "grid"  # untouched
    user.refresh_from_db()
    assert user.plan == "standard" and user.email.startswith("user") and user.role == "user"
    assert user.usage.scrapes_this_month == 7  # the save did not clobber the counter
    entry = AuditLog.objects.get(user=user, event_type="account.updated")
    assert entry.metadata["fields"] == ["name", "company", "settings.timezone", "settings.results_per_page"]


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"avatar_url": "javascript:alert(1)"}, "avatar_url"),
        ({"settings": {"timezone": "Mars/Olympus"}}, "settings"),
        # zoneinfo loads these, but project schedules refuse them (the user's zone is their default)
        ({"settings": {"timezone": "posixrules"}}, "settings"),
        ({"settings": {"timezone": "Factory"}}, "settings"),
        ({"settings": {"timezone": "localtime"}}, "settings"),
        ({"settings": {"results_per_page": 1000}}, "settings"),
        ({"settings": {"dashboard_layout": "table"}}, "settings"),
        ({"settings": "dark"}, "settings"),
    ],
)
def test_me_patch_rejects_bad_input(authed, user, payload: dict, field: str) -> None:
    response = authed.patch("/api/v1/auth/me", payload, format="json")
    assert response.status_code == 400 and field in response.json()["error"]["details"]
    assert not AuditLog.objects.filter(event_type="account.updated").exists()


def test_me_timezone_is_one_a_project_schedule_accepts(authed, user) -> None:
    zone = "America/Argentina/Buenos_Aires"
    response = authed.patch("/api/v1/auth/me", {"settings": {"timezone": zone}}, format="json")
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    rule = ScheduleRule(frequency="daily", time="09:00", timezone=user.settings.timezone)
    assert rule.timezone == zone


def test_me_delete_soft_deletes_and_ends_sessions(authed, user) -> None:
    response = authed.delete("/api/v1/auth/me")
    assert response.status_code == 204
    user.refresh_from_db()
    assert user.status == "deleted" and user.deleted_at is not None
    assert RefreshToken.objects.filter(user=user, revoked_at=None).count() == 0
    # the access token stops working at once, the refresh token too, and login is refused
    assert authed.get("/api/v1/auth/me").status_code == 401
    refresh = authed.post("/api/v1/auth/refresh", {"refresh": authed.tokens["refresh"]}, format="json")
    assert refresh.status_code == 401
    assert AuditLog.objects.filter(user=user, event_type="account.deleted").count() == 1
    assert User.objects.filter(pk=user.pk).exists()  # data kept for the retention command


def test_usage_shows_counters_against_limits(authed, user) -> None:
    quota_reserve(user=user, limit="projects", amount=2)
    response = authed.get("/api/v1/auth/me/usage")
    assert response.status_code == 200
    body = response.json()
    assert body["plan"] == "standard"
    assert body["projects"] == {"used": 2, "limit": 10, "remaining": 8}
    assert body["scrape_jobs_per_month"] == {"used": 0, "limit": 500, "remaining": 500}
    assert body["api_calls_per_month"]["limit"] == 100_000
    assert body["targets_per_project"] == 50 and body["results_retention_days"] == 90
    assert "openai" in body["llm_providers"]


def test_api_calls_are_counted_and_carry_rate_limit_headers(authed, user) -> None:
    before = _users().find_one({"_id": user.pk})["usage"]["api_calls_this_month"]
    first = authed.get("/api/v1/audit/events")
    second = authed.get("/api/v1/audit/events")
    assert first.status_code == second.status_code == 200
    assert first["X-RateLimit-Limit"] == "120"
    assert int(first["X-RateLimit-Remaining"]) - int(second["X-RateLimit-Remaining"]) == 1
    assert int(first["X-RateLimit-Reset"]) > time.time()
    assert _users().find_one({"_id": user.pk})["usage"]["api_calls_this_month"] == before + 2


def test_per_minute_throttle_answers_429(api_client, login) -> None:
    user = UserFactory(plan="starter")  # 60 calls per minute
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {login(user.email)['access']}")
    statuses = [api_client.get("/api/v1/auth/me").status_code for _ in range(61)]
    assert statuses.count(200) == 60 and statuses[-1] == 429
    last = api_client.get("/api/v1/auth/me")
    assert last.status_code == 429 and last.json()["error"]["code"] == "throttled"
    assert last["X-RateLimit-Remaining"] == "0" and int(last["Retry-After"]) <= 60


def test_monthly_quota_exceeded_is_403_with_headers(authed, user) -> None:
    _users().update_one({"_id": user.pk}, {"$set": {"usage.api_calls_this_month": 100_000}})
    response = authed.get("/api/v1/audit/events")
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "quota_exceeded"
    assert error["details"] == {"limit": "api_calls_per_month", "value": 100_000, "used": 100_000}
    assert response["X-RateLimit-Limit"] == "120"
    assert AuditLog.objects.filter(user=user, event_type="quota.exceeded", success=False).exists()
    # account endpoints keep working so the user can see why
    usage = authed.get("/api/v1/auth/me/usage")
    assert usage.status_code == 200 and usage.json()["api_calls_per_month"]["remaining"] == 0


def test_quota_reserve_is_atomic_at_the_edge(user) -> None:
    from sentimatrix.api.errors import QuotaExceededError

    _users().update_one({"_id": user.pk}, {"$set": {"usage.projects_count": 9}})
    quota_reserve(user=user, limit="projects")
    with pytest.raises(QuotaExceededError) as exc:
        quota_reserve(user=user, limit="projects")
    assert exc.value.details == {"limit": "projects", "value": 10, "used": 10}
    assert _users().find_one({"_id": user.pk})["usage"]["projects_count"] == 10


def test_throttle_fails_open_without_redis(authed, settings) -> None:
    from accounts import ratelimit

    settings.RATE_LIMIT_REDIS_URL = "redis://127.0.0.1:1/0"
    ratelimit._client.cache_clear()
    try:
        response = authed.get("/api/v1/auth/me")
    finally:
        ratelimit._client.cache_clear()
    assert response.status_code == 200 and "X-RateLimit-Limit" not in response
