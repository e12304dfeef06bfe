"""Writes for scrape jobs: start, cancel, retry, stuck-job recovery, due schedules.

Every write after a job is created is one single-document update with a conditional filter
(``transaction.atomic`` does nothing on this backend): a cancel only matches an active job, a
claim only a queued one, a schedule only fires if its ``next_run_at`` is still the value that was
read. The runner itself lives in ``scraping.runner``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from pymongo import ReturnDocument

from audit.services import record
from scraping.models import JobOptions, JobStats, JobTarget, ScrapeJob
from sentimatrix.api.errors import ConflictError, ServiceUnavailableError
from sentimatrix.celery import BROKER_ERRORS

logger = logging.getLogger("sentimatrix.scraping")

OPTION_KEYS = ("max_results", "include_replies", "date_from", "date_to", "language")
_LANGUAGE = re.compile(r"^[A-Za-z][A-Za-z_-]{1,31}$")
# Targets a job started without an explicit list runs: error targets are retried on purpose
# (their error may have been temporary); paused and blocked ones are left alone.
DEFAULT_TARGET_STATUSES = ("active", "error")
RETRYABLE_TARGET_STATUSES = (JobTarget.Status.FAILED, JobTarget.Status.CANCELLED, JobTarget.Status.PENDING)


def jobs_collection() -> Any:
    return connections["default"].get_collection(ScrapeJob._meta.db_table)


def emit_event(event_type: str, *, user: Any, project: Any = None, data: Mapping[str, Any]) -> int:
    """Fire a webhook event; an event can never break a scrape (``events_emit`` does not raise, and
    this guards the job should that ever change)."""
    from integrations.services import events_emit

    try:
        return int(events_emit(event_type=event_type, user=user, project=project, data=dict(data)) or 0)
    except Exception:  # noqa: BLE001 - the contract says it never raises; this guards the job anyway
        logger.exception("events_emit(%s) failed", event_type)
        return 0


# --- options ----------------------------------------------------------------------------------


def _as_datetime(name: str, value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is None:
            raise ValidationError({name: f"{name} must be an ISO 8601 date-time such as 2025-01-31T00:00:00Z."})
        value = parsed
    if not isinstance(value, datetime):
        raise ValidationError({name: f"{name} must be an ISO 8601 date-time such as 2025-01-31T00:00:00Z."})
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def scrape_options_validate(*, project: Any, options: Mapping[str, Any] | None) -> JobOptions:
    """Check a job's options and fill defaults from the project; ``ValidationError`` says what to fix."""
    data = dict(options or {})
    unknown = sorted(set(data) - set(OPTION_KEYS))
    if unknown:
        raise ValidationError(
            {"options": f"Unknown option(s): {', '.join(unknown)}. Allowed: {', '.join(OPTION_KEYS)}."}
        )
    cap = settings.SCRAPING_MAX_RESULTS_CAP
    max_results = data.get("max_results")
    if max_results is None:
        limits = getattr(getattr(project, "config", None), "limits", None)
        max_results = getattr(limits, "max_results_per_target", None) or settings.SCRAPING_MAX_RESULTS_PER_TARGET
    if isinstance(max_results, bool) or not isinstance(max_results, int) or not 1 <= max_results <= cap:
        raise ValidationError({"max_results": f"max_results must be a whole number from 1 to {cap}."})
    include_replies = data.get("include_replies", False)
    if not isinstance(include_replies, bool):
        raise ValidationError({"include_replies": "include_replies must be true or false."})
    date_from = _as_datetime("date_from", data.get("date_from"))
    date_to = _as_datetime("date_to", data.get("date_to"))
    if date_from and date_to and date_from > date_to:
        raise ValidationError({"date_from": "date_from must be before date_to."})
    if date_from and date_from > timezone.now():
        raise ValidationError({"date_from": "date_from is in the future, so no review could match."})
    language = data.get("language") or None
    if language is not None and (not isinstance(language, str) or not _LANGUAGE.match(language)):
        raise ValidationError({"language": "language must be a platform language code such as 'english' or 'en'."})
    return JobOptions(
        max_results=max_results,
        include_replies=include_replies,
        date_from=date_from,
        date_to=date_to,
        language=language,
    )


def _options_dict(options: JobOptions) -> dict[str, Any]:
    return {key: getattr(options, key) for key in OPTION_KEYS}


# --- start ------------------------------------------------------------------------------------


