"""OpenAPI description of our authentication, so the schema (and clients generated from it) know the bearer JWT."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema as _SpectacularAutoSchema


class JWTAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "sentimatrix.api.authentication.JWTAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


class ObjectIdFieldExtension(OpenApiSerializerFieldExtension):
    """``ObjectIdField`` is a 24-hex string on the wire; without this the schema says "any string"
    and drf-spectacular warns for every use."""

    target_class = "sentimatrix.api.fields.ObjectIdField"

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, str]:
        return {"type": "string", "pattern": "^[0-9a-f]{24}$"}


class AutoSchema(_SpectacularAutoSchema):
    """Component names that stay unique when views nest serializers with the same short name.

    Views keep their serializers inside the class (``InputSerializer``, ``OutputSerializer``, ...,
    style.md); drf-spectacular names components by class name only, so two views' ``OutputSerializer``
    collided into one ``Output`` component and one of them was described with the other's fields (the
    fuzzer's response check caught ``/auth/me/usage`` answering with the password-change schema).
    A nested serializer is named after its enclosing class: ``ApiKeyListCreateApi.InputSerializer``
    becomes ``ApiKeyListCreateApiInput``. Top-level serializers keep their names.
    """

    def get_serializer_name(self, serializer: Any, direction: str) -> str:
        name = super().get_serializer_name(serializer, direction)
        qualname = type(serializer).__qualname__
        if "." in qualname and "<locals>" not in qualname:
            outer = qualname.rsplit(".", 2)[-2]
            if not name.startswith(outer):
                name = f"{outer}{name}"
        return name

    def _insert_field_validators(self, field: Any, schema: dict[str, Any]) -> None:
        super()._insert_field_validators(field, schema)
        # drf-spectacular describes a blank-allowed field with a pattern or format as
        # ``oneOf: [<pattern>, {maxLength: 0}]``; when the pattern also accepts "" (``^(..)?$``) the
        # empty string matches both branches and a valid answer fails ``oneOf``. "Either" is ``anyOf``.
        alternatives = schema.get("oneOf")
        if isinstance(alternatives, list) and {"type": "string", "maxLength": 0} in alternatives:
            schema["anyOf"] = schema.pop("oneOf")
