"""Restore a backup written by backup_db, after verifying it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from sentimatrix.ops.archive import ArchiveError
from sentimatrix.ops.backup import plan_restore, restore
from sentimatrix.ops.command import OpsCommand


class Command(OpsCommand):
    help = (
        "Restore a backup directory written by backup_db. First every file is verified against "
        "manifest.json (SHA-256 and document count) and the backup's schema version (latest "
        "migration of every app) is compared with this code's migrations: a mismatch is refused "
        "unless --force (then run `migrate` afterwards). Restores into an empty database, or only "
        "the collections named with --collection; collections that already hold documents are "
        "refused unless --drop replaces them. --target-db restores into another database on the "
        "same server (restore drills). Indexes and validators are recreated from the manifest. "
        "--dry-run verifies and prints the plan without writing."
    )
    audit_event = "ops.backup_restored"
    changes_data = True

    def add_command_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", help="the backup directory (contains manifest.json)")
        parser.add_argument(
            "--collection", action="append", default=[], metavar="NAME", help="restore only this collection"
        )
        parser.add_argument("--drop", action="store_true", help="replace collections that already hold documents")
        parser.add_argument("--force", action="store_true", help="restore even if the schema version differs")
        parser.add_argument("--target-db", default=None, help="restore into this database name instead")
        parser.add_argument("--database", default="default", help="database alias (default: default)")

    def run(self, **options: Any) -> str:
        alias = options["database"]
        directory = Path(options["backup"])
        self.progress_line(f"verifying {directory}")
        try:
            plan = plan_restore(
                alias=alias,
                directory=directory,
                target_db=options["target_db"],
                collections=options["collection"] or None,
                verify=lambda name: self.progress_line(f"  {name}: checksum and count ok"),
            )
        except ArchiveError as exc:
            raise CommandError(f"backup rejected: {exc}", returncode=1) from exc
        manifest = plan.manifest
        self.progress_line(
            f"backup of {manifest.database} taken {manifest.created_at} with {manifest.tool}, "
            f"schema {manifest.schema_version}"
        )
        if plan.schema_problems:
            for line in plan.schema_problems:
                self.warn(f"  schema: {line}")
            if not options["force"]:
                raise CommandError(
                    "the backup's schema version differs from this code's migrations "
                    "(restore with a matching release, or --force and then run migrate)",
                    returncode=1,
                )
        if plan.non_empty and not options["drop"]:
            raise CommandError(
                f"target {plan.target.name} is not empty: {', '.join(plan.non_empty)} "
                "(restore into an empty database, pick collections with --collection, or --drop to replace)",
                returncode=1,
            )
        documents = sum(manifest.collections[name].count for name in plan.collections)
        if self.dry_run:
            for name in plan.collections:
                action = "replace" if name in plan.non_empty else "restore"
                self.progress_line(f"  would {action} {name}: {manifest.collections[name].count} documents")
            return f"would restore {len(plan.collections)} collections, {documents} documents into {plan.target.name}"
        try:
            written = restore(
                plan,
                alias=alias,
                drop=options["drop"],
                progress=lambda name, count: self.progress_line(f"  restored {name}: {count} documents"),
            )
        except ArchiveError as exc:
            raise CommandError(f"restore failed: {exc}", returncode=1) from exc
        self.record_changes(
            {
                "backup": str(directory),
                "target_db": plan.target.name,
                "collections": plan.collections,
                "documents": written,
                "dropped": bool(options["drop"]),
                "forced": bool(options["force"] and plan.schema_problems),
            }
        )
        return f"restored {len(plan.collections)} collections, {written} documents into {plan.target.name}"