def _targets_for(*, project: Any, target_ids: Iterable[Any] | None) -> list[Any]:
    from projects.models import Target

    if target_ids is None:
        targets = list(
            Target.objects.filter(project=project, status__in=DEFAULT_TARGET_STATUSES).order_by("created_at")
        )
        if not targets:
            raise ValidationError(
                {"target_ids": "This project has no active targets. Add a target or resume a paused one first."}
            )
        return targets
    ids: list[ObjectId] = []
    for raw in target_ids:
        try:
            oid = raw if isinstance(raw, ObjectId) else ObjectId(str(raw))
        except (InvalidId, TypeError):
            raise ValidationError({"target_ids": f"{raw!s:.40} is not a valid target id."}) from None
        if oid not in ids:
            ids.append(oid)
    if not ids:
        raise ValidationError({"target_ids": "Give at least one target id, or leave target_ids out to run them all."})
    found = {target.pk: target for target in Target.objects.filter(project=project, pk__in=ids)}
    missing = [str(oid) for oid in ids if oid not in found]
    if missing:
        raise ValidationError({"target_ids": f"Not targets of this project: {', '.join(missing)}."})
    paused = [str(oid) for oid in ids if found[oid].status == "paused"]
    if paused:
        raise ValidationError({"target_ids": f"Paused targets cannot run; resume them first: {', '.join(paused)}."})
    return [found[oid] for oid in ids]


def _active_conflict(project: Any) -> ConflictError:
    active = ScrapeJob.objects.filter(project=project, active=True).only("id", "status").first()
    details = {"job_id": str(active.pk), "status": active.status} if active else {}
    return ConflictError(
        "A scrape job for this project is already queued or running; wait for it or cancel it first.",
        code="job_active",
        details=details,
    )


def scrape_job_start(
    *,
    actor: Any,
    project: Any,
    trigger: str,
    options: Mapping[str, Any] | None = None,
    target_ids: Iterable[Any] | None = None,
    retry_of: ObjectId | None = None,
    enqueue: bool = True,
) -> ScrapeJob:
    """Create a queued job for ``project`` and enqueue ``scraping.run_scrape_job``.

    When the broker refuses the message the job stays stored and queued, and the call raises
    ``JobQueueUnavailableError`` (503) so the caller knows it will start late.

    The caller has already checked that ``actor`` may use ``project`` (selectors scope by tenant);
    ``actor`` is None for scheduled runs. Refuses (409) while another job of the project is active,
    counts one scrape job against the owner's monthly quota (403 when used up), and validates
    options and targets (400 saying what to fix).
    """
    if trigger not in ScrapeJob.Trigger.values:
        raise ValidationError({"trigger": f"trigger must be one of {', '.join(ScrapeJob.Trigger.values)}."})
    if project.status != "active":
        raise ConflictError(
            f"The project is {project.status}; set it active before starting a scrape.", code="project_inactive"
        )
    job_options = scrape_options_validate(project=project, options=options)
    targets = _targets_for(project=project, target_ids=target_ids)
    if ScrapeJob.objects.filter(project=project, active=True).exists():
        raise _active_conflict(project)

    from accounts.quotas import quota_release, quota_reserve

    owner = project.user
    quota_reserve(user=owner, limit="scrape_jobs_per_month")
    job = ScrapeJob(
        project=project,
        user=owner,
        status=ScrapeJob.Status.QUEUED,
        active=True,
        trigger=trigger,
        triggered_by=actor if getattr(actor, "pk", None) else None,
        retry_of=retry_of,
        options=job_options,
        stats=JobStats(targets_total=len(targets)),
        targets=[JobTarget(target_id=target.pk, platform=target.platform, url=target.url[:2048]) for target in targets],
    )
    try:
        job.save()
    except IntegrityError:
        # Another start won the race between the check above and this insert (unique partial index).
        quota_release(user=owner, limit="scrape_jobs_per_month")
        raise _active_conflict(project) from None
    record(
        event_type="scrape_job.created",
        actor=actor,
        user=owner,
        metadata={
            "job_id": str(job.pk),
            "project_id": str(project.pk),
            "trigger": trigger,
            "targets": len(targets),
            "retry_of": str(retry_of) if retry_of else None,
        },
    )
    if enqueue and not scrape_job_enqueue(job_id=job.pk):
        raise JobQueueUnavailableError(job)
    return job


