"""Reads for projects, targets and presets. Tenant scoping lives here: every lookup filters by
the requesting user, so another tenant's object is indistinguishable from a missing one (404).
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from django.db.models import Q, QuerySet

from projects.models import Preset, Project, Target
from sentimatrix.api.errors import NotFoundError


def _oid(value: Any) -> ObjectId | None:
    if isinstance(value, ObjectId):
        return value
    try:
        return ObjectId(str(value))
    except (InvalidId, TypeError):
        return None


def project_list(*, user: Any, status: str | None = None, search: str | None = None) -> QuerySet[Project]:
    """The user's projects, newest first. ``status`` filters; ``search`` matches name or description."""
    queryset = Project.objects.filter(user=user)
    if status:
        queryset = queryset.filter(status=status)
    if search:
        queryset = queryset.filter(Q(name__icontains=search) | Q(description__icontains=search))
    return queryset.order_by("-created_at")


def project_get(*, user: Any, project_id: Any) -> Project:
    """One of the user's projects; ``NotFoundError`` for a missing id or another tenant's project."""
    oid = _oid(project_id)
    project = Project.objects.filter(pk=oid, user=user).first() if oid is not None else None
    if project is None:
        raise NotFoundError("Project not found.")
    return project


def target_list(
    *, user: Any, project: Project, status: str | None = None, platform: str | None = None
) -> QuerySet[Target]:
    queryset = Target.objects.filter(user=user, project=project)
    if status:
        queryset = queryset.filter(status=status)
    if platform:
        queryset = queryset.filter(platform=platform)
    return queryset.order_by("created_at")


def target_get(*, user: Any, target_id: Any, project: Project | None = None) -> Target:
    """One of the user's targets (inside ``project`` when given); ``NotFoundError`` otherwise."""
    oid = _oid(target_id)
    target = None
    if oid is not None:
        queryset = Target.objects.filter(pk=oid, user=user)
        if project is not None:
            queryset = queryset.filter(project=project)
        target = queryset.first()
    if target is None:
        raise NotFoundError("Target not found.")
    return target


def preset_list(*, user: Any) -> QuerySet[Preset]:
    """System presets plus the user's own custom presets (system first, then by name)."""
    return Preset.objects.filter(Q(is_system=True) | Q(user=user)).order_by("-is_system", "name")


def preset_get(*, user: Any, preset_id: Any) -> Preset:
    """A system preset (by id or slug) or one of the user's custom presets (by id)."""
    oid = _oid(preset_id)
    preset = None
    if oid is not None:
        preset = Preset.objects.filter(Q(pk=oid) & (Q(is_system=True) | Q(user=user))).first()
    elif isinstance(preset_id, str):
        preset = Preset.objects.filter(is_system=True, slug=preset_id).first()
    if preset is None:
        raise NotFoundError("Preset not found.")
    return preset


def schedule_history(*, project: Project) -> list[dict[str, Any]]:
    """The schedule's recorded runs, newest first; status and result count are taken from the scrape
    job when it still exists (the embedded entry is written when the run starts)."""
    runs = [
        {
            "job_id": run.job_id,
            "started_at": run.started_at,
            "status": run.status,
            "results_count": run.results_count,
            "error": run.error,
        }
        for run in project.config.schedule.history or []
    ]
    job_ids = [run["job_id"] for run in runs if run["job_id"] is not None]
    if not job_ids:
        return runs
    try:
        from scraping.models import ScrapeJob
    except ImportError:  # scraping not installed yet
        return runs
    jobs = {job.pk: job for job in ScrapeJob.objects.filter(pk__in=job_ids, project=project)}
    for run in runs:
        job = jobs.get(run["job_id"])
        if job is None:
            continue
        run["status"] = job.status
        total = getattr(getattr(job, "stats", None), "results_total", None)
        if isinstance(total, int):
            run["results_count"] = total
        if getattr(job, "error_message", None):
            run["error"] = job.error_message
    return runs
