"""Webhook event catalogue and the job.progress throttle."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType

__all__ = [
    "ALERT_SENTIMENT_DROP",
    "ANALYSIS_COMPLETED",
    "EVENT_DESCRIPTIONS",
    "EVENT_TYPES",
    "JOB_COMPLETED",
    "JOB_FAILED",
    "JOB_PROGRESS",
    "JOB_STARTED",
    "RESULTS_NEW",
    "SCHEDULE_TRIGGERED",
    "SUBSCRIBABLE_EVENT_TYPES",
    "TARGET_ERROR",
    "WEBHOOK_TEST",
    "ProgressThrottle",
    "should_emit",
]

JOB_STARTED = "job.started"
JOB_COMPLETED = "job.completed"
JOB_FAILED = "job.failed"
JOB_PROGRESS = "job.progress"
RESULTS_NEW = "results.new"
ANALYSIS_COMPLETED = "analysis.completed"
SCHEDULE_TRIGGERED = "schedule.triggered"
TARGET_ERROR = "target.error"
ALERT_SENTIMENT_DROP = "alert.sentiment_drop"
WEBHOOK_TEST = "webhook.test"

EVENT_DESCRIPTIONS: MappingProxyType[str, str] = MappingProxyType(
    {
        JOB_STARTED: "A scraping or analysis job has started running.",
        JOB_COMPLETED: "A job finished successfully.",
        JOB_FAILED: "A job stopped with an error and will not be retried.",
        JOB_PROGRESS: "A running job made progress (at most once per 10 % step or 30 s).",
        RESULTS_NEW: "New results were stored for a project.",
        ANALYSIS_COMPLETED: "Sentiment analysis finished for a batch of results.",
        SCHEDULE_TRIGGERED: "A scheduled run was started by its schedule.",
        TARGET_ERROR: "A scraping target could not be fetched or parsed.",
        ALERT_SENTIMENT_DROP: "Average sentiment fell below the project's alert threshold.",
        WEBHOOK_TEST: "A test event sent on request from the endpoint settings.",
    }
)
EVENT_TYPES: frozenset[str] = frozenset(EVENT_DESCRIPTIONS)
# webhook.test is sent to one endpoint on demand, so it is not something an endpoint subscribes to.
SUBSCRIBABLE_EVENT_TYPES: frozenset[str] = EVENT_TYPES - {WEBHOOK_TEST}


@dataclass(frozen=True)
class ProgressThrottle:
    """Decides whether a job.progress event is worth sending.

    Emit the first report, then whenever progress enters a new ``step_percent`` bucket (10 %, 20 %, ...),
    or when progress has moved at all and ``min_interval`` has passed since the last emitted report.
    Reports that do not move forward are never emitted (job.completed/job.failed cover the end).
    """

    step_percent: float = 10.0
    min_interval: timedelta = timedelta(seconds=30)

    def __post_init__(self) -> None:
        if not self.step_percent > 0:
            raise ValueError("step_percent must be positive")
        if self.min_interval <= timedelta(0):
            raise ValueError("min_interval must be positive")

    def should_emit(
        self,
        last_percent: float | None,
        last_at: datetime | None,
        percent: float,
        now: datetime,
    ) -> bool:
        """``last_percent``/``last_at`` describe the last EMITTED report (None if nothing was emitted yet)."""
        if math.isnan(percent):
            return False
        if last_percent is None or last_at is None:
            return True
        if percent <= last_percent:
            return False
        if math.floor(percent / self.step_percent) > math.floor(last_percent / self.step_percent):
            return True
        return now - last_at >= self.min_interval


_DEFAULT_THROTTLE = ProgressThrottle()


def should_emit(last_percent: float | None, last_at: datetime | None, percent: float, now: datetime) -> bool:
    """:meth:`ProgressThrottle.should_emit` with the default 10 % / 30 s policy."""
    return _DEFAULT_THROTTLE.should_emit(last_percent, last_at, percent, now)
