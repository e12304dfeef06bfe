"""Back up the database: mongodump when installed (real server), else the portable format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.db import connections

from sentimatrix.ops.archive import ArchiveError
from sentimatrix.ops.backup import backup, backup_directory, prune_backups, tool_choice
from sentimatrix.ops.command import OpsCommand
from sentimatrix.ops.stats import human_bytes


class Command(OpsCommand):
    help = (
        "Back up every collection into a new directory under --output (default $BACKUP_DIR): "
        "with mongodump when it is installed and MONGODB_URI is a real server, otherwise as one "
        "gzipped BSON file per collection. Either way manifest.json records document counts, "
        "SHA-256 checksums, indexes, collection validators and the schema version (the latest "
        "applied migration of every app), which restore_db verifies. The directory appears only "
        "when the backup is complete. --keep N deletes all but the newest N backups afterwards."
    )
    audit_event = "ops.backup_created"
    changes_data = True

    def add_command_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", default=None, help="directory for backups (default: $BACKUP_DIR)")
        parser.add_argument(
            "--tool", choices=["auto", "mongodump", "portable"], default="auto", help="default auto: see above"
        )
        parser.add_argument(
            "--exclude", action="append", default=[], metavar="COLLECTION", help="leave this collection out"
        )
        parser.add_argument("--keep", type=int, default=0, help="keep only the newest N backups (0: keep all)")
        parser.add_argument("--database", default="default", help="database alias (default: default)")

    def run(self, **options: Any) -> str:
        alias = options["database"]
        output = Path(options["output"] or settings.BACKUP_DIR)
        database = connections[alias].database
        try:
            tool = tool_choice(options["tool"], alias)
        except ArchiveError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        if self.dry_run:
            from datetime import UTC, datetime

            names = sorted(n for n in database.list_collection_names() if not n.startswith("system."))
            names = [n for n in names if n not in options["exclude"]]
            for name in names:
                self.progress_line(f"  would back up {name}: {database[name].estimated_document_count()} documents")
            target = backup_directory(output, database.name, datetime.now(UTC))
            doomed = prune_backups(output, database.name, options["keep"], dry_run=True) if output.exists() else []
            for path in doomed:
                self.progress_line(f"  would delete old backup {path.name}")
            return f"would write {len(names)} collections with {tool} to {target}"

        output.mkdir(parents=True, exist_ok=True)
        self.progress_line(f"backing up {database.name} with {tool} into {output}")
        try:
            result = backup(
                alias=alias,
                output=output,
                tool=tool,
                exclude=tuple(options["exclude"]),
                progress=lambda name, count: self.progress_line(f"  {name}: {count} documents"),
            )
        except ArchiveError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        size = sum(path.stat().st_size for path in result.directory.iterdir())
        pruned = prune_backups(output, database.name, options["keep"])
        for path in pruned:
            self.progress_line(f"  deleted old backup {path.name}")
        self.record_changes(
            {
                "directory": str(result.directory),
                "tool": tool,
                "collections": len(result.manifest.collections),
                "documents": result.documents,
                "schema_version": result.manifest.schema_version,
                "pruned": [path.name for path in pruned],
            }
        )
        return (
            f"{len(result.manifest.collections)} collections, {result.documents} documents, "
            f"{human_bytes(size)} in {result.directory} (schema {result.manifest.schema_version})"
        )
