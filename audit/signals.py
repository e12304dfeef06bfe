"""admin.* audit events from Django's admin log: every add, change or delete made in any app's
admin writes a ``LogEntry``; each saved entry becomes an audit record with the staff member as
actor. Bulk deletions of several objects are written with ``bulk_create`` (no signal), so admins
that allow them use ``audit.admin_mixins.AuditedAdminMixin``."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry

VERBS = {ADDITION: "add", CHANGE: "change", DELETION: "delete"}


def record_admin_entry(entry: LogEntry) -> None:
    from django.contrib.auth import get_user_model

    from audit.services import record

    user_model = get_user_model()
    actor = user_model.objects.filter(pk=entry.user_id).first()
    content_type = entry.content_type
    model = f"{content_type.app_label}.{content_type.model}" if content_type else "?"
    subject = None
    if content_type and content_type.model_class() is user_model and entry.object_id:
        subject = user_model.objects.filter(pk=entry.object_id).first()
    record(
        event_type=f"admin.{VERBS.get(entry.action_flag, 'action')}",
        actor=actor,
        user=subject,
        metadata={
            "model": model,
            "object_id": entry.object_id,
            "object_repr": entry.object_repr,
            "change": entry.get_change_message(),
        },
    )


def on_log_entry_saved(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    if created:
        record_admin_entry(instance)
