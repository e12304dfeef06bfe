"""Tenant isolation over every endpoint the URL configuration has (issue 9, gate 3).

Endpoints are discovered from the resolver (``registry.discover``), never listed by hand. For each
object endpoint, user A's objects are built through the app factories and user B must get the same
404 a missing id gets, for every method the view implements (GET, PUT, PATCH, DELETE and every
action), and A's object must be unchanged afterwards. Every list (and export) endpoint is read by B,
plainly and with A's ids in its declared filter parameters, and must never contain A's ids or the
marker strings stored in A's objects. A new route that the registry does not know fails the first test.
"""

from __future__ import annotations

import json

import pytest
from bson import ObjectId
from django.urls import reverse

from tests.factories_accounts import UserFactory
from tests.quality import registry

pytestmark = pytest.mark.django_db

OBJECT_ENDPOINTS = registry.object_endpoints()
LIST_ENDPOINTS = registry.list_endpoints()


def _id(endpoint: registry.Endpoint) -> str:
    return endpoint.name or endpoint.route


def test_every_object_endpoint_is_covered() -> None:
    unnamed = [e.route for e in OBJECT_ENDPOINTS if not e.name]
    assert not unnamed, f"object endpoints without a URL name (name them so the matrix can cover them): {unnamed}"
    known = set(registry.OBJECT_BUILDERS) | set(registry.NOT_TENANT_OBJECTS)
    missing = sorted(e.name for e in OBJECT_ENDPOINTS if e.name not in known)
    assert not missing, (
        f"new object endpoints not in the tenant-isolation registry: {missing}. Add a builder to "
        "tests/quality/registry.py OBJECT_BUILDERS (or a reason to NOT_TENANT_OBJECTS)."
    )
    stale = sorted(set(registry.OBJECT_BUILDERS) - {e.name for e in OBJECT_ENDPOINTS})
    assert not stale, f"registry names that no route has any more: {stale}"


def _content(response) -> bytes:
    if getattr(response, "streaming", False):  # exports stream
        return b"".join(response.streaming_content)
    return response.content


def _body(response) -> dict:
    raw = _content(response)
    try:
        return json.loads(raw or b"{}")
    except ValueError:
        return {"raw": raw.decode(errors="replace")}


def _missing_kwargs(kwargs: dict[str, str]) -> dict[str, str]:
    """The same URL with every object id replaced by one that does not exist (literals such as fmt kept)."""
    return {k: str(ObjectId()) if ObjectId.is_valid(v) else v for k, v in kwargs.items()}


@pytest.mark.parametrize(
    "endpoint",
    [e for e in OBJECT_ENDPOINTS if e.name in registry.OBJECT_BUILDERS],
    ids=_id,
)
def test_other_tenant_gets_404_for_every_method(endpoint: registry.Endpoint, client_as) -> None:
    owner, intruder = UserFactory(), UserFactory()
    built = registry.OBJECT_BUILDERS[endpoint.name](owner)
    url = reverse(endpoint.name, kwargs=built.kwargs)
    missing_url = reverse(endpoint.name, kwargs=_missing_kwargs(built.kwargs))
    as_owner, as_intruder = client_as(owner), client_as(intruder)

    before = None
    if "get" in endpoint.methods:
        before = as_owner.get(url)
        assert before.status_code == 200, f"owner cannot read {url}: {before.status_code} {_content(before)[:300]!r}"
    before_body = _body(before) if before is not None else None
    payload = before_body if isinstance(before_body, dict) and "raw" not in before_body else {}

    for method in endpoint.methods:
        call = getattr(as_intruder, method)
        response = call(url, payload, format="json") if method in ("post", "put", "patch") else call(url)
        assert response.status_code == 404, (
            f"{method.upper()} {url} as another tenant gave {response.status_code}, not 404: "
            f"{_content(response)[:300]!r}"
        )
        error = _body(response).get("error", {})
        assert error.get("code") == "not_found", f"{method.upper()} {url}: 404 outside the envelope: {error}"
        # Same answer as for an id that does not exist: no existence oracle.
        missing = call(missing_url, payload, format="json") if method in ("post", "put", "patch") else call(missing_url)
        assert missing.status_code == 404
        assert _body(missing)["error"]["message"] == error["message"]
        for secret in built.ids + built.markers:
            assert secret not in _content(response).decode(errors="replace")

    if before is not None:
        after = as_owner.get(url)
        assert after.status_code == 200 and _body(after) == before_body, f"{url} changed by another tenant's calls"


def _declared_query_params() -> dict[str, set[str]]:
    """Query parameter names per OpenAPI path, from the generated schema."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    params: dict[str, set[str]] = {}
    for path, operations in schema.get("paths", {}).items():
        names = {p["name"] for op in operations.values() for p in op.get("parameters", []) if p.get("in") == "query"}
        params[path] = names
    return params


def test_lists_and_exports_never_show_other_tenants_objects(client_as) -> None:
    owner, intruder = UserFactory(), UserFactory()
    graph = registry.build_all(owner)
    secrets = sorted(set(graph.ids.values()) | set(graph.markers))
    owner_ids = sorted(set(graph.ids.values()))
    declared = _declared_query_params()
    as_owner, as_intruder = client_as(owner), client_as(intruder)
    seen_by_owner = set()
    checked = 0
    for endpoint in LIST_ENDPOINTS:
        url = "/" + endpoint.route
        filters = [p for p in declared.get(url, set()) if p in registry.ID_QUERY_PARAMS]
        queries = [{}] + [{param: value} for param in filters for value in owner_ids]
        for query in queries:
            response = as_intruder.get(url, query)
            checked += 1
            assert response.status_code < 500, f"GET {url} {query}: {response.status_code}"
            text = _content(response).decode(errors="replace")
            leaked = [s for s in secrets if s in text]
            assert not leaked, f"GET {url} {query} as another tenant shows the owner's {leaked}"
        own = _content(as_owner.get(url)).decode(errors="replace")
        seen_by_owner |= {s for s in secrets if s in own}
    assert checked >= len(LIST_ENDPOINTS)
    # Not vacuous: the owner does see their own objects somewhere in the lists.
    assert seen_by_owner, "no list endpoint shows the owner's own objects: the search above proves nothing"
