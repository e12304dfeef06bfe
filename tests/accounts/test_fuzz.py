"""Random JSON at every account and audit endpoint: 2xx or a 4xx envelope, never a 500."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.services import _issue
from tests.factories_accounts import UserFactory

pytestmark = pytest.mark.django_db

_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40)
)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8,
)
_fields = st.sampled_from(
    [
        "email",
        "password",
        "name",
        "refresh",
        "uid",
        "token",
        "new_password",
        "current_password",
        "code",
        "state",
        "error",
        "company",
        "avatar_url",
        "settings",
        "$ne",
        "event_type",
        "since",
    ]
)
_bodies = st.dictionaries(_fields, _json, max_size=5) | _json

ENDPOINTS = [
    ("post", "/api/v1/auth/register", False),
    ("post", "/api/v1/auth/login", False),
    ("post", "/api/v1/auth/refresh", False),
    ("post", "/api/v1/auth/logout", False),
    ("post", "/api/v1/auth/password/forgot", False),
    ("post", "/api/v1/auth/password/reset", False),
    ("post", "/api/v1/auth/email/verify", False),
    ("post", "/api/v1/auth/oauth/google/callback", False),
    ("patch", "/api/v1/auth/me", True),
    ("post", "/api/v1/auth/me/password", True),
    ("get", "/api/v1/audit/events", True),
]


@pytest.mark.parametrize("method,path,needs_auth", ENDPOINTS)
def test_random_bodies_never_crash(api_client, settings_override, method: str, path: str, needs_auth: bool) -> None:
    if needs_auth:
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {_issue(user=UserFactory(plan='enterprise')).access}")

    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(body=_bodies)
    def check(body) -> None:
        if method == "get":
            params = {k: str(v) for k, v in body.items()} if isinstance(body, dict) else {}
            response = api_client.get(path, params)
        else:
            response = getattr(api_client, method)(path, body, format="json")
        assert response.status_code < 500, (body, response.content)
        if response.status_code >= 400:
            error = response.json()["error"]
            assert error["code"] and error["message"]

    check()


@pytest.fixture
def settings_override(settings):
    settings.PASSWORD_RESET_EMAILS_PER_HOUR = 10_000
    settings.LOGIN_MAX_FAILURES_PER_EMAIL = 10_000
    settings.LOGIN_MAX_FAILURES_PER_IP = 10_000
    settings.OAUTH_GOOGLE_CLIENT_ID = "id"
    settings.OAUTH_GOOGLE_CLIENT_SECRET = "secret"
