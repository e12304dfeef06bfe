"""Fixtures for the quality gates: real bearer tokens (the full authentication path, not force_authenticate)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from rest_framework.test import APIClient


def bearer_for(user) -> str:
    from accounts.tokens import encode_access

    token, _ = encode_access(
        user_id=str(user.pk),
        now=datetime.now(UTC),
        lifetime=timedelta(hours=2),
        key=settings.JWT_SIGNING_KEY,
        issuer=settings.JWT_ISSUER,
        audience=settings.JWT_AUDIENCE,
    )
    return f"Bearer {token}"


@pytest.fixture
def client_as():
    """``client_as(user)``: an APIClient that sends the user's access token on every request."""

    def make(user) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=bearer_for(user))
        return client

    return make
