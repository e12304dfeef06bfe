"""Schemathesis against the published OpenAPI schema, every operation (issue 9, gate 2).

The schema is the one ``/api/schema/`` serves (drf-spectacular's generator, called directly so it can
be read at collection time). Every operation becomes one test; requests go through the real WSGI
application with a normal user's bearer token, in positive and negative generation modes, with a
fixed seed (``derandomize``): ``FUZZ_EXAMPLES`` requests in total (1,200 by default, spread evenly
over the operations, at least 10 each; ``make fuzz`` runs more). Object ids in paths are sometimes
real ones owned by the fuzzing user (built by the tenant-isolation registry), so the generated bodies
reach the code behind the 404.

Checks on every response:

- no 500 and no unhandled error; 502/503/504 only inside the envelope (an outside service down);
- every 4xx/5xx is the error envelope ``{"error": {"code", "message", "details", ...}}``;
- the body matches the schema for its documented status code (``response_schema_conformance``) and
  the documented content type; response objects are closed (``additionalProperties: false``), so an
  undeclared field in a response fails too.

Outbound HTTP is refused (no network here, and a fuzzer must not call real providers).
"""

from __future__ import annotations

import json
import os
import socket
from typing import Any

import pytest
import respx
import schemathesis
from bson import ObjectId
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests.factories_accounts import UserFactory
from tests.quality import registry
from tests.quality.conftest import bearer_for

pytestmark = pytest.mark.django_db

TOTAL_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "1200"))
ENVELOPED_UPSTREAM = (502, 503, 504)


def _raw_schema() -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    # Round-trip through JSON: the schema endpoint serves JSON, and lazy strings must become plain ones.
    schema = json.loads(json.dumps(schema, default=str))
    _close_response_objects(schema)
    return schema


