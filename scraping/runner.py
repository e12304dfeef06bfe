"""Runs one scrape job: claim the lease, fetch every target page by page, store, report, finish.

Durability rules (docs/security.md 5.3):

- The worker claims the job with one conditional update (queued, or running with an expired
  lease) that sets ``worker`` and ``heartbeat_at`` and increments ``attempts``. Every later write
  filters on ``(worker, attempts)``; when it matches nothing the lease was lost (a sweeper gave the
  job to someone else) and this worker stops without touching the job again.
- Reviews are stored (``results_ingest``, idempotent on ``(target, platform_id)``) *before* the
  page's cursor is saved, so a crash between the two re-fetches one page and adds nothing twice;
  a resumed job starts each unfinished target at its saved cursor, so nothing is lost either.
- A cancel (status set to ``cancelled`` by the API) is seen after every page; the runner then
  stops within that page.
- A target that fails is marked failed with its error (and the Target's status set through
  ``projects.services.target_record_scrape``); the other targets go on. The job fails only when
  no target completed.
- A job that has run for ``SCRAPE_JOB_SLICE_SECONDS`` puts itself back in the queue at a page
  boundary, so no Celery task runs into its time limit.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from django.conf import settings
from django.utils import timezone
from pymongo import ReturnDocument

from audit.services import record
from scraping.context import fetch_context_for, fetcher_for, rate_limit_key
from scraping.models import JobTarget, ScrapeJob
from scraping.platforms.base import BlockedError, FetchContext, FetchError, FetchOptions, Page, ParsedTarget
from scraping.ratelimit import DEFAULT_PLATFORM_LIMITS, RateLimiter, RateLimitWaitTooLong
from scraping.services import emit_event, job_log, jobs_collection, scrape_job_enqueue

logger = logging.getLogger("sentimatrix.scraping")

FINAL_TARGET_STATUSES = frozenset(
    {JobTarget.Status.COMPLETED, JobTarget.Status.FAILED, JobTarget.Status.CANCELLED, JobTarget.Status.SKIPPED}
)


class LeaseLost(Exception):  # noqa: N818 - a signal, not an error
    """Another worker owns the job now; stop without writing."""


class TargetFailed(Exception):
    def __init__(self, message: str, *, code: str, target_status: str = "error") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.target_status = target_status  # what the Target itself becomes: error | blocked


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lease_claim(*, job_id: Any, worker: str, now: datetime | None = None) -> dict[str, Any] | None:
    """Take the job if it is queued, or running under a lease that expired; None otherwise."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.SCRAPE_JOB_LEASE_SECONDS)
    return jobs_collection().find_one_and_update(
        {
            "_id": ObjectId(str(job_id)),
            "active": True,
            "$or": [
                {"status": ScrapeJob.Status.QUEUED},
                {"status": ScrapeJob.Status.RUNNING, "heartbeat_at": {"$lt": stale}},
            ],
        },
        {
            "$set": {"status": ScrapeJob.Status.RUNNING, "worker": worker, "heartbeat_at": now, "updated_at": now},
            "$inc": {"attempts": 1},
        },
        projection={"log": 0},
        return_document=ReturnDocument.AFTER,
    )


def ingest_reviews(*, job: ScrapeJob, target: Any, reviews: list[Any]) -> int:
    """Store reviews through the results app; returns how many were new."""
    from results.services import results_ingest

    return int(results_ingest(job=job, target=target, reviews=reviews))


def _record_target(
    *, target: Any, status: str, error: str | None = None, scraped_at: datetime | None = None, results_added: int = 0
) -> None:
    """``status``: success | error | blocked (``projects.services.target_record_scrape``)."""
    try:
        from projects.services import target_record_scrape
    except ImportError:
        return
    try:
        target_record_scrape(
            target=target, status=status, error=error, scraped_at=scraped_at, results_added=results_added
        )
    except Exception:  # noqa: BLE001 - bookkeeping on the target must not fail the job
        logger.exception("target_record_scrape failed for target %s", getattr(target, "pk", None))


def _redis_limiter() -> RateLimiter | None:
    if not settings.SCRAPING_RATE_LIMITS_ENABLED:
        return None
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=10)
    return RateLimiter(client)