class JobQueueUnavailableError(ServiceUnavailableError):
    """The job is stored as queued but the broker refused it: tell the caller, and say it is not lost.

    ``requeue_stuck_jobs`` re-sends a job that stayed queued past a lease, so the caller must not
    start it again (a second start would get 409 while this one is active).
    """

    code = "job_queue_unavailable"

    def __init__(self, job: ScrapeJob) -> None:
        super().__init__(
            f"The job queue is unavailable right now. Job {job.pk} is saved as queued and starts "
            "automatically once the queue is back; do not start it again.",
            details={"job_id": str(job.pk), "status": job.status},
        )


def scrape_job_enqueue(*, job_id: Any) -> bool:
    """Send the job to the ``scrape`` queue. A lost message is recovered by ``requeue_stuck_jobs``."""
    from scraping.tasks import run_scrape_job

    try:
        run_scrape_job.delay(job_id=str(job_id))
    except BROKER_ERRORS:
        # Broker down: the job stays queued and the sweeper re-sends it. Only broker errors: with
        # eager tasks (emulated engine) a bug inside the task must surface, not read as "queue down".
        logger.exception("could not enqueue scrape job %s", job_id)
        return False
    return True


# --- cancel and retry -------------------------------------------------------------------------


def scrape_job_cancel(*, actor: Any, job: ScrapeJob) -> ScrapeJob:
    """Cancel a queued or running job. A running job stops before its next page (the runner checks)."""
    now = timezone.now()
    before = jobs_collection().find_one_and_update(
        {"_id": job.pk, "active": True},
        {
            "$set": {
                "status": ScrapeJob.Status.CANCELLED,
                "active": False,
                "completed_at": now,
                "updated_at": now,
                "error_message": "Cancelled on request.",
            }
        },
        return_document=ReturnDocument.BEFORE,
    )
    if before is None:
        job.refresh_from_db()
        raise ConflictError(f"This job is already {job.status}; only queued or running jobs can be cancelled.")
    # Targets not started yet will never start; a running one is closed by the runner at its next page.
    for index, entry in enumerate(before.get("targets") or []):
        if entry.get("status") == JobTarget.Status.PENDING:
            jobs_collection().update_one(
                {"_id": job.pk, f"targets.{index}.status": JobTarget.Status.PENDING},
                {"$set": {f"targets.{index}.status": JobTarget.Status.CANCELLED, f"targets.{index}.completed_at": now}},
            )
    job_log(job_id=job.pk, event="job.cancelled", message="Cancelled on request.")
    record(
        event_type="scrape_job.cancelled",
        actor=actor,
        user=job.user,
        metadata={"job_id": str(job.pk), "project_id": str(job.project_id), "was": before.get("status")},
    )
    job.refresh_from_db()
    return job


def scrape_job_retry(*, actor: Any, job: ScrapeJob) -> ScrapeJob:
    """A new job (trigger ``retry``) for the targets of ``job`` that failed, were cancelled or never ran."""
    if job.is_active:
        raise ConflictError("This job is still running; wait for it to finish or cancel it before retrying.")
    target_ids = [entry.target_id for entry in job.targets if entry.status in RETRYABLE_TARGET_STATUSES]
    if not target_ids:
        raise ConflictError("Every target of this job completed; there is nothing to retry.", code="nothing_to_retry")
    from projects.models import Target

    existing = set(
        Target.objects.filter(project_id=job.project_id, pk__in=target_ids)
        .exclude(status="paused")
        .values_list("pk", flat=True)
    )
    target_ids = [oid for oid in target_ids if oid in existing]
    if not target_ids:
        raise ConflictError(
            "The failed targets of this job were deleted or paused; there is nothing to retry.",
            code="nothing_to_retry",
        )
    options = {key: value for key, value in _options_dict(job.options).items() if value is not None}
    if options.get("include_replies") is False:
        options.pop("include_replies")
    return scrape_job_start(
        actor=actor,
        project=job.project,
        trigger=ScrapeJob.Trigger.RETRY,
        options=options,
        target_ids=target_ids,
        retry_of=job.pk,
    )


def job_log(
    *,
    job_id: Any,
    event: str,
    message: str = "",
    level: str = "info",
    target_id: Any = None,
    now: datetime | None = None,
) -> None:
    """Append one entry to the job's bounded log (oldest entries fall off)."""
    entry = {
        "at": now or timezone.now(),
        "level": level,
        "event": event,
        "target_id": target_id,
        "message": str(message)[:1000],
    }
    jobs_collection().update_one(
        {"_id": job_id},
        {"$push": {"log": {"$each": [entry], "$slice": -settings.SCRAPE_JOB_LOG_LIMIT}}},
    )


