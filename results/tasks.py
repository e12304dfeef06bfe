"""Celery tasks of the results app (thin: the work is in ``results.services``). Queue: ``analyze``."""

from __future__ import annotations

from celery import shared_task

from results import services


@shared_task(name="results.run_analysis_job", acks_late=True)
def run_analysis_job(job_id: str) -> str:
    """Analyze what is still queued for the job; a rate-limited run re-sends itself with a countdown."""
    try:
        return services.analysis_run(job_id)
    except services.RescheduleJob as exc:
        run_analysis_job.apply_async(args=[job_id], countdown=exc.countdown)
        return "rescheduled"
