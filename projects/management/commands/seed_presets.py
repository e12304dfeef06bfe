"""Create or refresh the system presets (run by ``make run`` and after ``migrate`` on deploy)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from projects.presets import seed_system_presets
from sentimatrix.ops.command import OpsCommand


class Command(OpsCommand):
    help = (
        "Create the system presets that are missing and add fields they lack (idempotent). "
        "--reset rewrites every system preset to the code's definitions. Custom presets are never touched."
    )
    audit_event = "ops.presets_seeded"
    changes_data = True

    def add_command_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reset", action="store_true", help="Rewrite system presets to the code's definitions.")

    def run(self, *, reset: bool = False, **options: Any) -> str:
        report = seed_system_presets(reset=reset, dry_run=self.dry_run)
        for key, slugs in report.as_dict().items():
            if key == "differs" and not slugs:
                continue
            names = f" ({', '.join(slugs)})" if slugs else ""
            self.progress_line(f"{key}: {len(slugs)}{names}")
        if report.differs:
            self.progress_line("Stored values differ from the code for the presets above; run with --reset to rewrite.")
        if report.created or report.updated:
            self.record_changes({"created": report.created, "updated": report.updated, "reset": reset})
        verb = "would create" if self.dry_run else "created"
        return f"{verb} {len(report.created)}, {'would update' if self.dry_run else 'updated'} {len(report.updated)}"
