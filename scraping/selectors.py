"""Reads for scrape jobs. Tenant scoping lives here: another user's job is a 404, like a missing one."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from scraping.models import ScrapeJob
from sentimatrix.api.errors import NotFoundError
from sentimatrix.db.ids import object_id_or_none


def job_list(
    *,
    user: Any,
    project: Any = None,
    status: str | None = None,
    trigger: str | None = None,
) -> QuerySet[ScrapeJob]:
    """The user's jobs, newest first (index ``(user, created_at desc)`` or ``(project, created_at desc)``)."""
    queryset = ScrapeJob.objects.filter(user=user)
    if project is not None:
        queryset = queryset.filter(project=project)
    if status:
        queryset = queryset.filter(status=status)
    if trigger:
        queryset = queryset.filter(trigger=trigger)
    # The log can hold hundreds of entries; lists never show it.
    return queryset.defer("log").order_by("-created_at")


def job_get(*, user: Any, job_id: Any, with_log: bool = True) -> ScrapeJob:
    """One of the user's jobs; ``NotFoundError`` for a missing id or another tenant's job.

    ``with_log=False`` leaves the (up to 200 entries) log out, for the cheap progress poll.
    """
    oid = object_id_or_none(job_id)
    queryset = ScrapeJob.objects.filter(pk=oid, user=user)
    if not with_log:
        queryset = queryset.defer("log")
    job = queryset.first() if oid is not None else None
    if job is None:
        raise NotFoundError("Scrape job not found.")
    return job


def job_active_for_project(*, project: Any) -> ScrapeJob | None:
    return ScrapeJob.objects.filter(project=project, active=True).first()
