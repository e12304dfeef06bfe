"""The audit log (collection ``audit_logs``): who did what, when, from where. Insert-only.

``user`` is the account the event is about or that acted; events of the system (cron, workers)
have no user and ``metadata.actor == "system"``. Expired by a TTL index after
``AUDIT_RETENTION_DAYS`` (real servers only; the emulator keeps everything).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from sentimatrix.db.indexes import TTLIndex


class AuditLog(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
        related_name="+",
    )  # fmt: skip
    event_type = models.CharField(max_length=64, db_index=True)
    ip_address = models.CharField(max_length=64, null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True, default="")
    success = models.BooleanField(default=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "audit_logs"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="audit_user_created"),
            TTLIndex(
                field="created_at",
                expire_after_seconds=settings.AUDIT_RETENTION_DAYS * 86400,
                name="audit_created_ttl",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.created_at:%Y-%m-%d %H:%M:%S}"
