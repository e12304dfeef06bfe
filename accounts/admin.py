"""Support admin for users: list with plan, status, usage and last login; filters and search;
actions suspend / reactivate / reset usage / revoke sessions. Every write goes through
``accounts.services`` so it is audited, and never rewrites the ``$inc``-maintained usage counters."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts import services
from accounts.models import User
from sentimatrix.api.errors import ApplicationError

_STAFF_EDITABLE = ("name", "company", "avatar_url", "plan", "email_verified")
_SUPERUSER_EDITABLE = ("is_staff", "groups")


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "plan", "status", "projects_used", "scrapes_used", "api_calls_used", "last_login"]
    list_filter = ["plan", "status", "email_verified", "is_staff"]
    search_fields = ["email", "name", "company"]
    ordering = ["-created_at"]
    list_per_page = 50
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = ["suspend_selected", "reactivate_selected", "reset_usage_selected", "revoke_sessions_selected"]
    fieldsets = [
        (None, {"fields": ["id", "email", "name", "company", "avatar_url"]}),
        ("Plan and status", {"fields": ["plan", "status", "usage_summary", "deleted_at"]}),
        ("Sign-in", {"fields": ["email_verified", "email_verified_at", "oauth_summary", "last_login", "created_at"]}),
        ("Staff", {"fields": ["role", "is_staff", "is_superuser", "groups"]}),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        editable = set(_STAFF_EDITABLE)
        if request.user.is_superuser:
            editable |= set(_SUPERUSER_EDITABLE)
        every = [name for _, options in self.fieldsets for name in options["fields"]]
        return [name for name in every if name not in editable]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # people register themselves; staff accounts come from `createsuperuser`

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # accounts are soft-deleted through the API and purged by the retention command

    @admin.display(description="projects")
    def projects_used(self, obj: User) -> int:
        return obj.usage.projects_count

    @admin.display(description="scrapes (month)")
    def scrapes_used(self, obj: User) -> int:
        return obj.usage.scrapes_this_month

    @admin.display(description="API calls (month)")
    def api_calls_used(self, obj: User) -> int:
        return obj.usage.api_calls_this_month

    @admin.display(description="usage")
    def usage_summary(self, obj: User) -> str:
        u = obj.usage
        return (
            f"{u.projects_count} projects, {u.scrapes_this_month} scrapes and {u.api_calls_this_month} API calls "
            f"this month (last reset {u.last_reset_at or 'never'})"
        )

    @admin.display(description="linked sign-ins")
    def oauth_summary(self, obj: User) -> str:
        linked = [name for name in ("google", "github") if getattr(obj.oauth, f"{name}_id", None)]
        return ", ".join(linked) or "none"

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        data = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
        data.pop("groups", None)  # many-to-many: saved by save_related
        services.user_update_by_staff(actor=request.user, user=obj, data=data)

    def _each(self, request: HttpRequest, queryset: QuerySet[User], action: Any, verb: str) -> None:
        done = skipped = 0
        for user in queryset:
            try:
                result = action(user)
            except ApplicationError as exc:  # refused for this account (e.g. a superuser); go on with the rest
                self.message_user(request, f"{user.email}: {exc.message}", messages.WARNING)
                result = False
            if result is False:
                skipped += 1
            else:
                done += 1
        self.message_user(request, f"{verb} {done} account(s)" + (f"; {skipped} skipped" if skipped else "") + ".",
                          messages.SUCCESS if done else messages.WARNING)  # fmt: skip

    @admin.action(description="Suspend selected accounts (ends their sessions)", permissions=["change"])
    def suspend_selected(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._each(request, queryset, lambda u: services.user_suspend(actor=request.user, user=u), "Suspended")

    @admin.action(description="Reactivate selected suspended accounts", permissions=["change"])
    def reactivate_selected(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._each(request, queryset, lambda u: services.user_reactivate(actor=request.user, user=u), "Reactivated")

    @admin.action(description="Reset this month's usage counters", permissions=["change"])
    def reset_usage_selected(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._each(request, queryset, lambda u: services.user_usage_reset(actor=request.user, user=u), "Reset usage of")

    @admin.action(description="Revoke all sessions (log out everywhere)", permissions=["change"])
    def revoke_sessions_selected(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._each(
            request, queryset, lambda u: services.user_sessions_revoke(actor=request.user, user=u), "Ended sessions of"
        )
