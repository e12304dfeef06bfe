"""Every API error comes back in the envelope with the right status; never a 500 or HTML page."""

from __future__ import annotations

import pytest
from bson import ObjectId

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.sentimatrix.urls_conventions")]

ID = "0123456789abcdef01234567"


def assert_envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details", "request_id"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert body["error"]["request_id"] == response["X-Request-ID"]
    return body["error"]


def test_object_ids_round_trip(api_client) -> None:
    response = api_client.get(f"/api/v1/echo/{ID}")
    assert response.status_code == 200 and response.json() == {"id": ID}
    owner = str(ObjectId())
    response = api_client.post(f"/api/v1/echo/{ID}", {"owner": owner, "name": "x"}, format="json")
    assert response.status_code == 201 and response.json() == {"owner": owner}


@pytest.mark.parametrize("bad", ["123", "zzzzzzzzzzzzzzzzzzzzzzzz", "0123456789ABCDEF01234567", ID + "0"])
def test_malformed_id_in_url_is_404(api_client, bad: str) -> None:
    assert_envelope(api_client.get(f"/api/v1/echo/{bad}"), 404, "not_found")


def test_malformed_id_in_body_is_400_with_field_details(api_client) -> None:
    error = assert_envelope(api_client.post(f"/api/v1/echo/{ID}", {"owner": "nope", "name": "x"}, format="json"),
                            400, "validation_error")  # fmt: skip
    assert "owner" in error["details"]
    assert "24 hexadecimal" in error["details"]["owner"][0]


def test_unknown_route(api_client) -> None:
    assert_envelope(api_client.get("/api/v1/no/such/thing"), 404, "not_found")


def test_bad_json(api_client) -> None:
    response = api_client.generic("POST", f"/api/v1/echo/{ID}", "{not json", content_type="application/json")
    assert_envelope(response, 400, "parse_error")


def test_wrong_method(api_client) -> None:
    assert_envelope(api_client.delete(f"/api/v1/echo/{ID}"), 405, "method_not_allowed")


def test_unsupported_media_type(api_client) -> None:
    response = api_client.generic("POST", f"/api/v1/echo/{ID}", "owner=x", content_type="text/plain")
    assert_envelope(response, 415, "unsupported_media_type")


def test_application_error_maps_to_its_status(api_client) -> None:
    error = assert_envelope(
        api_client.post(f"/api/v1/echo/{ID}", {"owner": ID, "name": "taken"}, format="json"), 409, "conflict"
    )
    assert error["message"] == "That name is taken."


def test_unhandled_error_is_500_without_internals(api_client) -> None:
    response = api_client.get("/api/v1/boom")
    error = assert_envelope(response, 500, "server_error")
    assert "hunter2" not in response.content.decode()
    assert "RuntimeError" not in response.content.decode()
    assert error["details"] == {}


def test_request_id_is_accepted_and_echoed(api_client) -> None:
    response = api_client.get(f"/api/v1/echo/{ID}", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    hostile = api_client.get(f"/api/v1/echo/{ID}", HTTP_X_REQUEST_ID="x\nInjected: yes")
    assert hostile["X-Request-ID"] != "x\nInjected: yes" and len(hostile["X-Request-ID"]) == 32


def test_authentication_required_is_401_envelope(api_client) -> None:
    assert_envelope(api_client.get("/api/v1/auth/me"), 401, "not_authenticated")
    response = api_client.get("/api/v1/auth/me", HTTP_AUTHORIZATION="Bearer not.a.jwt")
    assert_envelope(response, 401, "authentication_failed")


def test_schema_and_docs_are_served(api_client) -> None:
    schema = api_client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"openapi" in schema.content
    docs = api_client.get("/api/docs/")
    assert docs.status_code == 200
