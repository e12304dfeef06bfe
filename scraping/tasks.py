"""Celery tasks of the scraping app: thin adapters around services (queue ``scrape``)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="scraping.run_scrape_job", ignore_result=True, acks_late=True)
def run_scrape_job(job_id: str) -> str | None:
    """Run or resume one scrape job. Safe to deliver twice: the lease claim lets one worker in."""
    from scraping.runner import scrape_job_run

    return scrape_job_run(job_id=job_id)


@shared_task(name="scraping.run_due_schedules", ignore_result=True)
def run_due_schedules() -> int:
    """Beat entry for deployments without cron; overlapping runs are safe (atomic claims)."""
    from scraping.services import schedules_run_due

    return len(schedules_run_due().started)


@shared_task(name="scraping.requeue_stuck_jobs", ignore_result=True)
def requeue_stuck_jobs() -> int:
    """Beat entry of the ``requeue_stuck_jobs`` command: stuck scrape jobs, then stuck analysis jobs."""
    from results.services import analysis_jobs_requeue_stuck
    from scraping.services import scrape_jobs_requeue_stuck

    return sum(
        len(summary.requeued) + len(summary.failed) + len(summary.redispatched)
        for summary in (scrape_jobs_requeue_stuck(), analysis_jobs_requeue_stuck())
    )
