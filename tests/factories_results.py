"""Factories for results. Results are stored through ``results_ingest`` (the real write path);
``make_result`` writes one document directly with a chosen analysis, for analytics datasets."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId

from scraping.platforms.base import Review

_counter = itertools.count(1)


def review(text: str = "Works well.", **kwargs: Any) -> Review:
    n = next(_counter)
    kwargs.setdefault("platform", "steam")
    kwargs.setdefault("platform_id", f"rev-{n}")
    kwargs.setdefault("date", datetime(2026, 1, 1, 12, tzinfo=UTC))
    return Review(text=text, **kwargs)


def make_result(
    *,
    target: Any,
    text: str = "A review.",
    label: str | None = "positive",
    score: float = 0.5,
    date: datetime | None = None,
    created_at: datetime | None = None,
    rating: float | None = None,
    platform: str | None = None,
    language: str = "en",
    emotion: str | None = None,
    emotion_score: float = 0.8,
    override: str | None = None,
    status: str = "done",
    scrape_job_id: ObjectId | None = None,
) -> ObjectId:
    """Insert one analyzed result document as the analysis run would have written it."""
    from results.selectors import results_collection

    now = created_at or datetime(2026, 1, 1, tzinfo=UTC)
    sentiment = None
    if label is not None:
        scores = dict.fromkeys(("very_positive", "positive", "neutral", "negative", "very_negative"), 0.0)
        scores[label] = 1.0
        sentiment = {
            "label": label, "score": score, "confidence": 0.9, "scores": scores,
            "analyzer": "test", "analyzed_at": now,
        }  # fmt: skip
    emotions = None
    if emotion is not None:
        emotions = {
            "model": "ekman", "primary": emotion, "primary_score": emotion_score,
            "detected": [{"emotion": emotion, "score": emotion_score}], "analyzer": "test", "analyzed_at": now,
        }  # fmt: skip
    doc = {
        "user_id": target.user_id,
        "project_id": target.project_id,
        "target_id": target.pk,
        "scrape_job_id": scrape_job_id,
        "content": {
            "text": text,
            "title": "",
            "author": "someone",
            "rating": rating,
            "rating_scale": None,
            "date": date,
            "url": "",
            "platform_id": f"pid-{next(_counter)}",
        },  # fmt: skip
        "analysis": {"sentiment": sentiment, "emotions": emotions, "summary": None, "insights": None},
        "analysis_provenance": {"sentiment": None, "emotions": None, "summary": None, "insights": None},
        "label_override": (
            {"label": override, "previous_label": label, "by": target.user_id, "at": now, "note": ""}
            if override
            else None
        ),
        "analysis_status": status,
        "analysis_job_id": None,
        "analysis_error": None,
        "platform": platform or target.platform,
        "language": language,
        "word_count": len(text.split()),
        "created_at": now,
        "updated_at": now,
    }
    return results_collection().insert_one(doc).inserted_id
