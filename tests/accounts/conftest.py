from __future__ import annotations

import uuid

import pytest

from tests.factories_accounts import DEFAULT_PASSWORD, UserFactory


@pytest.fixture(autouse=True)
def _isolated_rate_limits(settings):
    # Redis counters (login lockout, API throttle) are keyed per test so tests never share them.
    settings.RATE_LIMIT_PREFIX = f"test:{uuid.uuid4().hex}"


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def login(api_client):
    """Log in through the API; returns the JSON body (access, refresh, user)."""

    def _login(email: str, password: str = DEFAULT_PASSWORD, **extra) -> dict:
        response = api_client.post("/api/v1/auth/login", {"email": email, "password": password}, format="json", **extra)
        assert response.status_code == 200, response.content
        return response.json()

    return _login


@pytest.fixture
def authed(api_client, user, login):
    body = login(user.email)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    api_client.tokens = body
    return api_client
