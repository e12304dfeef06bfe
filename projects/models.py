"""Projects, targets and presets (collections ``projects``, ``targets``, ``presets``).

Fields follow seeds/001 ``projects`` and ``targets``; indexes follow seeds/000 phase 2.2 and 2.3.
Choices made where the seeds disagree or are silent (see docs/architecture.md):

* The schedule is embedded in ``config.schedule`` (no ``schedules`` collection). It carries the
  fields of the seed's separate ``schedules`` collection too: ``frequency`` adds ``monthly``,
  ``days_of_week`` uses **0 = Monday .. 6 = Sunday** (``projects.schedule_math``), ``day_of_month``
  1-28, ``last_run_at`` and a bounded ``history`` of runs. ``next_run_at`` is UTC and null while the
  schedule is disabled; a partial index over enabled schedules serves the due-schedules query.
* ``config.limits`` uses the cross-app contract's names: ``max_results_per_target`` (seed
  ``max_reviews_per_target``), ``max_results_per_job`` (seed ``max_requests_per_day``; a job cap is
  what the scraper can enforce) and ``request_delay_seconds`` (seed ``rate_limit_delay``).
* ``config.analysis.analyzer`` picks the analyzer tier (``local-fast``, ``local`` or ``llm``).
* Targets keep the seed's names (``label``, ``platform_data``, ``error_message``,
  ``stats.last_scraped_at``); the contract's ``name``, ``platform_ids``, ``last_error`` and
  ``last_scraped_at`` are properties over them. ``url`` is the canonical URL from
  ``scraping.platforms.urls.parse_target_url`` (unique per project); ``source_url`` is what the user
  pasted.
* Presets: system presets have ``user=None`` and ``is_system=True`` (slug unique among them);
  custom presets belong to a user (name unique per user). A project records the preset's slug in
  ``preset`` (``"custom"`` for a custom preset, whose id is in ``preset_ref``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_mongodb_backend.fields import ArrayField, EmbeddedModelArrayField, EmbeddedModelField, ObjectIdField
from django_mongodb_backend.models import EmbeddedModel

from sentimatrix.db.indexes import MongoIndex

PLATFORMS = ("amazon", "steam", "youtube", "reddit", "google", "trustpilot", "yelp")
COMMERCIAL_PROVIDERS = ("scraperapi", "apify")
ANALYZERS = ("local-fast", "local", "llm")
EMOTION_MODELS = ("ekman", "goemotions", "plutchik")
FREQUENCIES = ("hourly", "daily", "weekly", "monthly")
SCHEDULE_HISTORY_SIZE = 50


def _choices(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(value, value) for value in values]


# --- embedded: project config -------------------------------------------------------------


class CommercialConfig(EmbeddedModel):
    api_key_id = ObjectIdField(null=True, blank=True)
    render_js = models.BooleanField(default=False)
    country = models.CharField(max_length=8, blank=True, default="")
    premium_proxy = models.BooleanField(default=False)


class ScrapersConfig(EmbeddedModel):
    platforms = ArrayField(models.CharField(max_length=32), default=list, blank=True)
    commercial_provider = models.CharField(max_length=32, null=True, blank=True, choices=_choices(COMMERCIAL_PROVIDERS))
    commercial_config = EmbeddedModelField(CommercialConfig, default=CommercialConfig)


class LLMConfig(EmbeddedModel):
    provider = models.CharField(max_length=32, default="groq")
    model = models.CharField(max_length=128, default="llama-3.3-70b-versatile")
    api_key_id = ObjectIdField(null=True, blank=True)
    temperature = models.FloatField(default=0.7)
    max_tokens = models.IntegerField(default=1000)


class AnalysisConfig(EmbeddedModel):
    sentiment = models.BooleanField(default=True)
    analyzer = models.CharField(max_length=16, default="local-fast", choices=_choices(ANALYZERS))
    sentiment_classes = models.IntegerField(default=3, choices=[(3, "3"), (5, "5")])
    emotions = models.BooleanField(default=False)
    emotion_model = models.CharField(max_length=16, default="ekman", choices=_choices(EMOTION_MODELS))
    summarize = models.BooleanField(default=False)
    extract_insights = models.BooleanField(default=False)


class ScheduleRun(EmbeddedModel):
    """One schedule run, newest first in ``ScheduleConfig.history`` (bounded)."""

    job_id = ObjectIdField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, default="queued")  # queued/running/completed/failed/skipped
    results_count = models.IntegerField(default=0)
    error = models.CharField(max_length=500, blank=True, default="")


class ScheduleConfig(EmbeddedModel):
    enabled = models.BooleanField(default=False)
    frequency = models.CharField(max_length=16, default="daily", choices=_choices(FREQUENCIES))
    time = models.CharField(max_length=5, default="09:00")  # local "HH:MM"; hourly uses MM only
    timezone = models.CharField(max_length=64, default="UTC")
    days_of_week = ArrayField(models.IntegerField(), default=list, blank=True)  # 0 = Monday
    day_of_month = models.IntegerField(null=True, blank=True)  # 1-28, monthly only
    next_run_at = models.DateTimeField(null=True, blank=True)  # UTC; null while disabled
    last_run_at = models.DateTimeField(null=True, blank=True)
    history = EmbeddedModelArrayField(ScheduleRun, default=list, blank=True)


class LimitsConfig(EmbeddedModel):
    max_results_per_target = models.IntegerField(default=100)
    max_results_per_job = models.IntegerField(default=500)
    request_delay_seconds = models.FloatField(default=1.0)


class ProjectConfig(EmbeddedModel):
    scrapers = EmbeddedModelField(ScrapersConfig, default=ScrapersConfig)
    llm = EmbeddedModelField(LLMConfig, default=LLMConfig)
    analysis = EmbeddedModelField(AnalysisConfig, default=AnalysisConfig)
    schedule = EmbeddedModelField(ScheduleConfig, default=ScheduleConfig)
    limits = EmbeddedModelField(LimitsConfig, default=LimitsConfig)


# --- embedded: stats ------------------------------------------------------------------------


class SentimentDistribution(EmbeddedModel):
    positive = models.IntegerField(default=0)
    neutral = models.IntegerField(default=0)
    negative = models.IntegerField(default=0)


class ProjectStats(EmbeddedModel):
    total_targets = models.IntegerField(default=0)
    total_results = models.IntegerField(default=0)
    total_scrapes = models.IntegerField(default=0)
    avg_sentiment = models.FloatField(null=True, blank=True)
    sentiment_distribution = EmbeddedModelField(SentimentDistribution, default=SentimentDistribution)
    last_scrape_at = models.DateTimeField(null=True, blank=True)
    last_analysis_at = models.DateTimeField(null=True, blank=True)


class TargetOptions(EmbeddedModel):
    country = models.CharField(max_length=8, blank=True, default="")
    language = models.CharField(max_length=32, blank=True, default="")
    sort_by = models.CharField(max_length=32, blank=True, default="")
    filter = models.JSONField(default=dict, blank=True)


class TargetStats(EmbeddedModel):
    results_count = models.IntegerField(default=0)
    last_scraped_at = models.DateTimeField(null=True, blank=True)
    last_result_date = models.DateTimeField(null=True, blank=True)


# --- collections ----------------------------------------------------------------------------


class Project(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active"
        PAUSED = "paused"
        ERROR = "error"
        ARCHIVED = "archived"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="projects")
    name = models.CharField(max_length=200)
    description = models.CharField(max_length=2000, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    preset = models.CharField(max_length=64, default="custom")  # system slug, or "custom"
    preset_ref = ObjectIdField(null=True, blank=True)  # the custom preset's id, if any
    config = EmbeddedModelField(ProjectConfig, default=ProjectConfig)
    stats = EmbeddedModelField(ProjectStats, default=ProjectStats)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "projects"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "status", "-created_at"], name="projects_user_status_created"),
            models.Index(fields=["user", "archived_at"], name="projects_user_archived"),
            # The due-schedules query ({enabled: true, next_run_at <= now}) reads only this index.
            MongoIndex(
                spec=[("config.schedule.next_run_at", 1)],
                mongo_options={"partialFilterExpression": {"config.schedule.enabled": True}},
                name="projects_schedule_due",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.status == self.Status.ARCHIVED


class Target(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active"
        PAUSED = "paused"
        ERROR = "error"
        BLOCKED = "blocked"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="targets")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="targets")
    url = models.CharField(max_length=2048)  # canonical, unique per project
    source_url = models.CharField(max_length=2048, blank=True, default="")  # as pasted
    label = models.CharField(max_length=200, blank=True, default="")
    platform = models.CharField(max_length=32, choices=_choices(PLATFORMS))
    detected_type = models.CharField(max_length=32, blank=True, default="")
    platform_data = models.JSONField(default=dict, blank=True)
    needs_resolution = models.BooleanField(default=False)  # short/share link not yet followed
    options = EmbeddedModelField(TargetOptions, default=TargetOptions)
    metadata = models.JSONField(default=dict, blank=True)
    stats = EmbeddedModelField(TargetStats, default=TargetStats)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    error_message = models.CharField(max_length=1000, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "targets"
        ordering = ["created_at"]
        indexes = [
            models.Index(fields=["project", "status"], name="targets_project_status"),
            models.Index(fields=["user", "platform"], name="targets_user_platform"),
        ]
        constraints = [models.UniqueConstraint(fields=["project", "url"], name="targets_project_url_unique")]

    def __str__(self) -> str:
        return self.label or self.url

    # Contract aliases (DJANGO.md) over the seed's field names.
    @property
    def name(self) -> str:
        return self.label or self.url

    @property
    def platform_ids(self) -> dict[str, Any]:
        return dict(self.platform_data or {})

    @property
    def last_error(self) -> str:
        return self.error_message

    @property
    def last_scraped_at(self) -> Any:
        return self.stats.last_scraped_at if self.stats else None


class Preset(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="presets"
    )
    slug = models.CharField(max_length=64)
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=2000, blank=True, default="")
    is_system = models.BooleanField(default=False)
    config = EmbeddedModelField(ProjectConfig, default=ProjectConfig)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "presets"
        ordering = ["-is_system", "name"]
        constraints = [
            models.UniqueConstraint(fields=["slug"], condition=Q(is_system=True), name="presets_system_slug_unique"),
            models.UniqueConstraint(fields=["user", "name"], name="presets_user_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name
