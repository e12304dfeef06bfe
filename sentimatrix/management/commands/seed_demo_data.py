"""Load the demo tenant (make run, screenshots): idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from sentimatrix.ops import demo
from sentimatrix.ops.command import OpsCommand


class Command(OpsCommand):
    help = (
        f"Create a realistic demo tenant ({demo.DEMO_EMAIL}, password {demo.DEMO_PASSWORD}, plan "
        "advanced): six projects covering every platform (Steam, Amazon, YouTube, Reddit, Google "
        "Maps, Trustpilot and Yelp), about 2,500 reviews collected by weekly scheduled runs over "
        "the last 90 days and analyzed by the offline analyzer (finished jobs older than 30 days "
        "expire, as in production), a sentiment dip after a game patch, a "
        "failed job and a failing webhook for the support dashboard. Built through the product's "
        "services, offline. Does nothing when the demo tenant exists, unless --reset. Refused in "
        "production settings unless --allow-production."
    )
    audit_event = "ops.demo_seeded"
    changes_data = True

    def add_command_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reset", action="store_true", help="erase the demo tenant and build it again")
        parser.add_argument("--scale", type=float, default=1.0, help="multiply the number of reviews (default 1.0)")
        parser.add_argument("--seed", type=int, default=2026, help="random seed (same seed, same reviews)")
        parser.add_argument("--allow-production", action="store_true", help="allow with DEBUG off and a real server")

    def run(self, **options: Any) -> str:
        from django.conf import settings

        from sentimatrix.db.capabilities import is_emulated

        if not (settings.DEBUG or is_emulated() or options["allow_production"]):
            raise CommandError("refusing to load demo data into a production database (--allow-production)")
        if not 0 < options["scale"] <= 10:
            raise CommandError("--scale must be between 0 and 10", returncode=2)
        exists = demo.demo_exists()
        if exists and not options["reset"]:
            return f"the demo tenant {demo.DEMO_EMAIL} already exists; nothing to do (--reset rebuilds it)"
        if self.dry_run:
            verb = "rebuild" if exists else "create"
            return f"would {verb} the demo tenant {demo.DEMO_EMAIL} ({len(demo.PROJECTS)} projects)"
        erased = demo.demo_erase(self.progress_line) if options["reset"] else {}
        note = " (under a minute on the emulated engine)" if is_emulated() else ""
        self.progress_line(f"building the demo tenant {demo.DEMO_EMAIL}{note}")
        counts = demo.build_demo(
            now=timezone.now(), seed=options["seed"], scale=options["scale"], report=self.progress_line
        )
        self.record_changes({"email": demo.DEMO_EMAIL, "created": counts, "erased": sum(erased.values())})
        return (
            f"demo tenant {demo.DEMO_EMAIL} (password {demo.DEMO_PASSWORD}): {counts['projects']} projects, "
            f"{counts['targets']} targets, {counts['results']} analyzed results, {counts['scrape_jobs']} scrape "
            f"jobs, {counts['analysis_jobs']} analysis jobs, {counts['webhooks']} webhook"
        )
