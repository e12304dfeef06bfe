"""Reads for projects, targets and presets. Tenant scoping lives here: every lookup filters by
the requesting user, so another tenant's object is indistinguishable from a missing one (404).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from projects.models import Preset, Project, Target
from sentimatrix.api.errors import NotFoundError
from sentimatrix.db.ids import object_id_or_none


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
    oid = object_id_or_none(project_id)
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
    oid = object_id_or_none(target_id)
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
    oid = object_id_or_none(preset_id)
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


def project_sentiment_timeline(*, project: Project, days: int = 90, now: Any = None) -> list[Any]:
    """Daily analyzed-result counts per label and mean score for the last ``days`` days (support admin).

    One ``DailyPoint`` per calendar day in the owner's time zone, oldest first, empty days
    included, so the chart's x axis is time. The aggregation is the results app's
    (``results.analytics.timeline`` over a ``ResultFilter``: effective labels, review dates);
    this only scopes it to the project, analyzed results and the window, and fills the gaps.
    """
    from datetime import UTC, datetime, timedelta
    from datetime import date as date_type

    from projects.charts import DailyPoint
    from results.analytics import timeline
    from results.selectors import ResultFilter, _user_timezone, parse_timezone

    tz = parse_timezone(None, _user_timezone(project.user))
    now = now or datetime.now(UTC)
    today = now.astimezone(tz).date()
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, datetime.min.time(), tzinfo=tz).astimezone(UTC)
    flt = ResultFilter(user_id=project.user_id, project_id=project.pk, analysis_status="done")
    # the timeline buckets by the review's date, or the scrape time when a platform gave none
    window = {"$or": [{"content.date": {"$gte": start}}, {"content.date": None, "created_at": {"$gte": start}}]}
    match = {"$and": [flt.to_mongo(), window]}
    by_day = {row["bucket"]: row for row in timeline(match, bucket="day", tz=tz)}
    points = []
    for offset in range(days):
        day: date_type = first + timedelta(days=offset)
        row = by_day.get(day.isoformat())
        if row is None:
            points.append(DailyPoint(day=day))
            continue
        counts = row["counts"]
        points.append(
            DailyPoint(
                day=day,
                positive=counts["positive"],
                neutral=counts["neutral"],
                negative=counts["negative"],
                average_score=row["average_score"],
            )
        )
    return points


def schedule_upcoming(*, project: Project, count: int, changes: dict[str, Any] | None = None) -> dict[str, Any]:
    """The next ``count`` runs of the project's saved schedule, or of it with ``changes`` applied (a preview)."""
    from django.utils import timezone

    from projects import schedule_math
    from projects.config import rule_from, to_dict

    rule = rule_from({**(to_dict(project.config.schedule) or {}), **(changes or {})})
    runs = schedule_math.upcoming_runs(rule, timezone.now(), count)
    return {
        "timezone": rule.timezone,
        "runs": [run.isoformat().replace("+00:00", "Z") for run in runs],
        "runs_local": [run.astimezone(rule.zone).isoformat() for run in runs],
    }