def _close_response_objects(schema: dict[str, Any]) -> None:
    """Make every response object refuse keys it does not declare (``additionalProperties: false``).

    drf-spectacular leaves objects open, so a response that leaked an undeclared field (an internal
    id, a stored secret) would still "match the schema". Only objects reachable from responses are
    closed; request bodies stay open so the fuzzer keeps sending unknown keys. Objects that state
    ``additionalProperties`` themselves (dict-valued fields) keep what they say.
    """
    components = schema.get("components", {}).get("schemas", {})
    seen: set[str] = set()

    def close(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                close(item)
            return
        if not isinstance(node, dict):
            return
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                close(components.get(name))
            return
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for key in ("properties", "patternProperties"):
            for child in (node.get(key) or {}).values():
                close(child)
        for key in ("items", "additionalProperties", "not"):
            close(node.get(key))
        for key in ("allOf", "anyOf", "oneOf"):
            close(node.get(key))

    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            for response in (operation.get("responses") or {}).values():
                for media in (response.get("content") or {}).values():
                    close(media.get("schema"))


def _load() -> Any:
    from django.core.wsgi import get_wsgi_application

    schema = schemathesis.openapi.from_dict(_raw_schema())
    schema.app = get_wsgi_application()
    return schema


SCHEMA = _load()
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
PER_OPERATION = max(10, TOTAL_EXAMPLES // max(1, len(OPERATIONS)))


# Operations with a known, reported bug: label -> what is wrong. Strict: an XPASS fails, so the entry
# must be removed when the owner fixes it. Empty now; keep it that way.
KNOWN_FAILURES: dict[str, str] = {}


def _params() -> list[Any]:
    params = []
    for operation in OPERATIONS:
        reason = KNOWN_FAILURES.get(operation.label)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(operation, id=operation.label, marks=marks))
    return params


def test_known_failures_name_real_operations() -> None:
    labels = {operation.label for operation in OPERATIONS}
    assert set(KNOWN_FAILURES) <= labels, sorted(set(KNOWN_FAILURES) - labels)


def test_fuzzing_covers_at_least_1000_requests() -> None:
    assert len(OPERATIONS) * PER_OPERATION >= 1000
    assert len(OPERATIONS) >= 1


def test_response_objects_are_closed_and_request_bodies_open() -> None:
    schema = _raw_schema()
    components = schema["components"]["schemas"]
    # Response objects, nested ones included: an undeclared key in the body fails the schema check.
    assert components["AnalysisJob"]["additionalProperties"] is False
    assert components["PaginatedScrapeJobListList"]["additionalProperties"] is False
    assert components["DeliveryRequest"]["additionalProperties"] is False  # a delivery's sent request
    # Request bodies keep accepting generated unknown keys.
    bodies = {
        media["schema"]["$ref"].rsplit("/", 1)[-1]
        for path_item in schema["paths"].values()
        for operation in path_item.values()
        if isinstance(operation, dict)
        for media in (operation.get("requestBody") or {}).get("content", {}).values()
        if "$ref" in media.get("schema", {})
    }
    assert len(bodies) > 10
    assert all("additionalProperties" not in components[name] for name in bodies)


def _url_name(path: str) -> tuple[str | None, dict[str, str]]:
    """The URL name behind an OpenAPI path template, and its OpenAPI -> Django parameter names."""
    sample = path
    for name in ("id", "pk"):
        sample = sample.replace("{" + name + "}", str(ObjectId()))
    while "{" in sample:
        start = sample.index("{")
        sample = sample[:start] + str(ObjectId()) + sample[sample.index("}") + 1 :]
    try:
        match = resolve(sample)
    except Resolver404:
        return None, {}
    return match.view_name, {("id" if k == "pk" else k): k for k in match.kwargs}


def envelope_check(ctx: Any, response: Any, case: Any) -> bool | None:
    status = response.status_code
    where = f"{case.method} {case.formatted_path}"
    assert status != 500 and status < 600, f"{where}: server error {status}: {response.text[:500]}"
    if status >= 500:
        assert status in ENVELOPED_UPSTREAM, f"{where}: server error {status}: {response.text[:500]}"
    if status < 400:
        return None
    try:
        body = json.loads(response.content or b"")
    except ValueError:
        raise AssertionError(f"{where}: error {status} is not JSON: {response.text[:300]!r}") from None
    error = body.get("error") if isinstance(body, dict) else None
    assert isinstance(error, dict), f"{where}: error {status} outside the envelope: {body!r:.300}"
    assert isinstance(error.get("code"), str) and error["code"], f"{where}: envelope without a code: {error}"
    assert isinstance(error.get("message"), str) and error["message"], f"{where}: envelope without a message"
    assert "details" in error, f"{where}: envelope without details: {error}"
    return None


CHECKS = [envelope_check, response_schema_conformance, content_type_conformance]


def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and (host.startswith("127.") or host in ("::1", "localhost")):
            return real_connect(self, address)
        raise OSError(f"network disabled in the fuzz tests: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.mark.parametrize("operation", _params())
def test_fuzz_operation(operation: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _no_network(monkeypatch)
    user = UserFactory()
    headers = {"Authorization": bearer_for(user)}
    name, param_names = _url_name(operation.path)
    fixed: dict[str, str] = {}
    builder = registry.OBJECT_BUILDERS.get(name or "")
    if builder is not None:
        built = builder(user)
        fixed = {api: built.kwargs[django] for api, django in param_names.items() if django in built.kwargs}

    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    if fixed:
        strategies += [
            operation.as_strategy(GenerationMode.POSITIVE, path_parameters=fixed),
            operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=fixed),
        ]

    @settings(
        max_examples=PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(strategies))
    def run(case: Any) -> None:
        with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
            router.route().mock(side_effect=OSErrorRaiser())
            response = case.call(headers=headers)
        # Raises schemathesis' FailureGroup with a curl line to reproduce; hypothesis shrinks it first.
        case.validate_response(response, checks=CHECKS)

    run()


class OSErrorRaiser:
    """respx side effect: every outbound HTTP call fails like an unreachable host."""

    def __call__(self, request: Any) -> Any:
        import httpx

        raise httpx.ConnectError(f"network disabled in the fuzz tests: {request.url}", request=request)
