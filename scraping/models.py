"""Scrape jobs (collection ``scrape_jobs``), fields as in seeds/001 ``scrape_jobs``.

Additions to the seed, and why:

- ``targets[]`` entries also carry ``platform``, ``url``, ``fetched_count``, ``requests_made``,
  ``cursor`` (the platform's resume point after the last stored page), ``error_code`` and
  timestamps, so a job interrupted mid-target resumes where it stopped instead of starting over.
- ``trigger`` has a fourth value ``retry`` (a job re-running another job's failed targets,
  ``retry_of``).
- A lease for recovery (docs/security.md 5.3): ``worker`` (who holds the job), ``heartbeat_at``
  (renewed on every page), ``attempts`` (claims so far; a fencing token for the worker's writes)
  and ``recoveries`` (times ``requeue_stuck_jobs`` took the job from a dead worker).
- ``log``: a bounded list of per-target events (``$push`` with ``$slice``), for the log endpoint.

Every write after creation goes through ``scraping.services`` as a single-document update
(``$set``/``$inc`` with a conditional filter); nothing reads, changes and saves the document.
Jobs are removed 30 days after they finish (TTL on ``completed_at``; real servers only).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_mongodb_backend.fields import EmbeddedModelArrayField, EmbeddedModelField, ObjectIdField
from django_mongodb_backend.models import EmbeddedModel

from sentimatrix.db.indexes import MongoIndex, TTLIndex

ACTIVE_STATUSES = ("queued", "running")


class JobTarget(EmbeddedModel):
    """One target's part of a job."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"
        CANCELLED = "cancelled"
        SKIPPED = "skipped"

    target_id = ObjectIdField()
    platform = models.CharField(max_length=32, blank=True, default="")
    url = models.CharField(max_length=2048, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    progress = models.IntegerField(default=0)
    results_count = models.IntegerField(default=0)  # new results stored
    fetched_count = models.IntegerField(default=0)  # reviews received (new or already stored)
    pages = models.IntegerField(default=0)
    requests_made = models.IntegerField(default=0)
    cursor = models.CharField(max_length=8192, null=True, blank=True)
    error = models.CharField(max_length=1000, null=True, blank=True)
    error_code = models.CharField(max_length=32, null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)


class JobOptions(EmbeddedModel):
    max_results = models.IntegerField(null=True, blank=True)  # per target; None: the project's limit
    include_replies = models.BooleanField(default=False)
    date_from = models.DateTimeField(null=True, blank=True)
    date_to = models.DateTimeField(null=True, blank=True)
    language = models.CharField(max_length=32, null=True, blank=True)


class JobStats(EmbeddedModel):
    targets_total = models.IntegerField(default=0)
    targets_completed = models.IntegerField(default=0)
    targets_failed = models.IntegerField(default=0)
    results_total = models.IntegerField(default=0)  # new results stored
    reviews_fetched = models.IntegerField(default=0)
    requests_made = models.IntegerField(default=0)
    errors_count = models.IntegerField(default=0)


class JobLogEntry(EmbeddedModel):
    at = models.DateTimeField(default=timezone.now)
    level = models.CharField(max_length=8, default="info")  # info | warning | error
    event = models.CharField(max_length=48)
    target_id = ObjectIdField(null=True, blank=True)
    message = models.CharField(max_length=1000, blank=True, default="")


class ScrapeJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"
        CANCELLED = "cancelled"

    class Trigger(models.TextChoices):
        MANUAL = "manual"
        SCHEDULED = "scheduled"
        API = "api"
        RETRY = "retry"

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, db_constraint=False, related_name="scrape_jobs"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_constraint=False, related_name="scrape_jobs"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    # True exactly while status is queued or running (every status write sets both). The partial
    # indexes filter on this boolean because equality is the one partialFilterExpression every
    # MongoDB version (and compatible server) supports.
    active = models.BooleanField(default=True)
    progress = models.IntegerField(default=0)
    targets = EmbeddedModelArrayField(JobTarget, default=list, blank=True)
    options = EmbeddedModelField(JobOptions, default=JobOptions)
    stats = EmbeddedModelField(JobStats, default=JobStats)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.MANUAL)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
        related_name="+",
    )
    retry_of = ObjectIdField(null=True, blank=True)
    worker = models.CharField(max_length=200, null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.IntegerField(default=0)
    recoveries = models.IntegerField(default=0)
    log = EmbeddedModelArrayField(JobLogEntry, default=list, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    error_message = models.CharField(max_length=1000, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "scrape_jobs"
        ordering = ["-created_at"]
        indexes = [
            # 000_* 2.5: jobs of a project, newest first.
            models.Index(fields=["project", "-created_at"], name="scrape_jobs_project_created"),
            # 000_* 2.5: jobs of a user, newest first (the per-user list).
            models.Index(fields=["user", "-created_at"], name="scrape_jobs_user_created"),
            # 000_* 2.5: partial index on status for active jobs; requeue_stuck_jobs scans
            # running jobs by heartbeat, and it stays tiny because finished jobs leave it.
            MongoIndex(
                spec=[("status", 1), ("heartbeat_at", 1)],
                mongo_options={"partialFilterExpression": {"active": True}},
                name="scrape_jobs_active_status",
            ),
            # At most one active job per project, enforced by the database: a second insert
            # while one is queued or running fails with a duplicate key (-> 409).
            MongoIndex(
                spec=[("project", 1)],
                mongo_options={
                    "unique": True,
                    "partialFilterExpression": {"active": True},
                },
                name="scrape_jobs_one_active",
            ),
            # seeds/001 retention: 30 days after the job finished (active jobs have no completed_at).
            TTLIndex(
                field="completed_at",
                expire_after_seconds=settings.SCRAPE_JOB_RETENTION_DAYS * 86400,
                name="scrape_jobs_completed_ttl",
            ),
        ]

    def __str__(self) -> str:
        return f"scrape job {self.pk} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.completed_at or timezone.now()
        return max(0.0, (end - self.started_at).total_seconds())
