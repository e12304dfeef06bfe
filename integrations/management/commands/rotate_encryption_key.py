"""Re-encrypt stored secrets under the current primary key. Run after promoting a new key (security.md 2)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.crypto import CryptoConfigError
from integrations.services.rotation import secrets_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every API key and webhook secret not yet under SENTIMATRIX_FIELD_KEY_PRIMARY. "
        "Resumable and idempotent: a second run changes nothing. Exit status 1 when some rows could not be decrypted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Decrypt and count, write nothing.")
        parser.add_argument("--batch", type=int, default=500, help="Rows read per query (default 500).")
        parser.add_argument(
            "--limit",
            type=int,
            default=None,
            help="Stop after re-encrypting this many rows (undecryptable rows do not count; resume later).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1")
        try:
            report = secrets_rotate(
                dry_run=options["dry_run"], batch_size=options["batch"], limit=options["limit"],
                progress=self.stdout.write,
            )  # fmt: skip
        except CryptoConfigError as exc:
            raise CommandError(f"The keyring is unusable: {exc}") from None
        for line in report.failed:
            self.stderr.write(f"cannot decrypt {line}")
        verb = "would rotate" if report.dry_run else "rotated"
        self.stdout.write(
            self.style.SUCCESS(
                f"primary={report.primary_key_id} checked={report.checked} {verb}={report.rotated} "
                f"conflicts={report.conflicts} failed={len(report.failed)}"
            )
        )
        if report.failed:
            raise CommandError(f"{len(report.failed)} stored secrets could not be decrypted (listed above)")
