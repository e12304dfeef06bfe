from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from audit.models import AuditLog


def audit_event_list(
    *, user, event_type: str | None = None, since: datetime | None = None, until: datetime | None = None
) -> QuerySet[AuditLog]:
    """The caller's own events, newest first (served by the (user, created_at desc) index)."""
    events = AuditLog.objects.filter(user=user)
    if event_type and event_type.endswith(".*"):
        events = events.filter(event_type__startswith=event_type[:-1])
    elif event_type:
        events = events.filter(event_type=event_type)
    if since:
        events = events.filter(created_at__gte=since)
    if until:
        events = events.filter(created_at__lt=until)
    return events.order_by("-created_at")
