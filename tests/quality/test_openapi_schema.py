"""The published OpenAPI schema is complete enough to fuzz and to generate clients from.

drf-spectacular only warns when it has to guess: two serializers with the same component name (one
endpoint then documents the other's fields), a field it cannot type, a view whose serializer it cannot
find (the endpoint is left out of the schema). Each of those makes the fuzzer's schema check wrong or
blind, so they fail here. Enum naming notes are cosmetic and allowed.
"""

from __future__ import annotations

from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

BLOCKING = ("identical names", "could not resolve", "unable to guess", "could not derive", "exception raised")


def test_schema_generates_without_guesswork() -> None:
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    problems = sorted(
        message
        for message in list(GENERATOR_STATS._warn_cache) + list(GENERATOR_STATS._error_cache)
        if any(marker in message for marker in BLOCKING)
    )
    GENERATOR_STATS.reset()
    assert schema["paths"], "empty schema"
    assert not problems, "OpenAPI schema problems:\n" + "\n".join(problems)


def test_every_api_route_is_in_the_schema() -> None:
    from tests.quality import registry

    schema = SchemaGenerator().get_schema(request=None, public=True)
    documented = set(schema["paths"])
    missing = []
    for endpoint in registry.discover():
        path = "/" + endpoint.route
        for param in endpoint.params:
            path = path.replace(f"<objectid:{param}>", "{" + ("id" if param == "pk" else param) + "}")
            for conv in ("str", "slug", "int", "uuid", "path"):
                path = path.replace(f"<{conv}:{param}>", "{" + ("id" if param == "pk" else param) + "}")
        if path not in documented:
            missing.append(path)
    assert not missing, f"routes the OpenAPI schema leaves out (the fuzzer cannot see them): {missing}"
