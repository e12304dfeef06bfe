"""Operator injection and oversized input on every endpoint that takes JSON (issue 9, gate 5).

The operations come from the OpenAPI schema (every one with a JSON request body), with real ids of
the caller's own objects in the path (the tenant-isolation registry builds them), so the bodies reach
the view and not a 404. Each is sent:

- a ``$``-prefixed key at the top and nested (``$where``, ``$set``), and a dotted key (``a.b``);
- an operator object where a value is expected (``{"name": {"$gt": ""}}``) — refused by the
  parser as a ``$`` key;
- a body nested 200 levels deep, and a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``.

Every one must be refused with a 4xx in the error envelope, and nothing stored may change: the
collections are snapshotted (counts and a content digest) before and after. List endpoints get
operator-shaped query parameters (``?status[$ne]=x``, ``?status={"$ne": null}``): no 5xx, and no
other tenant's data.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from bson import json_util
from django.conf import settings
from django.db import connection
from django.urls import reverse

from tests.factories_accounts import UserFactory
from tests.quality import registry

pytestmark = pytest.mark.django_db


def _json_operations() -> list[tuple[str, str]]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            content = (operation.get("requestBody") or {}).get("content", {})
            if "application/json" in content:
                found.append((method, path))
    return sorted(found)


JSON_OPERATIONS = _json_operations()


def _snapshot() -> dict[str, str]:
    db = connection.database
    digest = {}
    for name in sorted(db.list_collection_names()):
        if name in ("django_session", "django_migrations", "audit_logs"):
            continue  # sessions and the audit trail of refused requests may grow; data may not
        # Request accounting (API call counters, last seen) changes on every request, refused or not.
        projection = {"usage": 0, "last_login": 0, "last_seen_at": 0} if name == "users" else None
        docs = sorted(json_util.dumps(d, sort_keys=True) for d in db[name].find({}, projection))
        digest[name] = hashlib.sha256("\n".join(docs).encode()).hexdigest()
    return digest


def _path_for(path: str, user: Any) -> str:
    """The OpenAPI path with the caller's own ids (or a fresh id when no builder knows it)."""
    from bson import ObjectId
    from django.urls import Resolver404, resolve

    sample = path
    while "{" in sample:
        start = sample.index("{")
        sample = sample[:start] + str(ObjectId()) + sample[sample.index("}") + 1 :]
    try:
        match = resolve(sample)
    except Resolver404:
        return sample
    builder = registry.OBJECT_BUILDERS.get(match.view_name)
    if builder is None:
        return sample
    return reverse(match.view_name, kwargs=builder(user).kwargs)


def _nested(depth: int) -> dict:
    body: dict = {"leaf": 1}
    for _ in range(depth):
        body = {"x": body}
    return body


BAD_BODIES = {
    "dollar_key": {"$where": "sleep(1000)", "name": "x"},
    "nested_dollar": {"name": "x", "config": {"$set": {"user_id": "someone-else"}}},
    "operator_value": {"name": {"$gt": ""}, "url": {"$ne": None}},
    "dotted_key": {"config.llm.provider": "openai", "name": "x"},
    "list_operator": {"events": [{"$in": ["job.completed"]}]},
    "deep": _nested(200),
}


def _assert_refused(response: Any, what: str) -> None:
    assert 400 <= response.status_code < 500, f"{what}: {response.status_code} {response.content[:300]!r}"
    error = json.loads(response.content).get("error", {})
    assert error.get("code") and error.get("message"), f"{what}: not in the envelope: {response.content[:300]!r}"


@pytest.mark.parametrize(("method", "path"), JSON_OPERATIONS, ids=[f"{m.upper()} {p}" for m, p in JSON_OPERATIONS])
def test_operator_keys_and_huge_bodies_are_refused(method: str, path: str, client_as) -> None:
    user = UserFactory()
    url = _path_for(path, user)
    client = client_as(user)
    before = _snapshot()
    for name, body in BAD_BODIES.items():
        response = getattr(client, method)(url, body, format="json")
        _assert_refused(response, f"{method.upper()} {url} with {name}")
    huge = json.dumps({"name": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)})
    response = getattr(client, method)(url, huge, content_type="application/json")
    _assert_refused(response, f"{method.upper()} {url} with a body over the size limit")
    assert response.status_code in (400, 413)
    assert _snapshot() == before, f"{method.upper()} {url}: refused requests changed stored data"


def test_there_are_json_endpoints_to_check() -> None:
    assert len(JSON_OPERATIONS) >= 10


OPERATOR_QUERIES = [
    {"status[$ne]": "x"},
    {"status": '{"$ne": null}'},
    {"project": '{"$gt": ""}'},
    {"sentiment": "$where"},
    {"ordering": "$natural"},
    {"q": '{"$regex": ".*"}'},
    {"search": ".*"},
]


def test_operator_shaped_query_parameters_never_cross_tenants(client_as) -> None:
    owner, intruder = UserFactory(), UserFactory()
    graph = registry.build_all(owner)
    own = registry.build_all(intruder)
    secrets = set(graph.ids.values()) | set(graph.markers)
    client = client_as(intruder)
    urls = ["/" + e.route for e in registry.list_endpoints()]
    urls += [reverse("results:project-results", kwargs={"project_id": own.ids["project"]})]
    for url in urls:
        for query in OPERATOR_QUERIES:
            response = client.get(url, query)
            assert response.status_code < 500, f"GET {url} {query}: {response.status_code}"
            body = b"".join(response.streaming_content) if response.streaming else response.content
            leaked = [s for s in secrets if s in body.decode(errors="replace")]
            assert not leaked, f"GET {url} {query} shows another tenant's {leaked}"


def test_parser_refuses_operator_keys_directly() -> None:
    from rest_framework.exceptions import ParseError, ValidationError

    from sentimatrix.api.parsers import check_document

    check_document({"name": "a.b is fine as a value", "list": [{"ok": "$ as a value too"}]})
    for bad in ({"$set": 1}, {"a": {"b.c": 1}}, {"a": [{"$in": []}]}, _nested(40)):
        with pytest.raises((ParseError, ValidationError)):
            check_document(bad)
    with pytest.raises(ValidationError) as raised:
        check_document({"provider": {"$ne": None}})
    assert "provider" in raised.value.detail
