"""Compare the declared indexes with the database's, and optionally make the database match."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import connections

from sentimatrix.ops.command import EXIT_CHECK_FAILED, OpsCommand
from sentimatrix.ops.schema import apply_action, index_drift, plan_actions


class Command(OpsCommand):
    help = (
        "Compare the indexes declared in the models and migrations (exactly what `migrate` creates: "
        "field indexes, uniques, Meta.indexes including TTL, sparse, text and partial ones) with "
        "the indexes in the database. Without options it prints the drift and exits 0. "
        "--check exits 3 when anything differs (for CI and monitoring). --apply creates missing "
        "indexes, recreates changed ones and drops undeclared ones (--keep-undeclared keeps "
        "them); combine with --dry-run to see the plan. The _id index is never touched."
    )
    audit_event = "ops.indexes_applied"
    changes_data = True

    def add_command_arguments(self, parser: CommandParser) -> None:
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--check", action="store_true", help="exit 3 if any index differs")
        mode.add_argument("--apply", action="store_true", help="make the database match the declarations")
        parser.add_argument(
            "--keep-undeclared", action="store_true", help="with --apply: do not drop indexes nobody declares"
        )
        parser.add_argument(
            "--collection", action="append", default=[], metavar="NAME", help="only this collection (repeatable)"
        )
        parser.add_argument("--json", action="store_true", help="print the drift as JSON")
        parser.add_argument("--database", default="default", help="database alias (default: default)")

    def run(self, **options: Any) -> str:
        alias = options["database"]
        self.read_only_run = not options["apply"]
        try:
            report = index_drift(alias, collections=options["collection"] or None)
        except ValueError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        lines = report.lines()
        checked = len(report.collections)
        as_json = options["json"]
        if not as_json:
            for line in lines:
                self.stdout.write(line)
            for name in report.unmanaged:
                self.progress_line(f"note: collection {name} is not managed by any model (left alone)")

        if options["apply"]:
            actions = plan_actions(report, drop_undeclared=not options["keep_undeclared"])
            database = connections[alias].database
            done: dict[str, list[str]] = {"created": [], "dropped": []}
            for action in actions:
                if not as_json:
                    self.stdout.write(("would " if self.dry_run else "") + action.describe())
                if not self.dry_run:
                    apply_action(database, action)
                    done["created" if action.verb == "create" else "dropped"].append(
                        f"{action.collection}.{action.spec.name}"
                    )
                    # Kept current after every index: a run that fails midway still audits what it changed.
                    self.record_changes(done)
            if as_json:
                self._write_json(report, lines, [a.describe() for a in actions])
            if report.pending:
                self.warn("models and migrations disagree; run makemigrations (not fixed by --apply)")
            verb = "would apply" if self.dry_run else "applied"
            return f"{checked} collections checked, {verb} {len(actions)} index changes"

        if as_json:
            self._write_json(report, lines, [])
        problems = sum(
            len(d.missing) + len(d.undeclared) + len(d.changed) + d.collection_missing for d in report.collections
        ) + len(report.pending)
        summary = f"{checked} collections checked, {problems} differences"
        if options["check"] and not report.clean:
            raise CommandError(f"ensure_indexes: {summary} (run with --apply to fix)", returncode=EXIT_CHECK_FAILED)
        return summary

    def _write_json(self, report: Any, lines: list[str], actions: list[str]) -> None:
        body = {"clean": report.clean, "drift": lines, "actions": actions, "unmanaged": report.unmanaged}
        self.stdout.write(json.dumps(body, indent=2))
