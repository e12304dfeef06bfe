"""Support admin for projects, targets and presets.

Embedded config and stats are shown read-only as JSON (support staff change a project's state with
the actions, which go through the services and are audited; configuration belongs to the owner).
The forms save and delete through the same services (``save_model``, ``delete_model``,
``delete_queryset``), so quotas, schedules, stats and the audit log stay right. Presets are
read-only here: system presets change only with ``seed_presets --reset``, custom ones belong to
their owners (the admin may delete one).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from projects import selectors, services
from projects.charts import sentiment_timeline_svg
from projects.config import to_dict
from projects.models import PLATFORMS, Preset, Project, Target
from sentimatrix.api.errors import ApplicationError


def _json(value: Any) -> str:
    return format_html("<pre>{}</pre>", json.dumps(to_dict(value), indent=2, default=str))


class PlatformFilter(admin.SimpleListFilter):
    title = "platform"
    parameter_name = "platform"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(p, p) for p in PLATFORMS]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if not self.value():
            return queryset
        project_ids = set(Target.objects.filter(platform=self.value()).values_list("project_id", flat=True))
        return queryset.filter(pk__in=list(project_ids))


class TargetInline(admin.TabularInline):
    model = Target
    fields = ("url", "label", "platform", "status", "error_message")
    readonly_fields = fields  # edited on the target's own page, through target_update
    extra = 0
    show_change_link = True
    can_delete = False


def _changed(form: Any) -> dict[str, Any]:
    return {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}


def _run(request: HttpRequest, admin_obj: Any, items: QuerySet, action: Any, verb: str) -> None:
    done = 0
    for item in items:
        try:
            action(item)
            done += 1
        except ApplicationError as exc:
            admin_obj.message_user(request, f"{item}: {exc.message}", level=messages.WARNING)
    admin_obj.message_user(request, f"{verb} {done} item(s).")


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "preset", "status", "target_count", "last_run", "next_run", "created_at")
    list_filter = ("status", "preset", PlatformFilter)
    search_fields = ("name", "user__email")
    readonly_fields = (
        "user",
        "preset",
        "preset_ref",
        "config_json",
        "stats_json",
        "status",
        "created_at",
        "updated_at",
        "archived_at",
    )
    fields = ("user", "name", "description", *readonly_fields[1:])  # status: the actions below
    inlines = [TargetInline]
    actions = ["pause", "resume", "archive"]
    list_select_related = ("user",)

    @admin.display(description="owner", ordering="user__email")
    def owner(self, obj: Project) -> str:
        return obj.user.email

    @admin.display(description="targets")
    def target_count(self, obj: Project) -> int:
        return obj.stats.total_targets if obj.stats else 0

    @admin.display(description="last run")
    def last_run(self, obj: Project) -> Any:
        return obj.config.schedule.last_run_at

    @admin.display(description="next run")
    def next_run(self, obj: Project) -> Any:
        return obj.config.schedule.next_run_at

    @admin.display(description="config")
    def config_json(self, obj: Project) -> str:
        return _json(obj.config)

    @admin.display(description="stats")
    def stats_json(self, obj: Project) -> str:
        return _json(obj.stats)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # projects are created by their owners (plan limits, presets)

    def save_model(self, request: HttpRequest, obj: Project, form: Any, change: bool) -> None:
        if data := _changed(form):
            services.project_update(actor=request.user, project=Project.objects.get(pk=obj.pk), data=data)

    def delete_model(self, request: HttpRequest, obj: Project) -> None:
        services.project_delete(actor=request.user, project=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for project in queryset.select_related("user"):
            services.project_delete(actor=request.user, project=project)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # The sentiment timeline (issue 8): server-side SVG above the fields, drawn only for a
        # project this user may see (get_object applies the admin's permissions and queryset).
        extra_context = dict(extra_context or {})
        project = self.get_object(request, object_id)
        if project is not None and self.has_view_or_change_permission(request, project):
            points = selectors.project_sentiment_timeline(project=project, days=90)
            # the renderer escapes every text it draws
            extra_context["sentiment_chart"] = mark_safe(sentiment_timeline_svg(points))  # noqa: S308
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="Pause selected projects", permissions=["change"])
    def pause(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run(
            request,
            self,
            queryset,
            lambda p: services.project_update(actor=request.user, project=p, data={"status": "paused"}),
            "Paused",
        )

    @admin.action(description="Resume selected projects", permissions=["change"])
    def resume(self, request: HttpRequest, queryset: QuerySet) -> None:
        def resume_one(project: Project) -> None:
            if project.status == Project.Status.ARCHIVED:
                services.project_restore(actor=request.user, project=project)
            else:
                services.project_update(actor=request.user, project=project, data={"status": "active"})

        _run(request, self, queryset, resume_one, "Resumed")

    @admin.action(description="Archive selected projects", permissions=["change"])
    def archive(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run(request, self, queryset, lambda p: services.project_archive(actor=request.user, project=p), "Archived")


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ("__str__", "platform", "status", "error_message", "project", "owner", "created_at")
    list_filter = ("platform", "status")
    search_fields = ("url", "label")
    readonly_fields = (
        "project",
        "user",
        "url",
        "source_url",
        "platform",
        "detected_type",
        "platform_data",
        "needs_resolution",
        "options_json",
        "stats_json",
        "status",
        "error_message",
        "created_at",
        "updated_at",
    )
    fields = ("label", *readonly_fields)  # status: the actions below
    actions = ["pause", "resume"]
    list_select_related = ("project", "user")

    @admin.display(description="owner")
    def owner(self, obj: Target) -> str:
        return obj.user.email

    @admin.display(description="options")
    def options_json(self, obj: Target) -> str:
        return _json(obj.options)

    @admin.display(description="stats")
    def stats_json(self, obj: Target) -> str:
        return _json(obj.stats)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # targets are added through the API (URL parsing, duplicates, plan limits)

    def save_model(self, request: HttpRequest, obj: Target, form: Any, change: bool) -> None:
        if data := _changed(form):
            services.target_update(actor=request.user, target=Target.objects.get(pk=obj.pk), data=data)

    def delete_model(self, request: HttpRequest, obj: Target) -> None:
        services.target_delete(actor=request.user, target=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for target in queryset.select_related("user"):
            services.target_delete(actor=request.user, target=target)

    @admin.action(description="Pause selected targets", permissions=["change"])
    def pause(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run(
            request,
            self,
            queryset,
            lambda t: services.target_update(actor=request.user, target=t, data={"status": "paused"}),
            "Paused",
        )

    @admin.action(description="Resume selected targets (clears the error)", permissions=["change"])
    def resume(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run(
            request,
            self,
            queryset,
            lambda t: services.target_update(actor=request.user, target=t, data={"status": "active"}),
            "Resumed",
        )


@admin.register(Preset)
class PresetAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "is_system", "owner", "updated_at")
    list_filter = ("is_system",)
    search_fields = ("name", "slug")
    readonly_fields = ("name", "description", "user", "slug", "is_system", "config_json", "created_at", "updated_at")
    fields = readonly_fields

    @admin.display(description="owner")
    def owner(self, obj: Preset) -> str:
        return obj.user.email if obj.user_id else "(system)"

    @admin.display(description="config")
    def config_json(self, obj: Preset) -> str:
        return _json(obj.config)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Preset | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Preset | None = None) -> bool:
        if obj is not None and obj.is_system:
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request: HttpRequest, obj: Preset) -> None:
        services.preset_delete(actor=request.user, preset=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        # System presets in a bulk selection are skipped (preset_delete refuses them), not deleted.
        for preset in queryset.filter(is_system=False).select_related("user"):
            services.preset_delete(actor=request.user, preset=preset)
