"""OAuth login against faked Google and GitHub endpoints (respx): state, PKCE, linking."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
import respx

from accounts.models import User
from audit.models import AuditLog
from tests.factories_accounts import UserFactory

pytestmark = pytest.mark.django_db

GOOGLE_TOKEN = "https://oauth.test/google/token"
GOOGLE_USERINFO = "https://oauth.test/google/userinfo"
GITHUB_TOKEN = "https://oauth.test/github/token"
GITHUB_API = "https://api.github.test"


@pytest.fixture(autouse=True)
def providers(settings):
    settings.OAUTH_GOOGLE_CLIENT_ID = "google-client"
    settings.OAUTH_GOOGLE_CLIENT_SECRET = "google-secret-value"
    settings.OAUTH_GOOGLE_AUTHORIZE_URL = "https://oauth.test/google/authorize"
    settings.OAUTH_GOOGLE_TOKEN_URL = GOOGLE_TOKEN
    settings.OAUTH_GOOGLE_USERINFO_URL = GOOGLE_USERINFO
    settings.OAUTH_GITHUB_CLIENT_ID = "github-client"
    settings.OAUTH_GITHUB_CLIENT_SECRET = "github-secret-value"
    settings.OAUTH_GITHUB_AUTHORIZE_URL = "https://oauth.test/github/authorize"
    settings.OAUTH_GITHUB_TOKEN_URL = GITHUB_TOKEN
    settings.OAUTH_GITHUB_API_URL = GITHUB_API
    settings.OAUTH_REDIRECT_BASE_URL = "https://app.example.com"


def _start(api_client, provider: str) -> dict:
    response = api_client.post(f"/api/v1/auth/oauth/{provider}/start")
    assert response.status_code == 200, response.content
    return response.json()


def _google_profile(sub: str = "g-123", email: str = "grace@example.com", verified: bool = True) -> dict:
    return {
        "sub": sub,
        "email": email,
        "email_verified": verified,
        "name": "Grace H",
        "picture": "https://img.test/g.png",
    }


def test_providers_list_only_configured_ones(api_client, settings) -> None:
    response = api_client.get("/api/v1/auth/oauth/providers")
    assert [p["id"] for p in response.json()["providers"]] == ["google", "github"]
    settings.OAUTH_GITHUB_CLIENT_SECRET = ""
    response = api_client.get("/api/v1/auth/oauth/providers")
    assert response.json() == {
        "providers": [{"id": "google", "name": "Google", "start_url": "/api/v1/auth/oauth/google/start"}]
    }
    error = api_client.post("/api/v1/auth/oauth/github/start")
    assert error.status_code == 404 and error.json()["error"]["code"] == "oauth_provider_disabled"
    assert api_client.post("/api/v1/auth/oauth/myspace/start").status_code == 404


def test_authorization_url_carries_state_and_pkce(api_client) -> None:
    started = _start(api_client, "google")
    url = urlparse(started["authorization_url"])
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert url.netloc == "oauth.test" and url.path == "/google/authorize"
    assert query["state"] == started["state"] and len(started["state"]) >= 43  # >= 256 bits
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["redirect_uri"] == "https://app.example.com/oauth/google/callback"
    assert query["client_id"] == "google-client" and "google-secret-value" not in started["authorization_url"]
    assert query["response_type"] == "code" and "email" in query["scope"]
    assert api_client.cookies["sm_oauth_binding"]["httponly"]


@respx.mock
def test_google_happy_path_creates_the_user(api_client) -> None:
    started = _start(api_client, "google")
    challenge = parse_qs(urlparse(started["authorization_url"]).query)["code_challenge"][0]
    token_route = respx.post(GOOGLE_TOKEN).mock(return_value=httpx.Response(200, json={"access_token": "ya29.t"}))
    respx.get(GOOGLE_USERINFO).mock(return_value=httpx.Response(200, json=_google_profile()))

    response = api_client.post(
        "/api/v1/auth/oauth/google/callback",
        {"code": "c0de", "state": started["state"]},
        format="json",
        HTTP_USER_AGENT="pytest-oauth",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["created"] is True and body["user"]["email"] == "grace@example.com"
    assert body["user"]["oauth_providers"] == ["google"] and body["user"]["has_password"] is False
    assert body["access"] and body["refresh"]

    # the code exchange proved possession of the PKCE verifier
    sent = parse_qs(token_route.calls.last.request.content.decode())
    verifier = sent["code_verifier"][0]
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert expected == challenge
    assert sent["code"] == ["c0de"] and sent["redirect_uri"] == ["https://app.example.com/oauth/google/callback"]

    user = User.objects.get(email="grace@example.com")
    assert user.oauth.google_id == "g-123" and user.email_verified and not user.has_usable_password()
    events = AuditLog.objects.filter(user=user).order_by("created_at", "id")
    assert [e.event_type for e in events] == ["auth.register", "auth.oauth_login"]
    login = events.last()
    assert login.metadata["provider"] == "google" and login.user_agent == "pytest-oauth" and login.ip_address
    assert "ya29" not in str(login.metadata) and "c0de" not in str(login.metadata)

    # the state is single use
    again = api_client.post(
        "/api/v1/auth/oauth/google/callback", {"code": "c0de", "state": started["state"]}, format="json"
    )
    assert again.status_code == 400 and again.json()["error"]["code"] == "oauth_state_invalid"

    # signing in again finds the user by the Google id
    started = _start(api_client, "google")
    response = api_client.post(
        "/api/v1/auth/oauth/google/callback", {"code": "c2", "state": started["state"]}, format="json"
    )
    assert response.status_code == 200 and response.json()["created"] is False
    assert User.objects.count() == 1


@respx.mock
def test_github_links_an_existing_account_by_verified_email(api_client) -> None:
    existing = UserFactory(email="linus@example.com")
    started = _start(api_client, "github")
    # GitHub answers JSON only when asked and reports errors with HTTP 200; here it succeeds
    respx.post(GITHUB_TOKEN).mock(return_value=httpx.Response(200, json={"access_token": "gho_abc", "scope": "user"}))
    respx.get(f"{GITHUB_API}/user").mock(
        return_value=httpx.Response(200, json={"id": 42, "login": "linus", "name": None})
    )
    respx.get(f"{GITHUB_API}/user/emails").mock(
        return_value=httpx.Response(
            200,
            json=[
                {"email": "old@example.com", "primary": False, "verified": True},
                {"email": "Linus@Example.com", "primary": True, "verified": True},
            ],
        )
    )
    response = api_client.post(
        "/api/v1/auth/oauth/github/callback", {"code": "x", "state": started["state"]}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["created"] is False and response.json()["user"]["id"] == str(existing.pk)
    existing.refresh_from_db()
    assert existing.oauth.github_id == "42" and existing.check_password("Passw0rd-123")
    entry = AuditLog.objects.get(user=existing, event_type="auth.oauth_login")
    assert entry.metadata["link"] == "linked_email"


@respx.mock
def test_unverified_provider_email_is_refused(api_client) -> None:
    UserFactory(email="victim@example.com")
    started = _start(api_client, "google")
    respx.post(GOOGLE_TOKEN).mock(return_value=httpx.Response(200, json={"access_token": "t"}))
    respx.get(GOOGLE_USERINFO).mock(
        return_value=httpx.Response(200, json=_google_profile(sub="evil", email="victim@example.com", verified=False))
    )
    response = api_client.post(
        "/api/v1/auth/oauth/google/callback", {"code": "x", "state": started["state"]}, format="json"
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "oauth_email_unverified"
    assert User.objects.get(email="victim@example.com").oauth.google_id is None


def test_bad_state_is_refused_and_audited(api_client) -> None:
    _start(api_client, "google")
    with respx.mock(assert_all_called=False) as mock:
        token_route = mock.post(GOOGLE_TOKEN)
        response = api_client.post(
            "/api/v1/auth/oauth/google/callback", {"code": "x", "state": "forged-state"}, format="json"
        )
        assert not token_route.called
    assert response.status_code == 400 and response.json()["error"]["code"] == "oauth_state_invalid"
    entry = AuditLog.objects.get(event_type="auth.oauth_login")
    assert entry.success is False and entry.metadata["reason"] == "state_unknown"


def test_state_of_another_provider_or_browser_is_refused(api_client) -> None:
    from rest_framework.test import APIClient

    started = _start(api_client, "google")
    # a state minted for Google presented at the GitHub callback (mix-up)
    response = api_client.post(
        "/api/v1/auth/oauth/github/callback", {"code": "x", "state": started["state"]}, format="json"
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "oauth_state_invalid"
    # the right state from a browser without the binding cookie
    other_browser = APIClient()
    response = other_browser.post(
        "/api/v1/auth/oauth/google/callback", {"code": "x", "state": started["state"]}, format="json"
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "oauth_state_invalid"
    reasons = sorted(AuditLog.objects.filter(event_type="auth.oauth_login").values_list("metadata__reason", flat=True))
    assert reasons == ["state_not_bound", "state_unknown"]


@respx.mock
def test_provider_errors_map_to_4xx_and_503(api_client) -> None:
    started = _start(api_client, "github")
    respx.post(GITHUB_TOKEN).mock(return_value=httpx.Response(200, json={"error": "bad_verification_code"}))
    response = api_client.post(
        "/api/v1/auth/oauth/github/callback", {"code": "x", "state": started["state"]}, format="json"
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "oauth_failed"

    started = _start(api_client, "github")
    respx.post(GITHUB_TOKEN).mock(side_effect=httpx.ConnectTimeout("slow"))
    response = api_client.post(
        "/api/v1/auth/oauth/github/callback", {"code": "x", "state": started["state"]}, format="json"
    )
    assert response.status_code == 503 and response.json()["error"]["code"] == "oauth_provider_unavailable"

    denied = api_client.post(
        "/api/v1/auth/oauth/github/callback", {"error": "access_denied", "state": "s"}, format="json"
    )
    assert denied.status_code == 400 and denied.json()["error"]["code"] == "oauth_denied"
    missing = api_client.post("/api/v1/auth/oauth/github/callback", {"state": "s"}, format="json")
    assert missing.status_code == 400 and "code" in missing.json()["error"]["details"]


@respx.mock
def test_suspended_user_cannot_sign_in_with_oauth(api_client) -> None:
    UserFactory(email="sus@example.com", status=User.Status.SUSPENDED)
    started = _start(api_client, "google")
    respx.post(GOOGLE_TOKEN).mock(return_value=httpx.Response(200, json={"access_token": "t"}))
    respx.get(GOOGLE_USERINFO).mock(return_value=httpx.Response(200, json=_google_profile(email="sus@example.com")))
    response = api_client.post(
        "/api/v1/auth/oauth/google/callback", {"code": "x", "state": started["state"]}, format="json"
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "account_suspended"