class JobRunner:
    def __init__(
        self,
        claim: dict[str, Any],
        *,
        worker: str,
        limiter: RateLimiter | None,
        sleep: Callable[[float], None] | None,
        slice_seconds: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.job_id = claim["_id"]
        self.worker = worker
        self.attempts = claim["attempts"]
        self.first_start = claim.get("started_at") is None
        self.limiter = limiter
        self.sleep = sleep
        self.monotonic = monotonic
        self.slice_seconds = settings.SCRAPE_JOB_SLICE_SECONDS if slice_seconds is None else slice_seconds
        self.started = monotonic()
        self.job = ScrapeJob.objects.select_related("project", "user", "triggered_by").get(pk=self.job_id)
        self.project = self.job.project
        self.user = self.job.user
        self.contexts: dict[str, FetchContext] = {}
        self.last_progress: tuple[float, datetime] | None = None

    # -- writes guarded by the lease --------------------------------------------------------

    @property
    def guard(self) -> dict[str, Any]:
        return {"_id": self.job_id, "worker": self.worker, "attempts": self.attempts}

    def write(self, update: dict[str, Any], *, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        now = timezone.now()
        update.setdefault("$set", {}).update({"heartbeat_at": now, "updated_at": now})
        doc = jobs_collection().find_one_and_update(
            {**self.guard, **(extra or {})}, update, projection={"log": 0}, return_document=ReturnDocument.AFTER
        )
        if doc is None:
            if extra and jobs_collection().count_documents(self.guard, limit=1):
                return {}
            raise LeaseLost()
        return doc

    def log(self, event: str, message: str = "", *, level: str = "info", target_id: Any = None) -> None:
        job_log(job_id=self.job_id, event=event, message=message, level=level, target_id=target_id)

    # -- the run ----------------------------------------------------------------------------

    def run(self) -> str:
        now = timezone.now()
        if self.first_start:
            jobs_collection().update_one({**self.guard, "started_at": None}, {"$set": {"started_at": now}})
            self.log("job.started", f"Started by worker {self.worker}.")
            emit_event("job.started", user=self.user, project=self.project, data=self._event_data())
        else:
            self.log("job.resumed", f"Resumed by worker {self.worker} (attempt {self.attempts}).")
        if self.project.status != "active":
            return self.finish(error=f"The project is {self.project.status}; the job did not run.")
        doc = self.write({"$set": {}})
        for index, entry in enumerate(doc.get("targets") or []):
            if entry.get("status") in FINAL_TARGET_STATUSES:
                continue
            outcome = self.run_target(index, entry)
            if outcome in ("cancelled", "sliced"):
                return outcome if outcome == "sliced" else self.finish_cancelled()
        return self.finish()

    def run_target(self, index: int, entry: dict[str, Any]) -> str:
        from projects.models import Target

        prefix = f"targets.{index}"
        target_id = entry["target_id"]
        target = Target.objects.filter(pk=target_id, project=self.project).first()
        if target is None:
            return self.end_target(index, entry, JobTarget.Status.SKIPPED, error="The target was deleted.")
        if target.status == "paused":
            return self.end_target(index, entry, JobTarget.Status.SKIPPED, error="The target is paused.")
        now = timezone.now()
        start: dict[str, Any] = {f"{prefix}.status": JobTarget.Status.RUNNING}
        if entry.get("started_at") is None:
            start[f"{prefix}.started_at"] = now
        doc = self.write(
            {"$set": start},
            extra={"status": ScrapeJob.Status.RUNNING, f"{prefix}.status": {"$in": ["pending", "running"]}},
        )
        if not doc:  # cancelled meanwhile (the cancel marked this pending target too)
            return "cancelled"
        entry = doc["targets"][index]
        try:
            return self.fetch_target(index, entry, target)
        except TargetFailed as exc:
            _record_target(target=target, status=exc.target_status, error=exc.message)
            emit_event(
                "target.error",
                user=self.user,
                project=self.project,
                data={
                    "job_id": str(self.job_id),
                    "project_id": str(self.project.pk),
                    "target_id": str(target_id),
                    "platform": target.platform,
                    "url": target.url,
                    "error": exc.message,
                    "code": exc.code,
                },
            )
            return self.end_target(index, entry, JobTarget.Status.FAILED, error=exc.message, code=exc.code)

    def fetch_target(self, index: int, entry: dict[str, Any], target: Any) -> str:
        prefix = f"targets.{index}"
        max_results = int(self.job.options.max_results or settings.SCRAPING_MAX_RESULTS_PER_TARGET)
        job_cap = getattr(getattr(self.project.config, "limits", None), "max_results_per_job", None)
        remaining = max_results - int(entry.get("fetched_count") or 0)
        if job_cap:
            remaining = min(remaining, int(job_cap) - self._fetched_total())
        if remaining <= 0:
            note = "The job's result limit was reached before this target." if job_cap else ""
            return self.end_target(index, entry, JobTarget.Status.COMPLETED, note=note, target=target)
        platform = target.platform
        if target.needs_resolution:
            raise TargetFailed(
                "This is a short or share link that has not been resolved to the page it points at yet; "
                "add the full link instead.",
                code="needs_resolution",
            )
        try:
            fetch = fetcher_for(platform)
        except LookupError:
            raise TargetFailed(f"Platform {platform!r} is not supported.", code="unsupported") from None
        context = self.context_for(platform)
        parsed = ParsedTarget(
            platform=platform,
            detected_type=target.detected_type or "",
            canonical_url=target.url,
            platform_data=dict(target.platform_data or {}),
            needs_resolution=bool(target.needs_resolution),
        )
        target_options = getattr(target, "options", None)
        options = FetchOptions(
            max_results=remaining,
            include_replies=bool(self.job.options.include_replies),
            date_from=self.job.options.date_from,
            date_to=self.job.options.date_to,
            language=self.job.options.language or (getattr(target_options, "language", "") or None),
            sort_by=getattr(target_options, "sort_by", "") or None,
        )
        pages = fetch(parsed, options, context, entry.get("cursor"))
        fetched = int(entry.get("fetched_count") or 0)
        try:
            while True:
                self.before_request(platform, context, target.pk)
                try:
                    with self.provider_slot(context):
                        page = next(pages)
                except StopIteration:
                    break
                except BlockedError as exc:
                    raise TargetFailed(exc.message, code=exc.code, target_status="blocked") from None
                except FetchError as exc:
                    raise TargetFailed(exc.message, code=exc.code) from None
                except RateLimitWaitTooLong as exc:
                    raise TargetFailed(
                        f"The platform's request budget is used up for now; retry in about {exc.retry_after:.0f} s.",
                        code="rate_limited",
                    ) from None
                except Exception as exc:  # noqa: BLE001 - a bug or bad target data fails this target only
                    logger.exception("scrape job %s: target %s crashed", self.job_id, target.pk)
                    raise TargetFailed(
                        f"Unexpected error while fetching this target ({type(exc).__name__}); support has the details.",
                        code="internal",
                    ) from None
                new = ingest_reviews(job=self.job, target=target, reviews=list(page.reviews))
                fetched += len(page.reviews)
                last = page.cursor is None or fetched >= max_results
                doc = self.record_page(index, page, new=new, fetched=fetched, max_results=max_results, last=last)
                if last:
                    return self.target_done(index, doc["targets"][index], target)
                if doc.get("status") == ScrapeJob.Status.CANCELLED:
                    self.end_target(index, doc["targets"][index], JobTarget.Status.CANCELLED, note="Cancelled.")
                    return "cancelled"
                if self.slice_over():
                    return self.requeue_self()
        finally:
            with contextlib.suppress(Exception):
                pages.close()  # type: ignore[attr-defined]
        doc = self.write({"$set": {f"{prefix}.cursor": None}})
        return self.target_done(index, doc["targets"][index], target)

    # -- rate limits --------------------------------------------------------------------------

    def before_request(self, platform: str, context: FetchContext, target_id: Any) -> None:
        if self.limiter is None:
            return
        project_id = str(self.project.pk)
        daily = int(
            getattr(self.project.config.limits, "max_requests_per_day", 0) or settings.SCRAPING_MAX_REQUESTS_PER_DAY
        )
        if not self.limiter.consume_daily(project_id, daily, now=timezone.now()):
            raise TargetFailed(
                f"The project's daily budget of {daily} requests is used up; the rest can run tomorrow.",
                code="daily_budget",
            )
        key = rate_limit_key(platform, context)
        policy = DEFAULT_PLATFORM_LIMITS.get(key) if key else None
        max_wait = settings.SCRAPING_RATE_LIMIT_MAX_WAIT
        try:
            if policy is not None and policy.windows:
                self.limiter.wait_platform(key, policy.windows, max_wait=max_wait)
            delay = float(getattr(self.project.config.limits, "request_delay_seconds", 0) or 0)
            if delay > 0:
                self.limiter.wait_for_slot(f"target:{target_id}", delay, max_wait=max_wait)
        except RateLimitWaitTooLong as exc:
            raise TargetFailed(
                f"The platform's request budget is used up for now; retry in about {exc.retry_after:.0f} s.",
                code="rate_limited",
            ) from None

    def provider_slot(self, context: FetchContext) -> contextlib.AbstractContextManager[Any]:
        provider = context.provider
        policy = DEFAULT_PLATFORM_LIMITS.get(provider or "")
        if self.limiter is None or policy is None or not policy.max_concurrency:
            return contextlib.nullcontext()
        return self.limiter.concurrency_slot(
            provider,
            policy.max_concurrency,
            lease_seconds=float(settings.SCRAPE_JOB_LEASE_SECONDS),
            max_wait=settings.SCRAPING_RATE_LIMIT_MAX_WAIT,
        )

    def context_for(self, platform: str) -> FetchContext:
        if platform not in self.contexts:
            self.contexts[platform] = fetch_context_for(
                platform=platform, project=self.project, user=self.user, sleep=self.sleep
            )
        return self.contexts[platform]

    # -- progress -------------------------------------------------------------------------------

    def record_page(
        self, index: int, page: Page, *, new: int, fetched: int, max_results: int, last: bool
    ) -> dict[str, Any]:
        prefix = f"targets.{index}"
        progress = 100 if last else min(99, fetched * 100 // max(1, max_results))
        doc = self.write(
            {
                "$set": {f"{prefix}.cursor": None if last else page.cursor, f"{prefix}.progress": progress},
                "$inc": {
                    f"{prefix}.results_count": new,
                    f"{prefix}.fetched_count": len(page.reviews),
                    f"{prefix}.pages": 1,
                    f"{prefix}.requests_made": page.requests_made,
                    "stats.results_total": new,
                    "stats.reviews_fetched": len(page.reviews),
                    "stats.requests_made": page.requests_made,
                },
            }
        )
        self.update_job_progress(doc)
        return doc

    def update_job_progress(self, doc: dict[str, Any]) -> None:
        targets = doc.get("targets") or []
        if not targets:
            return
        total = sum(100 if t.get("status") in FINAL_TARGET_STATUSES else int(t.get("progress") or 0) for t in targets)
        percent = min(99, total // len(targets))
        jobs_collection().update_one(self.guard, {"$max": {"progress": percent}})
        now = timezone.now()
        from integrations.webhooks.events import should_emit

        last_percent, last_at = self.last_progress or (None, None)
        if should_emit(last_percent, last_at, float(percent), now):
            self.last_progress = (float(percent), now)
            data = self._event_data()
            data.update(progress=percent, stats=_stats_of(doc))
            emit_event("job.progress", user=self.user, project=self.project, data=data)

    def _fetched_total(self) -> int:
        doc = jobs_collection().find_one({"_id": self.job_id}, {"stats": 1}) or {}
        return int((doc.get("stats") or {}).get("reviews_fetched") or 0)

    def target_done(self, index: int, entry: dict[str, Any], target: Any) -> str:
        return self.end_target(index, entry, JobTarget.Status.COMPLETED, target=target)

    def end_target(
        self,
        index: int,
        entry: dict[str, Any],
        status: str,
        *,
        error: str | None = None,
        code: str | None = None,
        note: str = "",
        target: Any = None,
    ) -> str:
        prefix = f"targets.{index}"
        now = timezone.now()
        update: dict[str, Any] = {
            "$set": {
                f"{prefix}.status": status,
                f"{prefix}.completed_at": now,
                f"{prefix}.error": error,
                f"{prefix}.error_code": code,
            }
        }
        if status == JobTarget.Status.COMPLETED:
            update["$set"][f"{prefix}.progress"] = 100
            update["$set"][f"{prefix}.cursor"] = None
            update["$inc"] = {"stats.targets_completed": 1}
        elif status == JobTarget.Status.FAILED:
            update["$inc"] = {"stats.targets_failed": 1, "stats.errors_count": 1}
        doc = self.write(update)
        target_id = entry.get("target_id")
        if status == JobTarget.Status.COMPLETED:
            counts = doc["targets"][index]
            self.log(
                "target.completed",
                f"{counts.get('results_count', 0)} new of {counts.get('fetched_count', 0)} fetched "
                f"in {counts.get('pages', 0)} page(s). {note}".strip(),
                target_id=target_id,
            )
            if target is not None:
                _record_target(
                    target=target, status="success", scraped_at=now, results_added=int(counts.get("results_count") or 0)
                )
        elif status == JobTarget.Status.FAILED:
            self.log("target.failed", f"[{code}] {error}", level="error", target_id=target_id)
        else:
            self.log(f"target.{status}", error or note, level="warning", target_id=target_id)
        self.update_job_progress(doc)
        return status

    # -- endings ------------------------------------------------------------------------------

    def slice_over(self) -> bool:
        return self.slice_seconds > 0 and self.monotonic() - self.started >= self.slice_seconds

    def requeue_self(self) -> str:
        result = jobs_collection().update_one(
            {**self.guard, "status": ScrapeJob.Status.RUNNING},
            {"$set": {"status": ScrapeJob.Status.QUEUED, "worker": None, "updated_at": timezone.now()}},
        )
        if result.modified_count:
            self.log("job.continued", "Time slice used up; the job continues in a new task.")
            scrape_job_enqueue(job_id=self.job_id)
        return "sliced"

    def finish_cancelled(self) -> str:
        doc = jobs_collection().find_one({"_id": self.job_id}, {"targets": 1}) or {}
        now = timezone.now()
        for index, entry in enumerate(doc.get("targets") or []):
            if entry.get("status") not in FINAL_TARGET_STATUSES:
                jobs_collection().update_one(
                    {**self.guard, f"targets.{index}.status": entry.get("status")},
                    {
                        "$set": {
                            f"targets.{index}.status": JobTarget.Status.CANCELLED,
                            f"targets.{index}.completed_at": now,
                        }
                    },
                )
        jobs_collection().update_one(self.guard, {"$set": {"worker": None, "updated_at": now}})
        self.log("job.stopped", "Stopped after the cancel request.")
        return ScrapeJob.Status.CANCELLED

    def finish(self, *, error: str | None = None) -> str:
        doc = jobs_collection().find_one({"_id": self.job_id}, {"log": 0}) or {}
        targets = doc.get("targets") or []
        completed = [t for t in targets if t.get("status") == JobTarget.Status.COMPLETED]
        failed = [t for t in targets if t.get("status") == JobTarget.Status.FAILED]
        if error is None and not completed:
            first = next((t.get("error") for t in failed + targets if t.get("error")), None)
            error = f"No target could be fetched. {first or ''}".strip()
        status = ScrapeJob.Status.FAILED if error else ScrapeJob.Status.COMPLETED
        message = error
        if status == ScrapeJob.Status.COMPLETED and failed:
            message = f"{len(failed)} of {len(targets)} targets failed; see each target's error."
        now = timezone.now()
        result = jobs_collection().update_one(
            {**self.guard, "status": ScrapeJob.Status.RUNNING},
            {
                "$set": {
                    "status": status,
                    "active": False,
                    "progress": 100,
                    "worker": None,
                    "completed_at": now,
                    "updated_at": now,
                    "error_message": message,
                }
            },
        )
        if not result.modified_count:
            # Cancelled (or taken over) while the last target finished: leave the job as it is.
            if (jobs_collection().find_one({"_id": self.job_id}, {"status": 1}) or {}).get("status") == "cancelled":
                return self.finish_cancelled()
            raise LeaseLost()
        self.job.refresh_from_db()
        stats = _stats_of(doc)
        self.log(
            f"job.{status}",
            message or f"{stats['results_total']} new results.",
            level="info" if status == "completed" else "error",
        )
        record(
            event_type=f"scrape_job.{status}",
            actor=None,
            user=self.user,
            success=status == ScrapeJob.Status.COMPLETED,
            metadata={"job_id": str(self.job_id), "project_id": str(self.project.pk), "stats": stats},
        )
        data = self._event_data()
        data.update(status=status, stats=stats, error=message)
        emit_event(f"job.{status}", user=self.user, project=self.project, data=data)
        if self.job.trigger == ScrapeJob.Trigger.SCHEDULED:
            self.schedule_history(status, stats["results_total"], message)
        # results.new is emitted by results_ingest, per stored page.
        if stats["results_total"] > 0:
            self.start_analysis()
        return status

    def schedule_history(self, status: str, results: int, error: str | None) -> None:
        try:
            from projects.services import schedule_run_update

            schedule_run_update(
                project=self.project, job_id=self.job_id, status=status, results_count=results, error=error or ""
            )
        except Exception:  # noqa: BLE001 - history bookkeeping must not fail a finished job
            logger.exception("schedule_run_update failed for scrape job %s", self.job_id)

    def start_analysis(self) -> None:
        try:
            from results.services import analysis_start
        except ImportError:
            return
        try:
            analysis_start(actor=self.job.triggered_by, project=self.project, scrape_job=self.job)
        except Exception as exc:  # noqa: BLE001 - the scrape itself succeeded; analysis can be started again
            logger.exception("analysis_start failed for scrape job %s", self.job_id)
            self.log("analysis.not_started", f"Analysis could not start: {exc}", level="warning")

    def _event_data(self) -> dict[str, Any]:
        return {
            "job_id": str(self.job_id),
            "project_id": str(self.project.pk),
            "trigger": self.job.trigger,
        }


def _stats_of(doc: dict[str, Any]) -> dict[str, int]:
    stats = doc.get("stats") or {}
    keys = (
        "targets_total",
        "targets_completed",
        "targets_failed",
        "results_total",
        "reviews_fetched",
        "requests_made",
        "errors_count",
    )
    return {key: int(stats.get(key) or 0) for key in keys}


def scrape_job_run(
    *,
    job_id: Any,
    worker: str | None = None,
    limiter: RateLimiter | None | bool = True,
    sleep: Callable[[float], None] | None = None,
    slice_seconds: float | None = None,
) -> str | None:
    """Run (or resume) a job. Returns the outcome, or None when the job was not claimable.

    ``limiter=True`` builds the Redis limiter from settings (None disables rate limits, tests pass
    their own). Never raises for a platform failure: those end up on the job and its targets.
    """
    worker = worker or default_worker_id()
    claim = lease_claim(job_id=job_id, worker=worker)
    if claim is None:
        logger.info("scrape job %s not claimable (finished, cancelled or held by another worker)", job_id)
        return None
    runner = JobRunner(
        claim,
        worker=worker,
        limiter=_redis_limiter() if limiter is True else (limiter or None),
        sleep=sleep,
        slice_seconds=slice_seconds,
    )
    try:
        return runner.run()
    except LeaseLost:
        logger.warning("scrape job %s: lease lost by %s; stopping", job_id, worker)
        return "lease_lost"
    except Exception as exc:
        # A bug or an unavailable database/results layer: fail the job visibly rather than leaving it running.
        logger.exception("scrape job %s crashed", job_id)
        message = f"Internal error while running the job ({type(exc).__name__}); retry it."
        jobs_collection().update_one(
            {**runner.guard, "status": ScrapeJob.Status.RUNNING},
            {
                "$set": {
                    "status": ScrapeJob.Status.FAILED,
                    "active": False,
                    "worker": None,
                    "completed_at": timezone.now(),
                    "error_message": message,
                }
            },
        )
        job_log(job_id=runner.job_id, event="job.failed", level="error", message=message)
        emit_event(
            "job.failed",
            user=runner.user,
            project=runner.project,
            data={**runner._event_data(), "status": "failed", "error": message},
        )
        return ScrapeJob.Status.FAILED
