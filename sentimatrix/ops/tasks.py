"""Celery beat's way into the housekeeping commands (``CELERY_BEAT_SCHEDULE`` in settings).

One task runs one management command from a fixed list, so a deployment can use beat instead of
cron without a second copy of any logic. The command writes its own audit record; a failure is
logged and re-raised so the worker reports it.
"""

from __future__ import annotations

import io
import logging

from celery import shared_task
from django.core.management import call_command

logger = logging.getLogger("sentimatrix.ops")

ALLOWED_COMMANDS = frozenset(
    {
        "cleanup_data",
        "backup_db",
        "ensure_indexes",
        "db_stats",
        "reset_monthly_usage",
        "run_due_schedules",
        "requeue_stuck_jobs",
    }  # fmt: skip
)


@shared_task(name="ops.run_command", ignore_result=True, acks_late=True)
def run_command(name: str, *args: str) -> str:
    if name not in ALLOWED_COMMANDS:
        raise ValueError(f"ops.run_command does not run {name!r}")
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(name, *args, stdout=out, stderr=err)
    finally:
        logger.info("ops.run_command %s %s\n%s%s", name, " ".join(args), out.getvalue(), err.getvalue())
    lines = out.getvalue().strip().splitlines()
    return lines[-1] if lines else ""
