"""``alert.sentiment_drop``: record each job's sentiment sample, evaluate the project's rule against the
trailing baseline, and fire at most once per job (unique indexes on samples and alerts).

Callers: the results app after an analysis job completes, with ``alert_evaluate_analysis_job`` (computes the
numbers from the job's results) or ``alert_record_job_sentiment`` (numbers supplied). Call it for EVERY
completed job, not only suspicious ones: the baseline is built from these samples.
"""

from __future__ import annotations

import logging
from typing import Any

from bson import ObjectId
from django.conf import settings
from django.db import IntegrityError, connection
from rest_framework.exceptions import ValidationError

from audit.services import record
from integrations.alerts import DropRule, JobSample, evaluate_sentiment_drop
from integrations.models import Alert, AlertRule, JobSentimentSample
from integrations.webhooks.events import ALERT_SENTIMENT_DROP

__all__ = [
    "alert_evaluate_analysis_job",
    "alert_record_job_sentiment",
    "alert_rule_set",
    "alert_sentiment_drop",
    "default_rule",
]

logger = logging.getLogger("sentimatrix.integrations.alerts")
NEGATIVE_LABELS = ("negative", "very_negative")


def default_rule() -> DropRule:
    return DropRule(
        threshold_sigma=settings.ALERT_SENTIMENT_DROP_THRESHOLD_SIGMA,
        window_jobs=settings.ALERT_SENTIMENT_DROP_WINDOW_JOBS,
        min_sample=settings.ALERT_SENTIMENT_DROP_MIN_SAMPLE,
    )


def _rule_for(project: Any) -> DropRule | None:
    rule = AlertRule.objects.filter(project=project).first()
    if rule is None or not rule.enabled:
        return None
    return DropRule(
        metric=rule.metric, threshold_sigma=rule.threshold_sigma, window_jobs=rule.window_jobs,
        min_sample=rule.min_sample,
    )  # fmt: skip


def alert_rule_set(
    *, actor: Any, project: Any, enabled: bool, metric: str = "negative_share", threshold_sigma: float | None = None,
    window_jobs: int | None = None, min_sample: int | None = None,
) -> AlertRule:  # fmt: skip
    defaults = default_rule()
    values = {
        "user": project.user,
        "enabled": enabled,
        "metric": metric,
        "threshold_sigma": threshold_sigma if threshold_sigma is not None else defaults.threshold_sigma,
        "window_jobs": window_jobs if window_jobs is not None else defaults.window_jobs,
        "min_sample": min_sample if min_sample is not None else defaults.min_sample,
    }
    if metric not in AlertRule.Metric.values:
        raise ValidationError({"metric": [f"Choose one of {AlertRule.Metric.values}."]})
    rule, _ = AlertRule.objects.update_or_create(project=project, defaults=values)
    record(
        event_type="alert_rule.updated",
        actor=actor,
        metadata={"project_id": str(project.pk), **{k: v for k, v in values.items() if k != "user"}},
    )
    return rule


def alert_record_job_sentiment(
    *, project: Any, job_id: Any, negative_share: float, avg_score: float | None, sample_size: int
) -> Alert | None:
    """Store the job's sample and fire ``alert.sentiment_drop`` if the project's rule says so.

    Idempotent per job: a second call for the same job returns the alert it fired (or None) and emits nothing.
    """
    job_key = str(job_id)
    try:
        JobSentimentSample.objects.create(
            project=project, user_id=project.user_id, job_id=job_key, negative_share=float(negative_share),
            avg_score=None if avg_score is None else float(avg_score), sample_size=int(sample_size),
        )  # fmt: skip
    except IntegrityError:  # already evaluated
        return Alert.objects.filter(project=project, type=ALERT_SENTIMENT_DROP, job_id=job_key).first()
    rule = _rule_for(project)
    if rule is None:
        return None
    history = [
        JobSample(s.negative_share, s.avg_score, s.sample_size)
        for s in JobSentimentSample.objects.filter(project=project)
        .exclude(job_id=job_key)
        .order_by("-created_at")[: rule.window_jobs * 3]
    ]
    decision = evaluate_sentiment_drop(JobSample(float(negative_share), avg_score, int(sample_size)), history, rule)
    if not decision.fire:
        return None
    data = {
        "project_id": str(project.pk),
        "job_id": job_key,
        "metric": decision.metric,
        "value": round(decision.value or 0.0, 4),
        "baseline_mean": round(decision.baseline_mean or 0.0, 4),
        "baseline_std": round(decision.baseline_std or 0.0, 4),
        "deviation_sigma": round(decision.deviation_sigma or 0.0, 2),
        "threshold_sigma": rule.threshold_sigma,
        "baseline_jobs": decision.baseline_jobs,
        "sample_size": int(sample_size),
        "negative_share": round(float(negative_share), 4),
        "avg_score": None if avg_score is None else round(float(avg_score), 4),
    }
    try:
        alert = Alert.objects.create(
            project=project, user_id=project.user_id, type=ALERT_SENTIMENT_DROP, job_id=job_key, data=data
        )
    except IntegrityError:
        return Alert.objects.filter(project=project, type=ALERT_SENTIMENT_DROP, job_id=job_key).first()
    record(event_type="alert.sentiment_drop", actor=None, user=project.user, success=True, metadata=data)
    from integrations.services.webhooks import events_emit

    events_emit(event_type=ALERT_SENTIMENT_DROP, user=project.user_id, project=project, data=data)
    return alert


def alert_evaluate_analysis_job(*, project: Any, analysis_job_id: Any) -> Alert | None:
    """Compute the sample from the analysis job's results (``results`` collection) and evaluate it."""
    job_oid = analysis_job_id if isinstance(analysis_job_id, ObjectId) else ObjectId(str(analysis_job_id))
    rows = list(
        connection.get_collection("results").aggregate(
            [
                {"$match": {"analysis_job_id": job_oid, "analysis.sentiment.label": {"$ne": None}}},
                {
                    "$group": {
                        "_id": None,
                        "n": {"$sum": 1},
                        "neg": {
                            "$sum": {"$cond": [{"$in": ["$analysis.sentiment.label", list(NEGATIVE_LABELS)]}, 1, 0]}
                        },
                        "avg": {"$avg": "$analysis.sentiment.score"},
                    }
                },
            ]
        )
    )
    if not rows or not rows[0].get("n"):
        return None
    n = int(rows[0]["n"])
    return alert_record_job_sentiment(
        project=project, job_id=job_oid, negative_share=rows[0]["neg"] / n, avg_score=rows[0].get("avg"), sample_size=n
    )


def alert_sentiment_drop(*, user: Any, project: Any, data: dict[str, Any]) -> Alert | None:
    """Adapter for callers that hand over a job's numbers as a dict (``analysis_job_id`` or ``job_id`` plus
    ``negative_share``/``avg_score``/``results``). Never raises into the caller."""
    try:
        job_id = data.get("analysis_job_id") or data.get("job_id")
        if job_id is None:
            return None
        if "negative_share" in data:
            return alert_record_job_sentiment(
                project=project, job_id=job_id, negative_share=data["negative_share"],
                avg_score=data.get("avg_score", data.get("current_avg_sentiment")),
                sample_size=int(data.get("results") or data.get("sample_size") or 0),
            )  # fmt: skip
        return alert_evaluate_analysis_job(project=project, analysis_job_id=job_id)
    except Exception:
        logger.exception("alert_sentiment_drop failed")
        return None
