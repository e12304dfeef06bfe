"""The whole account life cycle through the API, with its audit trail."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from accounts.models import RefreshToken, User
from audit.models import AuditLog

pytestmark = pytest.mark.django_db

PASSWORD = "Str0ng-passphrase"
UA = {"HTTP_USER_AGENT": "pytest-browser/1.0", "REMOTE_ADDR": "203.0.113.7"}


def _link_params(body: str) -> dict:
    match = re.search(r"\?uid=([\w-]+)&token=([\w-]+)", body)
    assert match, body
    return {"uid": match.group(1), "token": match.group(2)}


def _events(user: User) -> list[str]:
    return list(AuditLog.objects.filter(user=user).order_by("created_at", "id").values_list("event_type", flat=True))


def test_register_verify_login_refresh_reuse_password_logout(api_client) -> None:
    # register
    response = api_client.post(
        "/api/v1/auth/register", {"email": "Ada@Example.COM", "name": "Ada", "password": PASSWORD}, format="json", **UA
    )
    assert response.status_code == 201, response.content
    assert response.json()["email"] == "ada@example.com"
    assert response.json()["email_verified"] is False
    user = User.objects.get(email="ada@example.com")
    assert user.check_password(PASSWORD) and user.password.startswith("md5$")

    # verify e-mail with the mailed link
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ada@example.com"]
    params = _link_params(mail.outbox[0].body)
    response = api_client.post("/api/v1/auth/email/verify", params, format="json", **UA)
    assert response.status_code == 200 and response.json()["email_verified"] is True
    again = api_client.post("/api/v1/auth/email/verify", params, format="json")
    assert again.status_code == 400 and again.json()["error"]["code"] == "invalid_token"

    # login
    response = api_client.post(
        "/api/v1/auth/login", {"email": "ada@example.com", "password": PASSWORD}, format="json", **UA
    )
    assert response.status_code == 200, response.content
    first = response.json()
    assert first["token_type"] == "Bearer" and first["user"]["email"] == "ada@example.com"
    me = api_client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {first['access']}")
    assert me.status_code == 200 and me.json()["email_verified"] is True
    stored = RefreshToken.objects.get(user=user)
    assert stored.token_hash != first["refresh"] and len(stored.token_hash) == 64
    assert stored.user_agent == "pytest-browser/1.0" and stored.ip_address == "203.0.113.7"

    # refresh rotates within the family
    response = api_client.post("/api/v1/auth/refresh", {"refresh": first["refresh"]}, format="json", **UA)
    assert response.status_code == 200, response.content
    second = response.json()
    assert second["refresh"] != first["refresh"]
    tokens = RefreshToken.objects.filter(user=user)
    assert tokens.count() == 2 and len({t.family_id for t in tokens}) == 1

    # reuse the spent token: the whole family dies, audited
    response = api_client.post("/api/v1/auth/refresh", {"refresh": first["refresh"]}, format="json", **UA)
    assert response.status_code == 401 and response.json()["error"]["code"] == "refresh_token_reused"
    assert RefreshToken.objects.filter(user=user, revoked_at=None).count() == 0
    response = api_client.post("/api/v1/auth/refresh", {"refresh": second["refresh"]}, format="json")
    assert response.status_code == 401 and response.json()["error"]["code"] == "session_revoked"
    reuse = AuditLog.objects.get(user=user, event_type="auth.refresh_reuse")
    assert reuse.success is False and reuse.ip_address == "203.0.113.7" and reuse.user_agent == "pytest-browser/1.0"

    # log in twice (two sessions), change the password from one: the other ends
    a = api_client.post("/api/v1/auth/login", {"email": "ada@example.com", "password": PASSWORD}, format="json").json()
    b = api_client.post("/api/v1/auth/login", {"email": "ada@example.com", "password": PASSWORD}, format="json").json()
    response = api_client.post(
        "/api/v1/auth/me/password",
        {"current_password": PASSWORD, "new_password": "N3w-passphrase"},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {a['access']}",
        **UA,
    )
    assert response.status_code == 200 and response.json()["sessions_ended"] == 1
    assert api_client.post("/api/v1/auth/refresh", {"refresh": b["refresh"]}, format="json").status_code == 401
    a2 = api_client.post("/api/v1/auth/refresh", {"refresh": a["refresh"]}, format="json")
    assert a2.status_code == 200
    bad = api_client.post("/api/v1/auth/login", {"email": "ada@example.com", "password": PASSWORD}, format="json")
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_credentials"

    # logout ends the session
    response = api_client.post("/api/v1/auth/logout", {"refresh": a2.json()["refresh"]}, format="json", **UA)
    assert response.status_code == 204
    assert api_client.post("/api/v1/auth/refresh", {"refresh": a2.json()["refresh"]}, format="json").status_code == 401

    assert _events(user) == [
        "auth.register",
        "auth.email_verified",
        "auth.login",
        "auth.refresh_reuse",
        "auth.login",
        "auth.login",
        "auth.password_changed",
        "auth.login_failed",
        "auth.logout",
    ]
    for entry in AuditLog.objects.filter(user=user):
        text = str(entry.metadata)
        for secret in (PASSWORD, "N3w-passphrase", first["refresh"], first["access"], second["refresh"]):
            assert secret not in text
    login_entry = AuditLog.objects.filter(user=user, event_type="auth.login").order_by("created_at", "id").first()
    assert login_entry.ip_address == "203.0.113.7" and login_entry.user_agent == "pytest-browser/1.0"


def test_forgot_and_reset(api_client, user) -> None:
    # same answer for a known and an unknown address; only the known one gets mail
    known = api_client.post("/api/v1/auth/password/forgot", {"email": user.email}, format="json", **UA)
    unknown = api_client.post("/api/v1/auth/password/forgot", {"email": "nobody@example.com"}, format="json")
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [user.email]
    params = _link_params(mail.outbox[0].body)

    session = api_client.post("/api/v1/auth/login", {"email": user.email, "password": "Passw0rd-123"}, format="json")

    # logging in changed last_login, which invalidates links mailed before (Django's generator)
    response = api_client.post(
        "/api/v1/auth/password/reset", {**params, "new_password": "Res3t-passphrase"}, format="json"
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_token"
    api_client.post("/api/v1/auth/password/forgot", {"email": user.email}, format="json")
    params = _link_params(mail.outbox[-1].body)
    weak = api_client.post("/api/v1/auth/password/reset", {**params, "new_password": "short"}, format="json")
    assert weak.status_code == 400 and "new_password" in weak.json()["error"]["details"]
    response = api_client.post(
        "/api/v1/auth/password/reset", {**params, "new_password": "Res3t-passphrase"}, format="json", **UA
    )
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert user.check_password("Res3t-passphrase")
    # single use
    response = api_client.post(
        "/api/v1/auth/password/reset", {**params, "new_password": "Other-passw0rd"}, format="json"
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_token"
    # the reset ended every session
    assert (
        api_client.post("/api/v1/auth/refresh", {"refresh": session.json()["refresh"]}, format="json").status_code
        == 401
    )
    reset = AuditLog.objects.get(user=user, event_type="auth.password_reset")
    assert reset.ip_address == "203.0.113.7" and reset.metadata["revoked_count"] == 1
    assert "Res3t-passphrase" not in str(reset.metadata)
