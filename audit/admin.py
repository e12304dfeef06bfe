"""Read-only audit log in the admin: list, filters, search, detail. No add, change or delete,
for anyone (superusers included): the log is insert-only (ASVS 16.4.2)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from audit.models import AuditLog


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "event_type", "user_email", "success", "ip_address"]
    list_filter = ["success", "event_type", "created_at"]
    search_fields = ["event_type", "ip_address", "user_agent", "user__email"]
    list_select_related = ["user"]
    ordering = ["-created_at"]
    list_per_page = 100
    fields = ["id", "created_at", "event_type", "success", "user", "ip_address", "user_agent", "metadata"]
    readonly_fields = fields
    actions = None

    @admin.display(description="user", ordering="user__email")
    def user_email(self, obj: AuditLog) -> str:
        return obj.user.email if obj.user_id and obj.user else "—"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
