"""Stored API keys (``api_keys``), webhook endpoints (``webhooks``) and deliveries (``webhook_deliveries``).

Fields follow seeds/001 with these recorded choices:

- ``api_keys.encrypted_key`` holds one token ``v1:<key_id>:<base64(nonce || ciphertext || tag)>``
  (integrations.crypto) instead of the seed's three Binary fields ``encrypted_key``/``key_nonce``/``key_tag``:
  the three parts are only ever used together, and the key id inside the token is what key rotation needs.
  ``fingerprint`` (HMAC of the key) catches the same key stored twice; ``validation_message`` keeps the
  provider's answer to the last check.
- ``webhooks.secret`` (seed: plain string) is ``encrypted_secret`` here, encrypted like API keys, plus
  ``previous_encrypted_secret``/``previous_secret_expires_at`` for the 24 h rotation overlap.
- ``webhook_deliveries`` (the seed's ``webhook_logs`` in 000) has a TTL of ``WEBHOOK_DELIVERY_RETENTION_DAYS``
  on ``created_at``, plus what the durable retry schedule needs: ``message_id`` (``webhook-id``, constant over
  retries), ``next_attempt_at`` and ``lease_until`` for the atomic claim (security.md 1.3, 5.3).

Nothing here ever holds a plaintext secret; ``__str__`` shows hints only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_mongodb_backend.fields import ArrayField, EmbeddedModelField
from django_mongodb_backend.models import EmbeddedModel

from sentimatrix.db.indexes import MongoIndex, TTLIndex


class ApiKey(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    provider = models.CharField(max_length=32)
    encrypted_key = models.CharField(max_length=1024)
    fingerprint = models.CharField(max_length=64)
    masked_key = models.CharField(max_length=32)
    is_valid = models.BooleanField(null=True, blank=True, default=None)  # None: never checked
    validation_message = models.CharField(max_length=500, blank=True, default="")
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_validated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "api_keys"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user"], name="api_keys_user"),
            models.Index(fields=["user", "provider"], name="api_keys_user_provider"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["user", "fingerprint"], name="api_keys_user_fingerprint_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.masked_key} ({self.name})"

    __repr__ = __str__  # never the ciphertext, never the key


class WebhookStats(EmbeddedModel):
    total_deliveries = models.IntegerField(default=0)
    successful_deliveries = models.IntegerField(default=0)
    failed_deliveries = models.IntegerField(default=0)
    last_delivery = models.DateTimeField(null=True, blank=True)
    last_status = models.CharField(max_length=16, blank=True, default="")  # success | failed


class Webhook(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # Optional scope: only events of this project (None: every event of the user).
    project = models.ForeignKey("projects.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    url = models.CharField(max_length=2048)
    events = ArrayField(models.CharField(max_length=64), default=list)
    label = models.CharField(max_length=100, blank=True, default="")
    encrypted_secret = models.CharField(max_length=1024)
    secret_hint = models.CharField(max_length=32, blank=True, default="")
    previous_encrypted_secret = models.CharField(max_length=1024, null=True, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=200, blank=True, default="")
    disabled_at = models.DateTimeField(null=True, blank=True)
    stats = EmbeddedModelField(WebhookStats, default=WebhookStats)
    consecutive_failures = models.IntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "webhooks"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user"], name="webhooks_user"),
            MongoIndex(spec=[("enabled", 1), ("events", 1)], name="webhooks_enabled_events"),
        ]

    def __str__(self) -> str:
        return f"{self.label or self.url} ({'enabled' if self.enabled else 'disabled'})"

    __repr__ = __str__


class DeliveryRequest(EmbeddedModel):
    url = models.CharField(max_length=2048)
    headers = models.JSONField(default=dict, blank=True)  # content-type, webhook-id; signatures are per attempt
    body = models.TextField()  # the exact signed bytes (UTF-8 JSON)


class DeliveryResponse(EmbeddedModel):
    status_code = models.IntegerField(null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True, default="")  # truncated to 4 KB
    time_ms = models.IntegerField(default=0)


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCESS = "success"
        FAILED = "failed"
        PAUSED = "paused"  # endpoint disabled while this was undelivered; redeliver after re-enabling

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The project the event was about (filtering only; deliveries expire by TTL, so no cascade is needed).
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    event = models.CharField(max_length=64)
    is_test = models.BooleanField(default=False)  # webhook.test: one attempt, does not count towards auto-disable
    message_id = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    request = EmbeddedModelField(DeliveryRequest)
    response = EmbeddedModelField(DeliveryResponse, null=True, blank=True)
    error = models.CharField(max_length=1000, blank=True, default="")
    attempts = models.IntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)  # an attempt holds it while sending
    enqueued_until = models.DateTimeField(null=True, blank=True)  # the dispatcher does not re-enqueue before
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "webhook_deliveries"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["webhook", "-created_at"], name="wh_deliveries_webhook_created"),
            models.Index(fields=["user"], name="wh_deliveries_user"),
            models.Index(fields=["status", "next_attempt_at"], name="wh_deliveries_status_next"),
            TTLIndex(
                field="created_at",
                expire_after_seconds=settings.WEBHOOK_DELIVERY_RETENTION_DAYS * 86400,
                name="wh_deliveries_created_ttl",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.message_id} {self.status}"


class AlertRule(models.Model):
    """A project's optional "sentiment drop" rule (collection ``alert_rules``, one per project)."""

    class Metric(models.TextChoices):
        NEGATIVE_SHARE = "negative_share"
        AVG_SCORE = "avg_score"

    project = models.OneToOneField("projects.Project", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    enabled = models.BooleanField(default=True)
    metric = models.CharField(max_length=16, choices=Metric.choices, default=Metric.NEGATIVE_SHARE)
    threshold_sigma = models.FloatField(default=2.0)
    window_jobs = models.IntegerField(default=10)
    min_sample = models.IntegerField(default=20)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "alert_rules"

    def __str__(self) -> str:
        return f"sentiment drop {self.metric} > {self.threshold_sigma}σ"


class JobSentimentSample(models.Model):
    """Sentiment of one job's new results (collection ``alert_samples``): the baseline of the rule.

    Unique per (project, job): evaluating a job twice never adds a second sample or a second alert.
    """

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    job_id = models.CharField(max_length=64)
    negative_share = models.FloatField()
    avg_score = models.FloatField(null=True, blank=True)
    sample_size = models.IntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "alert_samples"
        constraints = [models.UniqueConstraint(fields=["project", "job_id"], name="alert_samples_project_job_uniq")]
        indexes = [models.Index(fields=["project", "-created_at"], name="alert_samples_project_created")]

    def __str__(self) -> str:
        return f"{self.job_id}: {self.negative_share:.2f} negative of {self.sample_size}"


class Alert(models.Model):
    """An alert that fired (collection ``alerts``), shown by ``GET /api/v1/projects/{id}/alerts``."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=64, default="alert.sentiment_drop")
    job_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "alerts"
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["project", "type", "job_id"], name="alerts_once_per_job")]
        indexes = [models.Index(fields=["project", "-created_at"], name="alerts_project_created")]

    def __str__(self) -> str:
        return f"{self.type} job {self.job_id}"
