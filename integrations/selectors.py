"""Reads, scoped to the owner here so no view can forget the tenant filter (security.md 4.1)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from integrations.models import Alert, AlertRule, ApiKey, Webhook, WebhookDelivery
from sentimatrix.api.errors import NotFoundError
from sentimatrix.db.ids import object_id_or_none

__all__ = [
    "alert_list",
    "alert_rule_get",
    "api_key_get",
    "api_key_list",
    "delivery_get",
    "delivery_list",
    "webhook_get",
    "webhook_list",
]


def api_key_list(*, user: Any, provider: str | None = None) -> QuerySet[ApiKey]:
    keys = ApiKey.objects.filter(user=user).order_by("-created_at")
    if provider:
        keys = keys.filter(provider=provider)
    return keys


def api_key_get(*, user: Any, api_key_id: Any) -> ApiKey:
    """The key if ``user`` owns it; 404 otherwise (another tenant's id looks exactly like a missing one)."""
    oid = object_id_or_none(api_key_id)
    api_key = ApiKey.objects.filter(pk=oid, user=user).first() if oid is not None else None
    if api_key is None:
        raise NotFoundError("No such API key.")
    return api_key


def webhook_list(*, user: Any) -> QuerySet[Webhook]:
    return Webhook.objects.filter(user=user).order_by("-created_at")


def webhook_get(*, user: Any, webhook_id: Any) -> Webhook:
    oid = object_id_or_none(webhook_id)
    webhook = Webhook.objects.filter(pk=oid, user=user).first() if oid is not None else None
    if webhook is None:
        raise NotFoundError("No such webhook.")
    return webhook


def delivery_list(
    *, user: Any, webhook: Webhook, status: str | None = None, event: str | None = None
) -> QuerySet[WebhookDelivery]:
    deliveries = WebhookDelivery.objects.filter(user=user, webhook=webhook).order_by("-created_at")
    if status:
        deliveries = deliveries.filter(status=status)
    if event:
        deliveries = deliveries.filter(event=event)
    return deliveries


def delivery_get(*, user: Any, webhook: Webhook, delivery_id: Any) -> WebhookDelivery:
    oid = object_id_or_none(delivery_id)
    delivery = WebhookDelivery.objects.filter(pk=oid, user=user, webhook=webhook).first() if oid is not None else None
    if delivery is None:
        raise NotFoundError("No such delivery.")
    return delivery


def alert_list(*, user: Any, project: Any) -> QuerySet[Alert]:
    return Alert.objects.filter(user=user, project=project).order_by("-created_at")


def alert_rule_get(*, project: Any) -> AlertRule | None:
    return AlertRule.objects.filter(project=project).first()
