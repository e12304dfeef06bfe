"""Per-collection counts and sizes; index sizes, index usage and slow queries on a real server."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import connections

from sentimatrix.db.capabilities import is_emulated, supports_server_stats
from sentimatrix.ops.command import OpsCommand
from sentimatrix.ops.schema import collection_names
from sentimatrix.ops.stats import database_report, human_bytes, report_lines


class Command(OpsCommand):
    help = (
        "Report every collection's document count, data size, storage size and index sizes; on a "
        "real MongoDB server also each index's use since the server started ($indexStats, unused "
        "indexes are flagged) and the slowest profiled operations when profiling is on. On the "
        "emulated engine it reports counts and BSON data sizes and lists what it cannot measure. "
        "Read-only. --json prints the same report as JSON."
    )

    def add_command_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="machine-readable output")
        parser.add_argument(
            "--collection", action="append", default=[], metavar="NAME", help="only this collection (repeatable)"
        )
        parser.add_argument("--slow", type=int, default=10, help="how many slow queries to list (default 10)")
        parser.add_argument("--database", default="default", help="database alias (default: default)")

    def run(self, **options: Any) -> str:
        alias = options["database"]
        database = connections[alias].database
        existing = collection_names(database)
        names = options["collection"] or existing
        unknown = sorted(set(names) - set(existing))
        if unknown:
            raise CommandError(f"no such collection: {', '.join(unknown)}", returncode=2)
        report = database_report(
            database,
            names,
            server_stats=supports_server_stats(alias),
            engine="emulated" if is_emulated(alias) else "mongodb",
            slow=options["slow"],
        )
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2, default=str))
        else:
            for line in report_lines(report):
                self.stdout.write(line)
        documents = sum(stat.count for stat in report.collections)
        size = sum(stat.size_bytes or 0 for stat in report.collections)
        return f"{len(report.collections)} collections, {documents} documents, {human_bytes(size)} of data"
