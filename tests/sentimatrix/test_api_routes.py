"""The real URL configuration: unknown /api/ routes get the envelope even with DEBUG on; the schema knows the JWT."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("debug", [True, False])
def test_unknown_api_route_is_enveloped_404(api_client, settings, debug: bool) -> None:
    settings.DEBUG = debug
    response = api_client.get("/api/v1/no/such/thing")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_found"


def test_schema_declares_bearer_jwt(api_client) -> None:
    response = api_client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schemes = response.json()["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
