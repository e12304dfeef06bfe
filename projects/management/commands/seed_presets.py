from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from projects.presets import seed_system_presets


class Command(BaseCommand):
    help = (
        "Create the system presets that are missing and add fields they lack (idempotent). "
        "--reset rewrites every system preset to the code's definitions. Custom presets are never touched."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reset", action="store_true", help="Rewrite system presets to the code's definitions.")

    def handle(self, *args: Any, reset: bool = False, **options: Any) -> None:
        report = seed_system_presets(reset=reset)
        for key, slugs in report.as_dict().items():
            if key == "differs" and not slugs:
                continue
            names = f" ({', '.join(slugs)})" if slugs else ""
            self.stdout.write(f"{key}: {len(slugs)}{names}")
        if report.differs:
            self.stdout.write("Stored values differ from the code for the presets above; run with --reset to rewrite.")
