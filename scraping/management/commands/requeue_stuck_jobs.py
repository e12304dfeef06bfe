"""Recover scrape and analysis jobs whose worker died or whose message was lost.

Cron: every 10 minutes (https://crontab.guru/#*/10_*_*_*_*)."""

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
        "saved cursor. Analysis jobs get the same treatment (results.services.analysis_jobs_requeue_stuck; "
        "a re-sent run continues with the results still queued). "
        "Cron: */10 * * * * (https://crontab.guru/#*/10_*_*_*_*)."
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
        from results.services import analysis_jobs_requeue_stuck
        from scraping.services import scrape_jobs_requeue_stuck

        lease = options["lease_seconds"]
        if lease is not None and lease < 1:
            raise CommandError("--lease-seconds must be at least 1", returncode=2)
        if options["max_recoveries"] is not None and options["max_recoveries"] < 0:
            raise CommandError("--max-recoveries must be 0 or more (0 fails a stuck job at once)", returncode=2)
        arguments = {"lease_seconds": lease, "max_recoveries": options["max_recoveries"], "dry_run": self.dry_run}
        summaries = {
            "scrape": scrape_jobs_requeue_stuck(**arguments),
            "analysis": analysis_jobs_requeue_stuck(**arguments),
        }
        changes: dict[str, int] = {}
        for kind, summary in summaries.items():
            for verb, job_ids in (("requeued", summary.requeued), ("failed", summary.failed),
                                  ("re-sent", summary.redispatched)):  # fmt: skip
                for job_id in job_ids:
                    self.progress_line(f"  {verb}: {kind} job {job_id}")
            prefix = "" if kind == "scrape" else f"{kind}_"  # the scrape keys keep their earlier names
            changes.update(
                {
                    f"{prefix}requeued": len(summary.requeued),
                    f"{prefix}failed": len(summary.failed),
                    f"{prefix}redispatched": len(summary.redispatched),
                }
            )
        if not self.dry_run and any(changes.values()):
            self.record_changes(changes)
        return "; ".join(
            f"{len(s.requeued)} requeued, {len(s.failed)} failed, {len(s.redispatched)} re-sent ({kind} jobs)"
            for kind, s in summaries.items()
        )