# --- recovery ---------------------------------------------------------------------------------


@dataclass
class RequeueSummary:
    requeued: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    redispatched: list[str] = field(default_factory=list)


def scrape_jobs_requeue_stuck(
    *,
    now: datetime | None = None,
    lease_seconds: int | None = None,
    max_recoveries: int | None = None,
    dry_run: bool = False,
    enqueue: bool = True,
) -> RequeueSummary:
    """Find running jobs whose worker stopped heartbeating and requeue them, or fail them after N tries.

    Each change is a compare-and-set on the job's ``worker``/``attempts``/``heartbeat_at`` as read,
    so a worker that wakes up and heartbeats in between keeps its job, and two sweeps never both
    act on one job. Queued jobs older than the lease whose message was lost are sent again (the
    runner's claim makes a duplicate message harmless).
    """
    now = now or timezone.now()
    lease = timedelta(seconds=lease_seconds if lease_seconds is not None else settings.SCRAPE_JOB_LEASE_SECONDS)
    limit = max_recoveries if max_recoveries is not None else settings.SCRAPE_JOB_MAX_RECOVERIES
    stale = now - lease
    summary = RequeueSummary()
    collection = jobs_collection()
    running = collection.find(
        {"active": True, "status": ScrapeJob.Status.RUNNING, "heartbeat_at": {"$lt": stale}},
        {"_id": 1, "worker": 1, "attempts": 1, "heartbeat_at": 1, "recoveries": 1, "user_id": 1, "project_id": 1},
    )
    for doc in list(running):
        job_id = doc["_id"]
        guard = {
            "_id": job_id,
            "status": ScrapeJob.Status.RUNNING,
            "worker": doc.get("worker"),
            "attempts": doc.get("attempts", 0),
            "heartbeat_at": doc.get("heartbeat_at"),
        }
        recoveries = int(doc.get("recoveries") or 0)
        if recoveries >= limit:
            if dry_run:
                summary.failed.append(str(job_id))
                continue
            message = (
                f"The worker running this job stopped responding {recoveries + 1} times; "
                "the job was stopped. Retry it to fetch the remaining targets."
            )
            result = collection.update_one(
                guard,
                {
                    "$set": {
                        "status": ScrapeJob.Status.FAILED,
                        "active": False,
                        "worker": None,
                        "completed_at": now,
                        "updated_at": now,
                        "error_message": message,
                    }
                },
            )
            if result.modified_count:
                summary.failed.append(str(job_id))
                job_log(job_id=job_id, event="job.failed", level="error", message=message, now=now)
                job = ScrapeJob.objects.select_related("user", "project").filter(pk=job_id).first()
                if job is not None:
                    record(
                        event_type="scrape_job.failed",
                        actor=None,
                        user=job.user,
                        success=False,
                        metadata={"job_id": str(job_id), "reason": "worker_lost", "recoveries": recoveries},
                    )
                    emit_event(
                        "job.failed",
                        user=job.user,
                        project=job.project,
                        data={"job_id": str(job_id), "project_id": str(job.project_id), "error": message},
                    )
            continue
        if dry_run:
            summary.requeued.append(str(job_id))
            continue
        result = collection.update_one(
            guard,
            {
                "$set": {"status": ScrapeJob.Status.QUEUED, "worker": None, "updated_at": now},
                "$inc": {"recoveries": 1},
            },
        )
        if result.modified_count:
            summary.requeued.append(str(job_id))
            job_log(
                job_id=job_id,
                event="job.requeued",
                level="warning",
                message=f"Worker {doc.get('worker') or '?'} stopped heartbeating; the job was queued again.",
                now=now,
            )
            record(
                event_type="scrape_job.requeued",
                actor=None,
                metadata={"job_id": str(job_id), "worker": doc.get("worker"), "recoveries": recoveries + 1},
            )
            if enqueue:
                scrape_job_enqueue(job_id=job_id)
    # Queued for longer than a lease: the broker message was probably lost (enqueue failed, broker flushed).
    for doc in list(
        collection.find({"active": True, "status": ScrapeJob.Status.QUEUED, "updated_at": {"$lt": stale}}, {"_id": 1})
    ):
        summary.redispatched.append(str(doc["_id"]))
        if not dry_run:
            collection.update_one({"_id": doc["_id"], "status": ScrapeJob.Status.QUEUED}, {"$set": {"updated_at": now}})
            if enqueue:
                scrape_job_enqueue(job_id=doc["_id"])
    return summary


