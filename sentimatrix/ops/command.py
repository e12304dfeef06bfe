"""The base of every operations command: dry-run, progress lines, a summary line, audit, exit codes.

Every housekeeping command behaves the same way for the people who run it from cron:

- ``--dry-run`` (on commands that change data) reports what would change and changes nothing;
- long work prints a progress line at most every few seconds (``-v 0`` silences them);
- the last line is a one-line summary starting with the command's name;
- failure exits non-zero (``CommandError`` carries the code), success exits 0;
- what was changed is written to the audit log with actor "system" (``audit.services.record``
  with ``actor=None``), never on a dry run.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

# Exit codes: 1 = the command failed; 2 = usage errors (argparse's own); 3 = a check found problems.
EXIT_FAILED = 1
EXIT_CHECK_FAILED = 3


class Progress:
    """Prints ``<label>: <done>/<total> (<pct>%)`` at most every ``interval`` seconds, and at the end."""

    def __init__(self, write: Any, label: str, total: int | None = None, *, interval: float = 2.0) -> None:
        self.write = write
        self.label = label
        self.total = total
        self.interval = interval
        self.done = 0
        self._last = time.monotonic()

    def advance(self, amount: int = 1) -> None:
        self.done += amount
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            self.write(self._line())

    def finish(self) -> None:
        self.write(self._line())

    def _line(self) -> str:
        if self.total:
            return f"  {self.label}: {self.done}/{self.total} ({100 * self.done // max(self.total, 1)}%)"
        return f"  {self.label}: {self.done}"


class OpsCommand(BaseCommand):
    """Subclasses implement ``run(**options) -> str`` (the summary) and set ``audit_event``."""

    #: audit event type written after a run that changed something (None: read-only command)
    audit_event: str | None = None
    #: adds ``--dry-run``
    changes_data = False

    def add_arguments(self, parser: CommandParser) -> None:
        if self.changes_data:
            parser.add_argument(
                "--dry-run",
                action="store_true",
                help="report what would change, change nothing (no audit record either)",
            )
        self.add_command_arguments(parser)

    def add_command_arguments(self, parser: CommandParser) -> None:
        """Subclasses add their own options here."""

    # --- output helpers -----------------------------------------------------------------------
    def progress_line(self, message: str) -> None:
        if self.verbosity >= 1:
            # With --json, stdout carries only the JSON document.
            (self.stderr if getattr(self, "summary_to_stderr", False) else self.stdout).write(message)

    def progress(self, label: str, total: int | None = None) -> Progress:
        return Progress(self.progress_line, label, total)

    def warn(self, message: str) -> None:
        self.stderr.write(self.style.WARNING(message))

    # --- running ------------------------------------------------------------------------------
    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity = int(options.get("verbosity", 1))
        self.dry_run = bool(options.get("dry_run", False))
        self.changes: dict[str, Any] = {}
        #: set by ``run`` when this invocation only reads (a failed check is not an audit event)
        self.read_only_run = False
        #: machine-readable stdout (--json): the summary line goes to stderr instead
        self.summary_to_stderr = bool(options.get("json", False))
        started = time.monotonic()
        try:
            summary = self.run(**options)
        except CommandError as exc:
            self._audit(success=False, error=str(exc))
            raise
        except KeyboardInterrupt:
            # Cron or an operator stopped us: what was done so far is recorded, and re-running
            # continues from there (every command is written to be re-runnable).
            self._audit(success=False, error="interrupted")
            raise CommandError(
                f"{self.command_name()}: interrupted; re-run to continue", returncode=EXIT_FAILED
            ) from None
        except Exception as exc:  # noqa: BLE001 - cron needs one line and a non-zero code, not a traceback
            self._audit(success=False, error=f"{type(exc).__name__}: {exc}")
            raise CommandError(
                f"{self.command_name()} failed: {type(exc).__name__}: {exc}", returncode=EXIT_FAILED
            ) from exc
        elapsed = time.monotonic() - started
        self._audit(success=True)
        prefix = "[dry run] " if self.dry_run else ""
        line = f"{prefix}{self.command_name()}: {summary} ({elapsed:.1f}s)"
        (self.stderr if self.summary_to_stderr else self.stdout).write(self.style.SUCCESS(line))

    def run(self, **options: Any) -> str:
        raise NotImplementedError

    def command_name(self) -> str:
        return self.__module__.rsplit(".", 1)[-1]

    def record_changes(self, changes: Mapping[str, Any]) -> None:
        """What this run changed, for the audit record (call before returning from ``run``)."""
        self.changes.update(changes)

    def _audit(self, *, success: bool, error: str | None = None) -> None:
        if self.audit_event is None or self.dry_run or self.read_only_run:
            return
        if success and not self.changes:
            return  # nothing changed, nothing to record
        from audit.services import record

        metadata: dict[str, Any] = {"command": self.command_name(), **self.changes}
        if error:
            metadata["error"] = error[:500]
        try:
            record(event_type=self.audit_event, actor=None, success=success, metadata=metadata)
        except Exception as exc:  # noqa: BLE001 - e.g. the database is gone; the exit code still tells
            self.warn(f"could not write the audit record: {type(exc).__name__}: {exc}")
