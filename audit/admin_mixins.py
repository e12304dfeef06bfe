"""``AuditedAdminMixin``: put it first in a ModelAdmin's bases when the admin can delete several
objects at once; single adds, changes and deletes are audited for every admin by
``audit.signals`` already."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


class AuditedAdminMixin:
    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        from audit.signals import record_admin_entry

        entries = super().log_deletions(request, queryset)  # type: ignore[misc]
        # One entry is saved with save() (the signal records it); several go through
        # bulk_create, which sends no signal, so record those here.
        if isinstance(entries, list) and len(entries) > 1:
            for entry in entries:
                record_admin_entry(entry)
        return entries
