"""Output shapes shared by several integrations endpoints. No serializer here has a secret field."""

from __future__ import annotations

from rest_framework import serializers


class ApiKeyOutputSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    name = serializers.CharField()
    provider = serializers.CharField()
    masked_key = serializers.CharField()
    is_valid = serializers.BooleanField(allow_null=True)
    validation_message = serializers.CharField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    last_validated_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
