"""Stored provider keys: encryption at rest, the API (masked only, tenant-scoped), the provider key check."""

from __future__ import annotations

import json

import httpx
import pytest
import respx
from django.db import connection

from audit.models import AuditLog
from integrations.crypto import DecryptionError
from integrations.keys import decrypt_field
from integrations.models import ApiKey
from integrations.services import api_key_decrypt, api_key_mark_invalid, api_key_secret_for
from tests.factories_integrations import make_api_key

pytestmark = pytest.mark.django_db

KEY = "sk-proj-Abcdefghijklmnopqrstuvwxyz0123456789wxyz"


def _raw(api_key: ApiKey) -> dict:
    return connection.database["api_keys"].find_one({"_id": api_key.pk})


def test_create_stores_only_ciphertext_and_returns_masked(api, user):
    resp = api.post("/api/v1/api-keys", {"provider": "openai", "name": "main", "key": KEY}, format="json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["masked_key"] == "sk-…wxyz"
    assert body["is_valid"] is None
    assert KEY not in resp.content.decode()
    assert "key" not in body and "encrypted_key" not in body

    stored = ApiKey.objects.get(pk=body["id"])
    raw = _raw(stored)
    assert KEY not in json.dumps(raw, default=str)
    assert raw["encrypted_key"].startswith("v1:dev:")
    assert raw["user_id"] == user.pk
    assert api_key_decrypt(stored) == KEY
    # nothing secret in the audit trail
    audit = AuditLog.objects.filter(event_type="api_key.created").get()
    assert KEY not in json.dumps(audit.metadata)
    assert audit.metadata["masked_key"] == "sk-…wxyz"


def test_same_plaintext_encrypts_differently_each_time(user, other_user):
    a = make_api_key(user=user, key=KEY)
    b = make_api_key(user=other_user, key=KEY)
    assert a.encrypted_key != b.encrypted_key


def test_tampered_ciphertext_is_a_clear_error(user):
    api_key = make_api_key(user=user, key=KEY)
    token = api_key.encrypted_key
    prefix, blob = token.rsplit(":", 1)
    flipped = blob[:-6] + ("A" if blob[-6] != "A" else "B") + blob[-5:]
    ApiKey.objects.filter(pk=api_key.pk).update(encrypted_key=f"{prefix}:{flipped}")
    api_key.refresh_from_db()
    with pytest.raises(DecryptionError, match="authentication failed"):
        api_key_decrypt(api_key)


def test_ciphertext_moved_to_another_owner_does_not_decrypt(user, other_user):
    mine = make_api_key(user=user, key=KEY)
    theirs = make_api_key(user=other_user, key="sk-other-0000000000000000000000001")
    # A database-level attacker copies my ciphertext into their own record.
    ApiKey.objects.filter(pk=theirs.pk).update(encrypted_key=mine.encrypted_key)
    theirs.refresh_from_db()
    with pytest.raises(DecryptionError):
        api_key_decrypt(theirs)
    # and it is bound to the field too
    with pytest.raises(DecryptionError):
        decrypt_field(mine.encrypted_key, owner_id=user.pk, collection="api_keys", record_id=mine.pk, field="name")


def test_list_is_masked_and_scoped(api, user, other_user):
    make_api_key(user=user, key=KEY, name="mine")
    make_api_key(user=other_user, key="sk-theirs-000000000000000000000000009", name="theirs")
    resp = api.get("/api/v1/api-keys")
    assert resp.status_code == 200
    body = resp.json()
    assert body["count"] == 1
    assert [k["name"] for k in body["results"]] == ["mine"]
    assert KEY not in resp.content.decode()
    assert api.get("/api/v1/api-keys?provider=groq").json()["count"] == 0


def test_other_tenants_key_is_404_and_untouched(api, other_user):
    theirs = make_api_key(user=other_user)
    for method in ("get", "patch", "delete"):
        resp = getattr(api, method)(f"/api/v1/api-keys/{theirs.pk}", {"name": "x"}, format="json")
        assert resp.status_code == 404, method
    assert api.post(f"/api/v1/api-keys/{theirs.pk}/validate").status_code == 404
    assert ApiKey.objects.filter(pk=theirs.pk, name="openai").exists()


def test_rename_and_delete(api, user):
    api_key = make_api_key(user=user)
    resp = api.patch(f"/api/v1/api-keys/{api_key.pk}", {"name": "renamed"}, format="json")
    assert resp.status_code == 200 and resp.json()["name"] == "renamed"
    assert api.delete(f"/api/v1/api-keys/{api_key.pk}").status_code == 204
    assert not ApiKey.objects.filter(pk=api_key.pk).exists()
    assert AuditLog.objects.filter(event_type="api_key.deleted").count() == 1


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"provider": "nope", "key": KEY}, "provider"),
        ({"provider": "openai", "key": "short"}, "key"),
        ({"provider": "openai", "key": "sk-has space-inside-000000"}, "key"),
        ({"provider": "openai"}, "key"),
        ({"provider": {"$ne": None}, "key": KEY}, "provider"),
    ],
)
def test_bad_input_is_400_with_field(api, payload, field):
    resp = api.post("/api/v1/api-keys", payload, format="json")
    assert resp.status_code == 400, resp.content
    assert field in resp.json()["error"]["details"]
    assert ApiKey.objects.count() == 0


