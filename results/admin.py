"""Support admin for results and analysis jobs.

Results: content and analysis are read-only (shown as JSON next to the model's label and any human
correction); support staff act through actions that call the services, so every change is audited:
re-analyze, and correct the label (positive / neutral / negative) or clear a correction. Nobody
deletes results here: deleting is the owner's, through the API (stats recomputed, audited).
Analysis jobs are read-only: status, counts, tokens, cost and errors.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from results import services
from results.models import SENTIMENT_LABELS, AnalysisJob, Result
from sentimatrix.admin_site import ActPermissionMixin
from sentimatrix.api.errors import ApplicationError


def _json(value: Any) -> str:
    from django.forms.models import model_to_dict

    def plain(obj: Any) -> Any:
        if obj is None or isinstance(obj, (str, int, float, bool)):
            return obj
        if isinstance(obj, (list, tuple)):
            return [plain(item) for item in obj]
        if isinstance(obj, dict):
            return {key: plain(item) for key, item in obj.items()}
        if hasattr(obj, "_meta"):
            return {key: plain(item) for key, item in model_to_dict(obj).items()}
        return str(obj)

    return format_html("<pre>{}</pre>", json.dumps(plain(value), indent=2, default=str))


class SentimentFilter(admin.SimpleListFilter):
    title = "sentiment (model)"
    parameter_name = "sentiment"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(label, label) for label in SENTIMENT_LABELS]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(analysis__sentiment__label=self.value()) if self.value() else queryset


class OverrideFilter(admin.SimpleListFilter):
    title = "human correction"
    parameter_name = "override"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "corrected"), ("no", "not corrected")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(label_override__isnull=False)
        if self.value() == "no":
            return queryset.filter(label_override__isnull=True)
        return queryset


class ProjectFilter(admin.SimpleListFilter):
    """The projects that own results, by name (results reference projects by id, not ForeignKey)."""

    title = "project"
    parameter_name = "project_id"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        from projects.models import Project

        return [(str(p.pk), p.name) for p in Project.objects.order_by("name")[:200]]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        from bson import ObjectId

        value = self.value()
        if value and ObjectId.is_valid(value):
            return queryset.filter(project_id=ObjectId(value))
        return queryset


@admin.register(Result)
class ResultAdmin(ActPermissionMixin, admin.ModelAdmin):
    list_display = ("excerpt", "platform", "model_label", "corrected_label", "score", "language", "created_at")
    list_filter = (ProjectFilter, "platform", SentimentFilter, OverrideFilter, "language", "analysis_status")
    search_fields = ("content__text", "content__title")
    ordering = ("-created_at",)
    readonly_fields = (
        "user", "project_id", "target_id", "scrape_job_id", "platform", "language", "word_count",
        "analysis_status", "analysis_job_id", "analysis_error", "created_at", "updated_at",
        "content_json", "analysis_json", "override_json", "provenance_json",
    )  # fmt: skip
    fields = readonly_fields
    actions = ["reanalyze", "mark_positive", "mark_neutral", "mark_negative", "clear_override"]
    list_per_page = 50
    show_full_result_count = False  # a count over millions of results on every page view is not worth it

    @admin.display(description="text")
    def excerpt(self, obj: Result) -> str:
        text = (obj.content.title + " — " if obj.content and obj.content.title else "") + (
            obj.content.text if obj.content else ""
        )
        return text[:80] + ("…" if len(text) > 80 else "")

    @admin.display(description="model label")
    def model_label(self, obj: Result) -> str | None:
        return obj.analysis.sentiment.label if obj.analysis and obj.analysis.sentiment else None

    @admin.display(description="corrected")
    def corrected_label(self, obj: Result) -> str:
        return obj.label_override.label if obj.label_override else ""

    @admin.display(description="score")
    def score(self, obj: Result) -> float | None:
        return obj.analysis.sentiment.score if obj.analysis and obj.analysis.sentiment else None

    @admin.display(description="content")
    def content_json(self, obj: Result) -> str:
        return _json(obj.content)

    @admin.display(description="analysis")
    def analysis_json(self, obj: Result) -> str:
        return _json(obj.analysis)

    @admin.display(description="label override")
    def override_json(self, obj: Result) -> str:
        return _json(obj.label_override)

    @admin.display(description="provenance")
    def provenance_json(self, obj: Result) -> str:
        return _json(obj.analysis_provenance)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # results come from scrape jobs

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # read-only; the actions change labels through the services

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deletes go through the API (results.services: stats recomputed, audited for the owner)

    @admin.action(description="Re-analyze selected results", permissions=["act"])
    def reanalyze(self, request: HttpRequest, queryset: QuerySet) -> None:
        outcomes = services.results_reanalyze(actor=request.user, result_ids=queryset.values_list("pk", flat=True))
        for outcome in outcomes:
            if outcome.job is None:
                name = f"{outcome.project_name}: " if outcome.project_name else ""
                self.message_user(request, f"{name}{outcome.error}", level=messages.WARNING)
                continue
            job = outcome.job
            self.message_user(
                request, f"{outcome.project_name}: analysis job {job.pk} ({job.status}, {job.queued} queued)."
            )

    def _override(self, request: HttpRequest, queryset: QuerySet, label: str | None) -> None:
        done = 0
        for result in queryset.select_related("user"):
            try:
                services.result_label_override(
                    actor=request.user, owner=result.user, result_id=result.pk, label=label, note="support admin"
                )
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{result.pk}: {exc.message}", level=messages.WARNING)
        self.message_user(request, f"Updated {done} result(s).")

    @admin.action(description="Correct label to positive", permissions=["act"])
    def mark_positive(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._override(request, queryset, "positive")

    @admin.action(description="Correct label to neutral", permissions=["act"])
    def mark_neutral(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._override(request, queryset, "neutral")

    @admin.action(description="Correct label to negative", permissions=["act"])
    def mark_negative(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._override(request, queryset, "negative")

    @admin.action(description="Remove the label correction", permissions=["act"])
    def clear_override(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._override(request, queryset, None)


@admin.register(AnalysisJob)
class AnalysisJobAdmin(admin.ModelAdmin):
    list_display = (
        "id", "project_id", "trigger", "status", "analyzer", "model", "queued", "analyzed", "failed",
        "tokens_in", "tokens_out", "cost", "created_at",
    )  # fmt: skip
    list_filter = ("status", "trigger", "analyzer", "provider")
    ordering = ("-created_at",)
    readonly_fields = (
        "user", "project_id", "scrape_job_id", "trigger", "status", "analyzer", "provider", "model", "preset",
        "options", "queued", "analyzed", "failed", "requests", "tokens_in", "tokens_out", "tokens_cached",
        "cost_usd", "attempts", "error_code", "error_message", "errors", "usage_records", "created_at",
        "started_at", "completed_at", "updated_at",
    )  # fmt: skip
    fields = readonly_fields

    @admin.display(description="cost (USD)", ordering="cost_usd")
    def cost(self, obj: AnalysisJob) -> str:
        return f"{obj.cost_usd:.6f}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
