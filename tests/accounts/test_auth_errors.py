"""Bad input on every auth endpoint answers 4xx in the envelope, never 500, and stores nothing."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from accounts import services
from accounts.models import RefreshToken, User
from audit.models import AuditLog
from tests.factories_accounts import UserFactory

pytestmark = pytest.mark.django_db


def _error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["message"]
    if code:
        assert error["code"] == code
    return error


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"email": "not-an-email", "name": "A", "password": "Str0ng-pass"}, "email"),
        ({"email": "a@example.com", "name": "", "password": "Str0ng-pass"}, "name"),
        ({"email": "a@example.com", "name": "A", "password": "short1A"}, "password"),
        ({"email": "a@example.com", "name": "A", "password": "alllowercase1"}, "password"),
        ({"email": "a@example.com", "name": "A", "password": "ALLUPPERCASE1"}, "password"),
        ({"email": "a@example.com", "name": "A", "password": "NoDigitsHere"}, "password"),
        ({"email": "a@example.com", "name": "A", "password": "Aa1" + "x" * 126}, "password"),
        ({"email": "a@example.com", "name": "A", "password": "Password1"}, "password"),  # a common password
        ({"email": "a@example.com", "name": "A"}, "password"),
        ({"email": {"$ne": None}, "name": "A", "password": "Str0ng-pass"}, "email"),
    ],
)
def test_register_rejects_bad_input(api_client, payload: dict, field: str) -> None:
    error = _error(api_client.post("/api/v1/auth/register", payload, format="json"), 400, "validation_error")
    assert field in error["details"]
    assert User.objects.count() == 0


def test_register_taken_email_is_409_without_details(api_client) -> None:
    existing = UserFactory(email="taken@example.com", status=User.Status.SUSPENDED)
    payload = {"email": "TAKEN@example.com", "name": "B", "password": "Str0ng-pass"}
    error = _error(api_client.post("/api/v1/auth/register", payload, format="json"), 409, "email_taken")
    assert "suspend" not in error["message"].lower() and error["details"] == {}
    assert User.objects.count() == 1 and User.objects.get().pk == existing.pk


def test_password_rules_accept_a_128_character_passphrase(api_client) -> None:
    password = "Aa1-" + "correct horse battery staple " * 4
    password = password[:128]
    response = api_client.post(
        "/api/v1/auth/register", {"email": "long@example.com", "name": "L", "password": password}, format="json"
    )
    assert response.status_code == 201, response.content


def test_login_wrong_password_and_unknown_email_look_the_same(api_client, user) -> None:
    wrong = _error(
        api_client.post("/api/v1/auth/login", {"email": user.email, "password": "Wrong-pass1"}, format="json"),
        401,
        "invalid_credentials",
    )
    unknown = _error(
        api_client.post("/api/v1/auth/login", {"email": "x@example.com", "password": "Wrong-pass1"}, format="json"),
        401,
        "invalid_credentials",
    )
    assert wrong["message"] == unknown["message"]
    failures = AuditLog.objects.filter(event_type="auth.login_failed").order_by("created_at", "id")
    assert [(f.user_id, f.metadata["reason"], f.success) for f in failures] == [
        (user.pk, "bad_password", False),
        (None, "unknown_email", False),
    ]
    assert all("Wrong-pass1" not in str(f.metadata) for f in failures)
    assert RefreshToken.objects.count() == 0


def test_suspended_user_is_refused_with_403_deleted_with_401(api_client) -> None:
    suspended = UserFactory(status=User.Status.SUSPENDED)
    deleted = UserFactory(status=User.Status.DELETED)
    _error(
        api_client.post("/api/v1/auth/login", {"email": suspended.email, "password": "Passw0rd-123"}, format="json"),
        403,
        "account_suspended",
    )
    _error(
        api_client.post("/api/v1/auth/login", {"email": deleted.email, "password": "Passw0rd-123"}, format="json"),
        401,
        "invalid_credentials",
    )
    assert RefreshToken.objects.count() == 0


def test_login_lockout_after_repeated_failures(api_client, user, settings) -> None:
    settings.LOGIN_MAX_FAILURES_PER_EMAIL = 3
    for _ in range(3):
        _error(
            api_client.post("/api/v1/auth/login", {"email": user.email, "password": "Bad-pass1"}, format="json"), 401
        )
    # even the right password is refused while locked
    response = api_client.post("/api/v1/auth/login", {"email": user.email, "password": "Passw0rd-123"}, format="json")
    error = _error(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= settings.LOGIN_LOCKOUT_SECONDS
    assert "Too many failed logins" in error["message"]
    # another address from the same client is unaffected
    other = UserFactory()
    ok = api_client.post("/api/v1/auth/login", {"email": other.email, "password": "Passw0rd-123"}, format="json")
    assert ok.status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/auth/refresh", "/api/v1/auth/logout"])
@pytest.mark.parametrize("payload", [{}, {"refresh": ""}, {"refresh": ["x"]}, {"refresh": "x" * 600}])
def test_refresh_and_logout_need_a_token(api_client, path: str, payload: dict) -> None:
    _error(api_client.post(path, payload, format="json"), 400, "validation_error")


def test_unknown_refresh_token_is_401(api_client) -> None:
    _error(api_client.post("/api/v1/auth/refresh", {"refresh": "made-up"}, format="json"), 401, "invalid_refresh_token")
    assert api_client.post("/api/v1/auth/logout", {"refresh": "made-up"}, format="json").status_code == 204


def test_expired_refresh_token_is_401(api_client, user, login, settings) -> None:
    body = login(user.email)
    RefreshToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    error = _error(api_client.post("/api/v1/auth/refresh", {"refresh": body["refresh"]}, format="json"), 401)
    # the TTL index removes expired tokens (the emulator applies it too), so "unknown" is as good
    assert error["code"] in {"refresh_token_expired", "invalid_refresh_token"}


def test_refresh_token_past_its_expiry_is_refresh_token_expired(api_client, user, login, monkeypatch) -> None:
    body = login(user.email)
    token = RefreshToken.objects.get(user=user)
    assert token.expires_at > timezone.now()  # still stored: the TTL index has nothing to remove
    later = token.expires_at + timedelta(seconds=1)
    monkeypatch.setattr(services, "timezone", SimpleNamespace(now=lambda: later))  # the services' clock only
    error = _error(api_client.post("/api/v1/auth/refresh", {"refresh": body["refresh"]}, format="json"), 401)
    assert error["code"] == "refresh_token_expired"
    token.refresh_from_db()
    assert token.used_at is None and token.revoked_at is None  # not spent, nothing issued
    assert RefreshToken.objects.filter(user=user).count() == 1


def test_refresh_of_a_suspended_user_ends_the_session(api_client, user, login) -> None:
    body = login(user.email)
    User.objects.filter(pk=user.pk).update(status=User.Status.SUSPENDED)
    _error(
        api_client.post("/api/v1/auth/refresh", {"refresh": body["refresh"]}, format="json"), 401, "account_inactive"
    )
    assert RefreshToken.objects.filter(revoked_at=None).count() == 0


def test_reuse_leeway_setting_allows_a_quick_retry(api_client, user, login, settings) -> None:
    settings.REFRESH_TOKEN_REUSE_LEEWAY_SECONDS = 30
    body = login(user.email)
    first = api_client.post("/api/v1/auth/refresh", {"refresh": body["refresh"]}, format="json")
    retry = api_client.post("/api/v1/auth/refresh", {"refresh": body["refresh"]}, format="json")
    assert first.status_code == retry.status_code == 200
    assert not AuditLog.objects.filter(event_type="auth.refresh_reuse").exists()


def test_family_never_outlives_its_absolute_cap(api_client, user, login) -> None:
    body = login(user.email)
    token = RefreshToken.objects.get()
    assert (token.family_expires_at - token.created_at).days == 30
    assert (token.expires_at - token.created_at).days == 14
    cap = token.created_at + timedelta(days=2)
    RefreshToken.objects.update(family_expires_at=cap)
    new = api_client.post("/api/v1/auth/refresh", {"refresh": body["refresh"]}, format="json")
    assert new.status_code == 200
    child = RefreshToken.objects.get(used_at=None)
    assert child.expires_at == child.family_expires_at == cap


def test_password_change_needs_the_current_password(authed, user) -> None:
    error = _error(
        authed.post(
            "/api/v1/auth/me/password",
            {"current_password": "Nope-1234", "new_password": "N3w-pass-word"},
            format="json",
        ),
        400,
        "validation_error",
    )
    assert "current_password" in error["details"]
    error = _error(
        authed.post(
            "/api/v1/auth/me/password", {"current_password": "Passw0rd-123", "new_password": "weak"}, format="json"
        ),
        400,
        "validation_error",
    )
    assert "new_password" in error["details"]
    user.refresh_from_db()
    assert user.check_password("Passw0rd-123")


@pytest.mark.parametrize(
    "payload",
    [
        {"uid": "garbage", "token": "x-y", "new_password": "Str0ng-pass"},
        {"uid": "", "token": "", "new_password": "Str0ng-pass"},
        {"uid": "NjViMmFhYmJjY2RkZWVmZjAwMTEyMjMz", "token": "abc-def", "new_password": "Str0ng-pass"},
    ],
)
def test_reset_with_bad_link_is_400(api_client, payload: dict) -> None:
    response = api_client.post("/api/v1/auth/password/reset", payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] in {"invalid_token", "validation_error"}


def test_forgot_is_rate_limited_per_address_silently(api_client, user, settings) -> None:
    from django.core import mail

    settings.PASSWORD_RESET_EMAILS_PER_HOUR = 2
    for _ in range(4):
        assert api_client.post("/api/v1/auth/password/forgot", {"email": user.email}, format="json").status_code == 202
    assert len(mail.outbox) == 2


def test_me_requires_authentication(api_client) -> None:
    for method in ("get", "patch", "delete"):
        _error(getattr(api_client, method)("/api/v1/auth/me"), 401, "not_authenticated")
    _error(api_client.get("/api/v1/auth/me/usage"), 401)
    _error(api_client.post("/api/v1/auth/me/password", {}, format="json"), 401)
    _error(api_client.post("/api/v1/auth/email/verify/send"), 401)