def test_duplicate_key_is_409(api, user):
    make_api_key(user=user, key=KEY, name="first")
    resp = api.post("/api/v1/api-keys", {"provider": "openai", "key": KEY}, format="json")
    assert resp.status_code == 409
    assert resp.json()["error"]["code"] == "duplicate_api_key"
    assert "first" in resp.json()["error"]["message"]


def test_unauthenticated_is_401(client):
    assert client.get("/api/v1/api-keys").status_code == 401


# --- validate ------------------------------------------------------------------------------------


@respx.mock
def test_validate_good_openai_key(api, user):
    api_key = make_api_key(user=user, key=KEY)
    route = respx.get("https://api.openai.com/v1/models").mock(
        return_value=httpx.Response(200, json={"object": "list", "data": []})
    )
    resp = api.post(f"/api/v1/api-keys/{api_key.pk}/validate")
    assert resp.status_code == 200, resp.content
    assert resp.json()["is_valid"] is True
    assert resp.json()["last_validated_at"] is not None
    assert route.calls.last.request.headers["authorization"] == f"Bearer {KEY}"


@respx.mock
def test_validate_wrong_key_is_false_with_provider_message(api, user):
    api_key = make_api_key(user=user, key=KEY)
    respx.get("https://api.openai.com/v1/models").mock(
        return_value=httpx.Response(
            401,
            json={
                "error": {
                    "message": f"Incorrect API key provided: {KEY[:8]}****wxyz. You can find your API key at ...",
                    "type": "invalid_request_error",
                    "code": "invalid_api_key",
                }
            },
        )
    )
    resp = api.post(f"/api/v1/api-keys/{api_key.pk}/validate")
    assert resp.status_code == 200
    body = resp.json()
    assert body["is_valid"] is False
    assert "Incorrect API key provided" in body["validation_message"]
    assert KEY not in resp.content.decode()
    api_key.refresh_from_db()
    assert api_key.is_valid is False


