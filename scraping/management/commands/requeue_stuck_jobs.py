"""Recover scrape jobs whose worker died. Cron: every 10 minutes (https://crontab.guru/#*/10_*_*_*_*)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from sentimatrix.ops.command import OpsCommand


class Command(OpsCommand):
    help = (
        "Find running scrape jobs whose heartbeat is older than the lease (SCRAPE_JOB_LEASE_SECONDS) and "
        "queue them again; a job already recovered SCRAPE_JOB_MAX_RECOVERIES times is failed instead. "
        "Queued jobs whose message was lost are sent again. Resumed jobs continue each target at its "
        "saved cursor. Cron: */10 * * * * (https://crontab.guru/#*/10_*_*_*_*)."
    )
    audit_event = "ops.stuck_jobs_requeued"
    changes_data = True

    def add_command_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--lease-seconds",
            type=int,
            default=None,
            help=f"heartbeat age that counts as stuck (default {settings.SCRAPE_JOB_LEASE_SECONDS})",
        )
        parser.add_argument(
            "--max-recoveries",
            type=int,
            default=None,
            help=f"recoveries before a job is failed (default {settings.SCRAPE_JOB_MAX_RECOVERIES})",
        )

    def run(self, **options: Any) -> str:
        from scraping.services import scrape_jobs_requeue_stuck

        lease = options["lease_seconds"]
        if lease is not None and lease < 1:
            raise CommandError("--lease-seconds must be at least 1", returncode=2)
        summary = scrape_jobs_requeue_stuck(
            lease_seconds=lease, max_recoveries=options["max_recoveries"], dry_run=self.dry_run
        )
        for job_id in summary.requeued:
            self.progress_line(f"  requeued: job {job_id}")
        for job_id in summary.failed:
            self.progress_line(f"  failed: job {job_id}")
        for job_id in summary.redispatched:
            self.progress_line(f"  re-sent: job {job_id}")
        if not self.dry_run and (summary.requeued or summary.failed or summary.redispatched):
            self.record_changes(
                {
                    "requeued": len(summary.requeued),
                    "failed": len(summary.failed),
                    "redispatched": len(summary.redispatched),
                }
            )
        return f"{len(summary.requeued)} requeued, {len(summary.failed)} failed, {len(summary.redispatched)} re-sent"
