"""ObjectId coercion for ids that arrive as strings (URLs, bodies, task arguments). Imports no models."""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from bson.errors import InvalidId


def object_id_or_none(value: Any) -> ObjectId | None:
    """``value`` as an ObjectId, or None when it is not one (a selector then answers "not found")."""
    if isinstance(value, ObjectId):
        return value
    try:
        return ObjectId(str(value))
    except (InvalidId, TypeError):
        return None