@respx.mock
def test_validate_anthropic_sends_version_and_key_header(api, user):
    api_key = make_api_key(user=user, provider="anthropic", key="sk-ant-api03-" + "x" * 40)
    route = respx.get("https://api.anthropic.com/v1/models").mock(
        return_value=httpx.Response(
            401, json={"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}
        )
    )
    body = api.post(f"/api/v1/api-keys/{api_key.pk}/validate").json()
    assert body["is_valid"] is False
    assert body["validation_message"] == "anthropic: invalid x-api-key"
    request = route.calls.last.request
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert request.headers["x-api-key"].startswith("sk-ant-api03-")


@respx.mock
@pytest.mark.parametrize(
    "provider,url,status",
    [
        ("scraperapi", "https://api.scraperapi.com/account", 403),
        ("apify", "https://api.apify.com/v2/users/me", 401),
        ("youtube", "https://www.googleapis.com/youtube/v3/i18nLanguages", 400),
        ("google", "https://places.googleapis.com/v1/places/ChIJN1t_tDeuEmsRUsoyG83frY4", 400),
        ("groq", "https://api.groq.com/openai/v1/models", 401),
    ],
)
def test_validate_other_providers_refused(api, user, provider, url, status):
    api_key = make_api_key(user=user, provider=provider, key="AIzaSyD-abcdefghijklmnopqrstuvwxyz012")
    respx.get(url__startswith=url).mock(
        return_value=httpx.Response(status, json={"error": {"message": "API key not valid."}})
    )
    body = api.post(f"/api/v1/api-keys/{api_key.pk}/validate").json()
    assert body["is_valid"] is False
    assert "API key not valid." in body["validation_message"]


@respx.mock
@pytest.mark.parametrize(
    "response",
    [httpx.Response(503, text="upstream down"), httpx.Response(429, json={"error": {"message": "slow down"}})],
)
def test_validate_provider_trouble_is_503_and_keeps_verdict(api, user, response):
    api_key = make_api_key(user=user, key=KEY)
    respx.get("https://api.openai.com/v1/models").mock(return_value=response)
    resp = api.post(f"/api/v1/api-keys/{api_key.pk}/validate")
    assert resp.status_code == 503
    assert resp.json()["error"]["code"] == "provider_unavailable"
    api_key.refresh_from_db()
    assert api_key.is_valid is None


@respx.mock
def test_validate_timeout_is_503(api, user):
    api_key = make_api_key(user=user, key=KEY)
    respx.get("https://api.openai.com/v1/models").mock(side_effect=httpx.ConnectTimeout("boom"))
    assert api.post(f"/api/v1/api-keys/{api_key.pk}/validate").status_code == 503


@respx.mock
def test_validate_uses_operator_base_url(api, user, settings):
    settings.PROVIDER_BASE_URLS = {"openai": "https://proxy.example.com/v1"}
    api_key = make_api_key(user=user, key=KEY)
    route = respx.get("https://proxy.example.com/v1/models").mock(return_value=httpx.Response(200, json={}))
    assert api.post(f"/api/v1/api-keys/{api_key.pk}/validate").json()["is_valid"] is True
    assert route.called


# --- worker-side contract ------------------------------------------------------------------------


def test_secret_for_returns_plaintext_and_marks_use(user, other_user):
    assert api_key_secret_for(user=user, provider="openai") is None
    api_key = make_api_key(user=user, key=KEY)
    make_api_key(user=other_user, key="sk-someone-else-00000000000000000001")
    assert api_key_secret_for(user=user, provider="openai") == KEY
    assert api_key_secret_for(user=user.pk, provider="openai", api_key_id=str(api_key.pk)) == KEY
    assert api_key_secret_for(user=user, provider="groq") is None
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None


def test_secret_for_prefers_keys_not_marked_invalid(user):
    old = make_api_key(user=user, key="sk-old-000000000000000000000000001")
    make_api_key(user=user, key="sk-new-000000000000000000000000002")
    assert api_key_secret_for(user=user, provider="openai") == "sk-new-000000000000000000000000002"
    assert api_key_mark_invalid(user=user, provider="openai", message="401 Incorrect API key sk-new-0000000000") == 1
    assert api_key_secret_for(user=user, provider="openai") == "sk-old-000000000000000000000000001"
    marked = ApiKey.objects.get(masked_key="sk-…0002")
    assert marked.is_valid is False
    assert "sk-new-0000000000" not in marked.validation_message
    assert old.pk != marked.pk
    assert AuditLog.objects.filter(event_type="api_key.marked_invalid", user=user).count() == 1


def test_mark_invalid_without_key_is_zero(user):
    assert api_key_mark_invalid(user=user, provider="openai", message="x") == 0


# --- providers -------------------------------------------------------------------------------------


def test_providers_catalogue(client):
    resp = client.get("/api/v1/providers")
    assert resp.status_code == 200
    body = resp.json()
    llm = {p["id"] for p in body["llm"]}
    assert llm == {"openai", "anthropic", "groq", "mistral", "together", "openrouter", "deepseek", "ollama"}
    assert {p["id"] for p in body["scraping"]} == {"scraperapi", "apify"}
    assert {p["id"] for p in body["platform"]} == {"youtube", "google"}
    mini = next(m for p in body["llm"] if p["id"] == "openai" for m in p["models"] if m["id"] == "gpt-4o-mini")
    assert mini["price"]["input_per_mtok"] == 0.15
    assert body["catalogue_date"] == "2026-11-22"


def test_providers_honour_price_overrides(client, settings):
    settings.LLM_PRICE_OVERRIDES = {"openai": {"gpt-4o-mini": {"input_per_mtok": 0.2, "output_per_mtok": 0.7}}}
    body = client.get("/api/v1/providers").json()
    mini = next(m for p in body["llm"] if p["id"] == "openai" for m in p["models"] if m["id"] == "gpt-4o-mini")
    assert mini["price"]["input_per_mtok"] == 0.2


def test_validate_with_tampered_key_is_409_not_500(api, user, other_user):
    mine = make_api_key(user=user, key=KEY)
    theirs = make_api_key(user=other_user, key="sk-other-0000000000000000000000001")
    ApiKey.objects.filter(pk=mine.pk).update(encrypted_key=theirs.encrypted_key)
    resp = api.post(f"/api/v1/api-keys/{mine.pk}/validate")
    assert resp.status_code == 409
    assert resp.json()["error"]["code"] == "api_key_unreadable"