# --- schedules --------------------------------------------------------------------------------


@dataclass
class ScheduleSummary:
    due: int = 0
    started: list[str] = field(default_factory=list)  # job ids
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (project id, reason)
    planned: list[tuple[str, datetime]] = field(default_factory=list)  # dry run: (project id, due at)


def schedules_due(*, now: datetime | None = None, limit: int | None = None) -> list[tuple[str, datetime]]:
    """(project id, due at) of every active project whose enabled schedule is due; reads only."""
    from projects.models import Project

    now = now or timezone.now()
    projects = connections["default"].get_collection(Project._meta.db_table)
    query = {"config.schedule.enabled": True, "config.schedule.next_run_at": {"$lte": now}, "status": "active"}
    cursor = projects.find(query, {"config.schedule.next_run_at": 1}).sort("config.schedule.next_run_at", 1)
    if limit:
        cursor = cursor.limit(limit)
    return [(str(doc["_id"]), _aware(doc["config"]["schedule"]["next_run_at"])) for doc in cursor]


def _aware(value: datetime) -> datetime:
    return timezone.make_aware(value, UTC) if timezone.is_naive(value) else value


def schedules_run_due(
    *, now: datetime | None = None, dry_run: bool = False, batch: int = 100, enqueue: bool = True
) -> ScheduleSummary:
    """Start one scheduled job for every project whose schedule is due.

    Claiming is ``projects.services.schedules_claim_due``: per project one compare-and-set on
    ``config.schedule.next_run_at`` that moves it to the following run (``projects.schedule_math``)
    in the same write, so of two overlapping runs only one can claim a given run. A run that cannot
    start (quota, a job already active, no targets) is skipped, recorded in the schedule history and
    the audit log; the schedule still moves on to its next run.
    """
    now = now or timezone.now()
    summary = ScheduleSummary()
    if dry_run:
        summary.planned = schedules_due(now=now)
        summary.due = len(summary.planned)
        return summary
    from projects.services import schedules_claim_due

    while True:
        claimed = schedules_claim_due(now=now, limit=batch)
        for project in claimed:
            summary.due += 1
            _start_scheduled(project, ran_at=now, summary=summary, enqueue=enqueue)
        # Stop only when a pass claims nothing: with an overlapping run, a pass can claim fewer
        # than it read while more projects are still due. Each pass claims at least one project
        # (whose next run moves into the future), so this ends.
        if not claimed:
            return summary


def _start_scheduled(project: Any, *, ran_at: datetime, summary: ScheduleSummary, enqueue: bool) -> None:
    from projects.services import schedule_mark_run

    try:
        job = scrape_job_start(actor=None, project=project, trigger=ScrapeJob.Trigger.SCHEDULED, enqueue=False)
    except Exception as exc:  # noqa: BLE001 - one project's problem never stops the others
        message = getattr(exc, "message", None) or "; ".join(getattr(exc, "messages", None) or [str(exc)])
        summary.skipped.append((str(project.pk), message))
        if not isinstance(exc, (ConflictError, ValidationError)) and not hasattr(exc, "status_code"):
            logger.exception("scheduled run of project %s failed to start", project.pk)
        record(
            event_type="schedule.skipped",
            actor=None,
            user=project.user,
            success=False,
            metadata={"project_id": str(project.pk), "reason": message[:500]},
        )
        _quietly(schedule_mark_run, project=project, ran_at=ran_at, status="skipped", error=message)
        return
    summary.started.append(str(job.pk))
    _quietly(schedule_mark_run, project=project, ran_at=ran_at, job_id=job.pk, status="queued")
    emit_event(
        "schedule.triggered",
        user=project.user,
        project=project,
        data={"project_id": str(project.pk), "job_id": str(job.pk), "ran_at": ran_at.isoformat()},
    )
    if enqueue:
        scrape_job_enqueue(job_id=job.pk)


def _quietly(function: Any, **kwargs: Any) -> None:
    """Bookkeeping on another app's document must not undo a started run."""
    try:
        function(**kwargs)
    except Exception:  # noqa: BLE001
        logger.exception("%s failed", getattr(function, "__name__", function))
