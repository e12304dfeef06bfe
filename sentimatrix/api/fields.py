"""ObjectIds on the wire are 24-hex strings (DRF has no ObjectId support)."""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from rest_framework import serializers


class ObjectIdField(serializers.Field):
    default_error_messages = {"invalid": "Not a valid id: expected 24 hexadecimal characters."}

    def to_representation(self, value: Any) -> str:
        return str(value)

    def to_internal_value(self, data: Any) -> ObjectId:
        if isinstance(data, ObjectId):
            return data
        if isinstance(data, str) and len(data) == 24 and ObjectId.is_valid(data):
            return ObjectId(data)
        self.fail("invalid")
        raise AssertionError("unreachable")  # fail() raises
