"""Evaluate MongoDB's ``$jsonSchema`` dialect against a document.

MongoDB implements JSON Schema draft 4 with ``bsonType`` added and without ``$ref``, ``$schema``,
``default``, ``definitions``, ``format`` and ``id``:
https://www.mongodb.com/docs/manual/reference/operator/query/jsonSchema/#json-schema

Used by the emulated engine (which cannot evaluate validators) so tests see real enforcement,
and by the validator definitions' own tests. Pure: no Django imports.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from bson import Binary, Decimal128, Int64, ObjectId, Regex, Timestamp

_MISSING = object()


def bson_type(value: Any) -> str:
    """The BSON type alias of a Python value as pymongo would encode it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, Int64):
        return "long"
    if isinstance(value, int):
        return "int" if -(2**31) <= value < 2**31 else "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, (Decimal128, Decimal)):
        return "decimal"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, ObjectId):
        return "objectId"
    if isinstance(value, dt.datetime):
        return "date"
    if isinstance(value, (bytes, Binary)):
        return "binData"
    if isinstance(value, (re.Pattern, Regex)):
        return "regex"
    if isinstance(value, Timestamp):
        return "timestamp"
    return type(value).__name__


_JSON_TYPES = {
    "object": {"object"},
    "array": {"array"},
    "string": {"string"},
    "boolean": {"bool"},
    "null": {"null"},
    "number": {"int", "long", "double", "decimal"},
    "integer": {"int", "long"},
}


def _types(spec: Any) -> list[str]:
    return list(spec) if isinstance(spec, (list, tuple)) else [spec]


def _is_number(value: Any) -> bool:
    return bson_type(value) in {"int", "long", "double", "decimal"}


def _as_number(value: Any) -> float | Decimal:
    if isinstance(value, Decimal128):
        return value.to_decimal()
    return value


def validate(schema: Mapping[str, Any], value: Any, path: str = "") -> list[str]:
    """Return the violations of ``schema`` by ``value``; an empty list means valid."""
    errors: list[str] = []
    where = path or "document"
    kind = bson_type(value)

    if "bsonType" in schema:
        allowed = _types(schema["bsonType"])
        # "number" is an alias matching every numeric BSON type.
        ok = any(kind == wanted or (wanted == "number" and _is_number(value)) for wanted in allowed)
        if not ok:
            errors.append(f"{where}: expected bsonType {allowed}, got {kind}")
            return errors
    if "type" in schema:
        allowed = _types(schema["type"])
        if not any(kind in _JSON_TYPES.get(wanted, set()) for wanted in allowed):
            errors.append(f"{where}: expected type {allowed}, got {kind}")
            return errors
    if "enum" in schema and not any(_equal(value, option) for option in schema["enum"]):
        errors.append(f"{where}: {value!r} is not one of {list(schema['enum'])}")

    if _is_number(value):
        number = _as_number(value)
        if "minimum" in schema:
            too_small = number <= schema["minimum"] if schema.get("exclusiveMinimum") else number < schema["minimum"]
            if too_small:
                errors.append(f"{where}: {value} is below the minimum {schema['minimum']}")
        if "maximum" in schema:
            too_big = number >= schema["maximum"] if schema.get("exclusiveMaximum") else number > schema["maximum"]
            if too_big:
                errors.append(f"{where}: {value} is above the maximum {schema['maximum']}")
        if "multipleOf" in schema and number % schema["multipleOf"] != 0:
            errors.append(f"{where}: {value} is not a multiple of {schema['multipleOf']}")

    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            errors.append(f"{where}: shorter than {schema['minLength']} characters")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errors.append(f"{where}: longer than {schema['maxLength']} characters")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{where}: does not match {schema['pattern']!r}")

    if isinstance(value, Mapping):
        errors.extend(_validate_object(schema, value, where, path))
    if isinstance(value, (list, tuple)):
        errors.extend(_validate_array(schema, value, where, path))

    for sub in schema.get("allOf", []):
        errors.extend(validate(sub, value, path))
    if "anyOf" in schema and not any(not validate(sub, value, path) for sub in schema["anyOf"]):
        errors.append(f"{where}: matches none of anyOf")
    if "oneOf" in schema and sum(not validate(sub, value, path) for sub in schema["oneOf"]) != 1:
        errors.append(f"{where}: does not match exactly one of oneOf")
    if "not" in schema and not validate(schema["not"], value, path):
        errors.append(f"{where}: matches a schema it must not match")
    return errors


def _validate_object(schema: Mapping[str, Any], value: Mapping[str, Any], where: str, path: str) -> list[str]:
    errors = [f"{where}: missing required field {name!r}" for name in schema.get("required", []) if name not in value]
    properties: Mapping[str, Any] = schema.get("properties", {})
    patterns: Mapping[str, Any] = schema.get("patternProperties", {})
    for name, item in value.items():
        child = f"{path}.{name}" if path else name
        matched = False
        if name in properties:
            matched = True
            errors.extend(validate(properties[name], item, child))
        for pattern, sub in patterns.items():
            if re.search(pattern, name):
                matched = True
                errors.extend(validate(sub, item, child))
        if not matched:
            additional = schema.get("additionalProperties", True)
            if additional is False:
                errors.append(f"{where}: unexpected field {name!r}")
            elif isinstance(additional, Mapping):
                errors.extend(validate(additional, item, child))
    if "minProperties" in schema and len(value) < schema["minProperties"]:
        errors.append(f"{where}: fewer than {schema['minProperties']} fields")
    if "maxProperties" in schema and len(value) > schema["maxProperties"]:
        errors.append(f"{where}: more than {schema['maxProperties']} fields")
    for name, needed in schema.get("dependencies", {}).items():
        if name in value and isinstance(needed, Sequence) and not isinstance(needed, str):
            errors.extend(f"{where}: {name!r} requires {other!r}" for other in needed if other not in value)
    return errors


def _validate_array(schema: Mapping[str, Any], value: Sequence[Any], where: str, path: str) -> list[str]:
    errors = []
    items = schema.get("items")
    if isinstance(items, Mapping):
        for index, item in enumerate(value):
            errors.extend(validate(items, item, f"{path}.{index}"))
    elif isinstance(items, Sequence):
        for index, (sub, item) in enumerate(zip(items, value, strict=False)):
            errors.extend(validate(sub, item, f"{path}.{index}"))
        if schema.get("additionalItems") is False and len(value) > len(items):
            errors.append(f"{where}: more items than allowed")
    if "minItems" in schema and len(value) < schema["minItems"]:
        errors.append(f"{where}: fewer than {schema['minItems']} items")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        errors.append(f"{where}: more than {schema['maxItems']} items")
    if schema.get("uniqueItems"):
        seen: list[Any] = []
        for item in value:
            if any(_equal(item, other) for other in seen):
                errors.append(f"{where}: items are not unique")
                break
            seen.append(item)
    return errors


def _equal(left: Any, right: Any) -> bool:
    if _is_number(left) and _is_number(right):
        return _as_number(left) == _as_number(right)
    return bson_type(left) == bson_type(right) and left == right
