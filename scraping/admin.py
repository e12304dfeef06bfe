"""Support admin for scrape jobs: read-only documents, cancel and retry through the services (audited).

Nothing is saved from here: a Save would rewrite the whole job document and race the runner's
conditional updates. The actions need the model's change permission (Support has it).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from scraping import services
from scraping.models import ScrapeJob
from sentimatrix.admin_site import ActPermissionMixin
from sentimatrix.api.errors import ApplicationError


@admin.register(ScrapeJob)
class ScrapeJobAdmin(ActPermissionMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "project",
        "owner",
        "status",
        "progress_percent",
        "trigger",
        "started_at",
        "duration",
        "errors",
        "created_at",
    )
    list_filter = ("status", "trigger", "active")
    search_fields = ("user__email",)
    list_select_related = ("project", "user")
    ordering = ("-created_at",)
    actions = ["cancel_jobs", "retry_jobs"]
    fields = (
        "project",
        "user",
        "status",
        "progress",
        "trigger",
        "triggered_by",
        "retry_of",
        "options_table",
        "stats_table",
        "targets_table",
        "error_message",
        "worker",
        "heartbeat_at",
        "attempts",
        "recoveries",
        "started_at",
        "completed_at",
        "created_at",
        "updated_at",
        "log_table",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # jobs start through the API or a schedule (quota, validation, audit)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # read-only: the runner owns the document (cancel and retry are actions)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # finished jobs expire after SCRAPE_JOB_RETENTION_DAYS

    @admin.display(description="owner", ordering="user__email")
    def owner(self, job: ScrapeJob) -> str:
        return job.user.email

    @admin.display(description="progress", ordering="progress")
    def progress_percent(self, job: ScrapeJob) -> str:
        return f"{job.progress}%"

    @admin.display(description="duration")
    def duration(self, job: ScrapeJob) -> str:
        seconds = job.duration_seconds
        if seconds is None:
            return "-"
        minutes, rest = divmod(int(seconds), 60)
        return f"{minutes}m {rest:02d}s" if minutes else f"{seconds:.1f}s"

    @admin.display(description="errors")
    def errors(self, job: ScrapeJob) -> int:
        return job.stats.errors_count if job.stats else 0

    @admin.display(description="options")
    def options_table(self, job: ScrapeJob) -> str:
        options = job.options
        rows = [(key, getattr(options, key)) for key in services.OPTION_KEYS]
        return format_html("<table>{}</table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows))

    @admin.display(description="stats")
    def stats_table(self, job: ScrapeJob) -> str:
        stats = job.stats
        keys = ("targets_total", "targets_completed", "targets_failed", "results_total", "reviews_fetched",
                "requests_made", "errors_count")  # fmt: skip
        rows = [(key, getattr(stats, key)) for key in keys]
        return format_html("<table>{}</table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows))

    @admin.display(description="targets")
    def targets_table(self, job: ScrapeJob) -> str:
        rows = [
            (
                entry.platform,
                entry.url,
                entry.status,
                f"{entry.progress}%",
                entry.results_count,
                entry.fetched_count,
                entry.pages,
                entry.requests_made,
                entry.error or "",
            )
            for entry in job.targets
        ]
        names = ("platform", "url", "status", "progress", "new", "fetched", "pages", "requests", "error")
        header = format_html_join("", "<th>{}</th>", ((name,) for name in names))
        body = format_html_join("", "<tr>" + "<td>{}</td>" * 9 + "</tr>", rows)
        return format_html("<table><tr>{}</tr>{}</table>", header, body)

    @admin.display(description="log")
    def log_table(self, job: ScrapeJob) -> str:
        rows = [(entry.at, entry.level, entry.event, entry.target_id or "", entry.message) for entry in job.log]
        body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows)
        return format_html("<table>{}</table>", body)

    def _run(self, request: HttpRequest, jobs: QuerySet, action: Any, verb: str) -> None:
        done = 0
        for job in jobs:
            try:
                action(actor=request.user, job=job)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"Job {job.pk}: {exc.message}", level=messages.WARNING)
        self.message_user(request, f"{verb} {done} job(s).")

    @admin.action(description="Cancel selected jobs", permissions=["act"])
    def cancel_jobs(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._run(request, queryset.select_related("user"), services.scrape_job_cancel, "Cancelled")

    @admin.action(description="Retry failed targets of selected jobs", permissions=["act"])
    def retry_jobs(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._run(request, queryset.select_related("project", "user"), services.scrape_job_retry, "Retried")
