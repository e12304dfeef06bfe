"""Start the scheduled scrape jobs that are due. Cron: every minute (https://crontab.guru/#*_*_*_*_*)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from sentimatrix.ops.command import OpsCommand


class Command(OpsCommand):
    help = (
        "Start one scheduled scrape job for every active project whose schedule is due, and move each "
        "schedule to its next run. Safe to overlap: each run of a schedule is claimed with one atomic "
        "update, so two cron runs never start it twice. --dry-run lists what is due. "
        "Cron: * * * * * (https://crontab.guru/#*_*_*_*_*)."
    )
    audit_event = "ops.schedules_run"
    changes_data = True

    def add_command_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=100, help="projects claimed per query (default 100)")

    def run(self, **options: Any) -> str:
        from scraping.services import schedules_run_due

        if options["batch"] < 1:
            from django.core.management.base import CommandError

            raise CommandError("--batch must be at least 1", returncode=2)
        summary = schedules_run_due(dry_run=self.dry_run, batch=options["batch"])
        if self.dry_run:
            for project_id, due_at in summary.planned:
                self.progress_line(f"  due: project {project_id} (since {due_at.isoformat()})")
            return f"{summary.due} due"
        for project_id, reason in summary.skipped:
            self.warn(f"  skipped: project {project_id}: {reason}")
        if summary.started or summary.skipped:
            self.record_changes({"started": len(summary.started), "skipped": len(summary.skipped)})
        return f"{summary.due} due, {len(summary.started)} started, {len(summary.skipped)} skipped"
