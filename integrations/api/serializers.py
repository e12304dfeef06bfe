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


class WebhookStatsSerializer(serializers.Serializer):
    total_deliveries = serializers.IntegerField()
    successful_deliveries = serializers.IntegerField()
    failed_deliveries = serializers.IntegerField()
    last_delivery = serializers.DateTimeField(allow_null=True)
    last_status = serializers.CharField()


class WebhookOutputSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField())
    label = serializers.CharField()
    project_id = serializers.CharField(allow_null=True)
    enabled = serializers.BooleanField()
    disabled_reason = serializers.CharField()
    disabled_at = serializers.DateTimeField(allow_null=True)
    secret_hint = serializers.CharField()
    previous_secret_expires_at = serializers.DateTimeField(allow_null=True)
    consecutive_failures = serializers.IntegerField()
    stats = WebhookStatsSerializer()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class WebhookWithSecretSerializer(WebhookOutputSerializer):
    secret = serializers.CharField(help_text="The signing secret. Shown only in this response; store it now.")


class DeliveryRequestSerializer(serializers.Serializer):
    url = serializers.CharField()
    headers = serializers.DictField(child=serializers.CharField())
    body = serializers.CharField()


class DeliveryResponseSerializer(serializers.Serializer):
    status_code = serializers.IntegerField(allow_null=True)
    headers = serializers.DictField(child=serializers.CharField())
    body = serializers.CharField(allow_blank=True)
    time_ms = serializers.IntegerField()


class DeliveryOutputSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    webhook_id = serializers.CharField()
    project_id = serializers.CharField(allow_null=True)
    event = serializers.CharField()
    message_id = serializers.CharField()
    status = serializers.CharField()
    is_test = serializers.BooleanField()
    request = DeliveryRequestSerializer()
    response = DeliveryResponseSerializer(allow_null=True)
    error = serializers.CharField(allow_blank=True)
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
