"""Retention: erase deleted accounts, expire results and jobs, TTL backstop, orphans."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from sentimatrix.ops.command import OpsCommand
from sentimatrix.ops.retention import Cleaner, CleanupCounts, ttl_indexes

STEPS = ("accounts", "results", "jobs", "ttl", "orphans")


class Command(OpsCommand):
    help = (
        "Delete what is past retention, in batches: accounts soft-deleted more than "
        "ACCOUNT_DELETION_GRACE_DAYS ago with all their data; results stored longer than the "
        "owner's plan retention (accounts.plans: starter 30, standard 90, advanced 180, enterprise "
        "365 days); finished scrape and analysis jobs older than JOB_RETENTION_DAYS; documents past "
        "a declared TTL index (backstop for engines without a TTL monitor); and orphans whose parent "
        "is gone. Prints counts per collection. Safe to stop at any time and run again: work is "
        "done in batches of --batch-size and nothing is left half-done. --dry-run counts only."
    )
    audit_event = "ops.cleanup"
    changes_data = True

    def add_command_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--only", action="append", choices=STEPS, default=[], help="run only this step (repeatable)"
        )
        parser.add_argument("--batch-size", type=int, default=None, help="documents per delete (default from settings)")
        parser.add_argument("--job-days", type=int, default=None, help="override JOB_RETENTION_DAYS")
        parser.add_argument("--grace-days", type=int, default=None, help="override ACCOUNT_DELETION_GRACE_DAYS")
        parser.add_argument("--json", action="store_true", help="print the counts as JSON")
        parser.add_argument("--database", default="default", help="database alias (default: default)")

    def run(self, **options: Any) -> str:
        from accounts.plans import DEFAULT_PLAN, PLANS

        steps = options["only"] or list(STEPS)
        batch = options["batch_size"] if options["batch_size"] is not None else settings.CLEANUP_BATCH_SIZE
        if batch < 1:
            raise CommandError("--batch-size must be at least 1", returncode=2)
        job_days = options["job_days"] if options["job_days"] is not None else settings.JOB_RETENTION_DAYS
        grace = options["grace_days"] if options["grace_days"] is not None else settings.ACCOUNT_DELETION_GRACE_DAYS
        if job_days < 1 or grace < 0:
            raise CommandError("--job-days must be at least 1 and --grace-days at least 0", returncode=2)

        def remember(counts: CleanupCounts) -> None:
            # Kept current after every batch: an interrupted run still audits what it deleted.
            self.changes.update(counts.as_audit())

        cleaner = Cleaner(
            alias=options["database"],
            batch_size=batch,
            dry_run=self.dry_run,
            report=self.progress_line,
            on_batch=remember,
        )
        retention = {plan: limits.results_retention_days for plan, limits in PLANS.items()}
        for step in steps:
            self.progress_line(f"{step}:")
            if step == "accounts":
                cleaner.erase_deleted_accounts(grace)
            elif step == "results":
                cleaner.expire_results(retention, PLANS[DEFAULT_PLAN].results_retention_days)
            elif step == "jobs":
                cleaner.expire_jobs(job_days)
            elif step == "ttl":
                cleaner.ttl_backstop(ttl_indexes(options["database"]))
            elif step == "orphans":
                cleaner.delete_orphans()
        counts = cleaner.counts
        if not self.dry_run and counts.total:
            self.record_changes(counts.as_audit())
        if options["json"]:
            self.stdout.write(json.dumps({"dry_run": self.dry_run, **counts.as_dict()}, indent=2))
        else:
            for collection, count in sorted(counts.by_collection.items()):
                self.stdout.write(f"{collection}: {count}")
        verb = "would delete" if self.dry_run else "deleted"
        parts = ", ".join(f"{name} {count}" for name, count in sorted(counts.by_collection.items())) or "nothing"
        return f"{verb} {counts.total} documents ({parts}); {len(counts.accounts_erased)} accounts erased"
