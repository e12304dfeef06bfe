"""Support-staff admin for API keys, webhooks, deliveries and alerts.

No page ever shows a stored secret: ciphertext fields are excluded everywhere, API keys show the masked key
and webhooks the secret hint. Nothing is added or edited here (secrets only enter through the owner's API);
changes are admin actions that call the audited services.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from integrations.models import Alert, AlertRule, ApiKey, Webhook, WebhookDelivery
from integrations.services import (
    api_key_validate,
    delivery_redeliver,
    webhook_send_test,
    webhook_set_enabled,
)
from sentimatrix.admin_site import ActPermissionMixin
from sentimatrix.api.errors import ApplicationError


def _each(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, action: Callable[[Any], Any], verb: str
) -> None:
    done = 0
    for item in queryset:
        try:
            action(item)
            done += 1
        except ApplicationError as exc:
            model_admin.message_user(request, f"{item}: {exc.message}", level=messages.WARNING)
        except Exception as exc:  # noqa: BLE001 - one bad row must not hide the others' results
            model_admin.message_user(request, f"{item}: {type(exc).__name__}: {exc}", level=messages.ERROR)
    model_admin.message_user(request, f"{verb} {done} item(s).")


class _ReadOnly(ActPermissionMixin, admin.ModelAdmin):
    """No add, edit or delete form: secrets enter through the owner's API and removals go through the
    audited services (a bulk delete here would skip them). State changes are the actions below, each
    gated on the model's change permission (Django's own ``change`` check is off with the forms)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApiKey)
class ApiKeyAdmin(_ReadOnly):
    list_display = ["name", "owner", "provider", "masked_key", "is_valid", "last_used_at", "last_validated_at"]
    list_filter = ["provider", "is_valid"]
    search_fields = ["name", "provider", "masked_key", "user__email"]
    list_select_related = ["user"]
    ordering = ["-created_at"]
    fields = [
        "id", "user", "name", "provider", "masked_key", "is_valid", "validation_message", "last_used_at",
        "last_validated_at", "created_at", "updated_at",
    ]  # fmt: skip  # never encrypted_key or fingerprint
    readonly_fields = fields
    actions = ["revalidate"]

    @admin.display(description="owner", ordering="user__email")
    def owner(self, obj: ApiKey) -> str:
        return obj.user.email

    @admin.action(description="Revalidate with the provider", permissions=["act"])
    def revalidate(self, request: HttpRequest, queryset: QuerySet) -> None:
        _each(self, request, queryset, lambda k: api_key_validate(actor=request.user, api_key=k), "Revalidated")


@admin.register(Webhook)
class WebhookAdmin(_ReadOnly):
    list_display = ["url", "owner", "label", "events_list", "enabled", "consecutive_failures", "created_at"]
    list_filter = ["enabled"]
    search_fields = ["url", "label", "user__email"]
    list_select_related = ["user"]
    ordering = ["-created_at"]
    fields = [
        "id", "user", "project", "url", "label", "events_list", "enabled", "disabled_reason", "disabled_at",
        "consecutive_failures", "stats_summary", "secret_hint", "previous_secret_expires_at", "created_at",
        "updated_at",
    ]  # fmt: skip  # never encrypted_secret or previous_encrypted_secret
    readonly_fields = fields
    actions = ["enable", "disable", "send_test"]

    @admin.display(description="owner", ordering="user__email")
    def owner(self, obj: Webhook) -> str:
        return obj.user.email

    @admin.display(description="events")
    def events_list(self, obj: Webhook) -> str:
        return ", ".join(obj.events)

    @admin.display(description="stats")
    def stats_summary(self, obj: Webhook) -> str:
        s = obj.stats
        if s is None:
            return "—"
        last = s.last_status or "—"
        return f"{s.successful_deliveries} ok / {s.failed_deliveries} failed of {s.total_deliveries}; last {last}"

    @admin.action(description="Enable selected webhooks", permissions=["act"])
    def enable(self, request: HttpRequest, queryset: QuerySet) -> None:
        _each(
            self,
            request,
            queryset,
            lambda w: webhook_set_enabled(actor=request.user, webhook=w, enabled=True),
            "Enabled",
        )

    @admin.action(description="Disable selected webhooks", permissions=["act"])
    def disable(self, request: HttpRequest, queryset: QuerySet) -> None:
        _each(
            self,
            request,
            queryset,
            lambda w: webhook_set_enabled(actor=request.user, webhook=w, enabled=False),
            "Disabled",
        )

    @admin.action(description="Send a test event", permissions=["act"])
    def send_test(self, request: HttpRequest, queryset: QuerySet) -> None:
        def one(webhook: Webhook) -> None:
            delivery = webhook_send_test(actor=request.user, webhook=webhook)
            status = delivery.response.status_code if delivery.response else delivery.error
            self.message_user(request, f"{webhook.url}: {delivery.status} ({status})")

        _each(self, request, queryset, one, "Tested")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(_ReadOnly):
    list_display = ["created_at", "event", "webhook", "owner", "status", "attempts", "next_attempt_at", "delivered_at"]
    list_filter = ["status", "event", "is_test"]
    search_fields = ["event", "message_id", "user__email"]
    list_select_related = ["user", "webhook"]
    ordering = ["-created_at"]
    fields = [
        "id", "webhook", "user", "project", "event", "message_id", "status", "is_test", "attempts", "next_attempt_at",
        "last_attempt_at", "delivered_at", "error", "request", "response", "created_at",
    ]  # fmt: skip
    readonly_fields = fields
    actions = ["redeliver"]

    @admin.display(description="owner", ordering="user__email")
    def owner(self, obj: WebhookDelivery) -> str:
        return obj.user.email

    @admin.action(description="Redeliver selected deliveries", permissions=["act"])
    def redeliver(self, request: HttpRequest, queryset: QuerySet) -> None:
        _each(self, request, queryset, lambda d: delivery_redeliver(actor=request.user, delivery=d), "Redelivered")


@admin.register(Alert)
class AlertAdmin(_ReadOnly):
    list_display = ["created_at", "type", "project", "job_id"]
    list_filter = ["type"]
    search_fields = ["type", "job_id"]
    ordering = ["-created_at"]
    fields = ["id", "project", "user", "type", "job_id", "data", "created_at"]
    readonly_fields = fields


@admin.register(AlertRule)
class AlertRuleAdmin(_ReadOnly):
    list_display = ["project", "enabled", "metric", "threshold_sigma", "window_jobs", "min_sample"]
    list_filter = ["enabled", "metric"]
    fields = ["id", "project", "user", "enabled", "metric", "threshold_sigma", "window_jobs", "min_sample"]
    readonly_fields = fields
