"""Analytics over results: one aggregation pipeline per view, always starting from a tenant filter.

Every function takes the ``$match`` document built by ``ResultFilter.to_mongo`` (so analytics
honour the list filters) and returns plain JSON-ready dicts. Labels are the effective labels: a
human correction counts instead of the model's label. Timelines bucket by the review's own date
(``content.date``; the scrape time when a platform gave none) in the caller's time zone with
``$dateTrunc``; weeks start on Monday (ISO 8601).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from results.models import SENTIMENT_LABELS
from results.selectors import EFFECTIVE_LABEL, jobs_collection, projects_collection, results_collection

BUCKETS = ("hour", "day", "week", "month")
REVIEW_DATE = {"$ifNull": ["$content.date", "$created_at"]}


def _round(value: Any, digits: int = 4) -> float | None:
    return round(float(value), digits) if value is not None else None


def _label_counts() -> dict[str, Any]:
    return {label: {"$sum": {"$cond": [{"$eq": [EFFECTIVE_LABEL, label]}, 1, 0]}} for label in SENTIMENT_LABELS}


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def summary(match: Mapping[str, Any]) -> dict[str, Any]:
    """Total, sentiment distribution, average score and rating, platforms, languages, date range."""
    pipeline = [
        {"$match": dict(match)},
        {
            "$facet": {
                "totals": [
                    {
                        "$group": {
                            "_id": None,
                            "total": {"$sum": 1},
                            **_label_counts(),
                            "avg_score": {"$avg": "$analysis.sentiment.score"},
                            "avg_rating": {"$avg": "$content.rating"},
                            "first": {"$min": "$content.date"},
                            "last": {"$max": "$content.date"},
                            "overrides": {"$sum": {"$cond": [{"$ifNull": ["$label_override", False]}, 1, 0]}},
                        }
                    }
                ],
                "platforms": [
                    {"$group": {"_id": "$platform", "count": {"$sum": 1}}},
                    {"$sort": {"count": -1, "_id": 1}},
                ],
                "languages": [
                    {"$group": {"_id": "$language", "count": {"$sum": 1}}},
                    {"$sort": {"count": -1, "_id": 1}},
                ],
            }
        },
    ]
    row = next(iter(results_collection().aggregate(pipeline)), {})
    totals = (row.get("totals") or [{}])[0]
    total = int(totals.get("total", 0))
    distribution = {label: int(totals.get(label, 0)) for label in SENTIMENT_LABELS}
    return {
        "total": total,
        "sentiment_distribution": distribution,
        "sentiment_share": {label: _round(count / total) if total else 0.0 for label, count in distribution.items()},
        "average_score": _round(totals.get("avg_score")),
        "average_rating": _round(totals.get("avg_rating")),
        "overrides": int(totals.get("overrides", 0)),
        "platforms": {str(p["_id"]): int(p["count"]) for p in row.get("platforms", [])},
        "languages": {str(p["_id"] or "unknown"): int(p["count"]) for p in row.get("languages", [])},
        "date_range": {"first": _iso(totals.get("first")), "last": _iso(totals.get("last"))},
    }


def _bucket_label(start_utc: datetime, bucket: str, tz: ZoneInfo) -> str:
    if start_utc.tzinfo is None:
        start_utc = start_utc.replace(tzinfo=UTC)
    local = start_utc.astimezone(tz)
    if bucket == "hour":
        return local.strftime("%Y-%m-%dT%H:00")
    if bucket == "month":
        return local.strftime("%Y-%m")
    return local.strftime("%Y-%m-%d")


def timeline(match: Mapping[str, Any], *, bucket: str, tz: ZoneInfo) -> list[dict[str, Any]]:
    """Per bucket (local to ``tz``): count, average score and share of each label, oldest first."""
    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {BUCKETS}")
    trunc: dict[str, Any] = {"date": REVIEW_DATE, "unit": bucket, "timezone": tz.key}
    if bucket == "week":
        trunc["startOfWeek"] = "monday"
    pipeline = [
        {"$match": dict(match)},
        {"$group": {
            "_id": {"$dateTrunc": trunc},
            "count": {"$sum": 1},
            "avg_score": {"$avg": "$analysis.sentiment.score"},
            **_label_counts(),
        }},
        {"$sort": {"_id": 1}},
    ]  # fmt: skip
    points = []
    for row in results_collection().aggregate(pipeline):
        if row["_id"] is None:
            continue
        count = int(row["count"])
        points.append(
            {
                "bucket": _bucket_label(row["_id"], bucket, tz),
                "start": _iso(row["_id"]),
                "count": count,
                "average_score": _round(row.get("avg_score")),
                "counts": {label: int(row.get(label, 0)) for label in SENTIMENT_LABELS},
                "share": {label: _round(int(row.get(label, 0)) / count) for label in SENTIMENT_LABELS},
            }
        )
    return points


def emotions(match: Mapping[str, Any], *, top: int = 10) -> list[dict[str, Any]]:
    """Primary emotions, most frequent first: count, share, average emotion score and sentiment score."""
    pipeline = [
        {"$match": {**dict(match), "analysis.emotions.primary": {"$type": "string"}}}
        if "$and" not in match
        else {"$match": {"$and": [dict(match), {"analysis.emotions.primary": {"$type": "string"}}]}},
        {"$group": {
            "_id": "$analysis.emotions.primary",
            "count": {"$sum": 1},
            "avg_emotion_score": {"$avg": "$analysis.emotions.primary_score"},
            "avg_sentiment": {"$avg": "$analysis.sentiment.score"},
        }},
        {"$sort": {"count": -1, "_id": 1}},
    ]  # fmt: skip
    rows = list(results_collection().aggregate(pipeline))
    total = sum(int(r["count"]) for r in rows)
    return [
        {
            "emotion": r["_id"],
            "count": int(r["count"]),
            "share": _round(int(r["count"]) / total) if total else 0.0,
            "average_score": _round(r.get("avg_emotion_score")),
            "average_sentiment": _round(r.get("avg_sentiment")),
        }
        for r in rows[:top]
    ]


def _grouped(match: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    pipeline = [
        {"$match": dict(match)},
        {"$group": {
            "_id": f"${key}",
            "count": {"$sum": 1},
            "avg_score": {"$avg": "$analysis.sentiment.score"},
            "avg_rating": {"$avg": "$content.rating"},
            "last_date": {"$max": "$content.date"},
            **_label_counts(),
        }},
        {"$sort": {"count": -1, "_id": 1}},
    ]  # fmt: skip
    return [
        {
            "key": row["_id"],
            "count": int(row["count"]),
            "average_score": _round(row.get("avg_score")),
            "average_rating": _round(row.get("avg_rating")),
            "last_date": _iso(row.get("last_date")),
            "sentiment_distribution": {label: int(row.get(label, 0)) for label in SENTIMENT_LABELS},
        }
        for row in results_collection().aggregate(pipeline)
    ]


def per_target(match: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = _grouped(match, "target_id")
    for row in rows:
        row["target_id"] = str(row.pop("key"))
    return rows


def per_platform(match: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = _grouped(match, "platform")
    for row in rows:
        row["platform"] = row.pop("key")
    return rows


def topics(match: Mapping[str, Any], *, top: int = 10) -> dict[str, list[dict[str, Any]]]:
    """Top insight topics (mentions and mean topic sentiment) and the most frequent pros and cons."""

    def unwind(path: str, group: dict[str, Any]) -> list[dict[str, Any]]:
        pipeline = [
            {"$match": dict(match)},
            {"$unwind": f"${path}"},
            {"$group": group},
            {"$sort": {"count": -1, "_id": 1}},
            {"$limit": top},
        ]
        return list(results_collection().aggregate(pipeline))

    topic_rows = unwind(
        "analysis.insights.topics",
        {"_id": "$analysis.insights.topics.topic", "count": {"$sum": 1},
         "sentiment": {"$avg": "$analysis.insights.topics.sentiment"}},
    )  # fmt: skip
    pros = unwind("analysis.insights.pros", {"_id": "$analysis.insights.pros", "count": {"$sum": 1}})
    cons = unwind("analysis.insights.cons", {"_id": "$analysis.insights.cons", "count": {"$sum": 1}})
    return {
        "topics": [
            {"topic": r["_id"], "mentions": int(r["count"]), "sentiment": _round(r["sentiment"])} for r in topic_rows
        ],
        "pros": [{"phrase": r["_id"], "count": int(r["count"])} for r in pros],
        "cons": [{"phrase": r["_id"], "count": int(r["count"])} for r in cons],
    }


def dashboard(*, user: Any, now: datetime | None = None) -> dict[str, Any]:
    """Across the user's projects: counts, results of the last 7 days, jobs of the last 24 h, recent jobs."""
    now = now or datetime.now(UTC)
    projects = list(
        projects_collection().find({"user_id": user.pk}, {"name": 1, "status": 1, "stats": 1}).sort("_id", -1)
    )
    results = results_collection()
    week_ago = now - timedelta(days=7)
    day_ago = now - timedelta(hours=24)
    by_project = {
        row["_id"]: row
        for row in results.aggregate(
            [
                {"$match": {"user_id": user.pk}},
                {
                    "$group": {
                        "_id": "$project_id",
                        "total": {"$sum": 1},
                        # naive UTC: pymongo encodes it the same, and the emulator cannot compare aware
                        # datetimes inside expressions
                        "last_7_days": {
                            "$sum": {"$cond": [{"$gte": ["$created_at", week_ago.replace(tzinfo=None)]}, 1, 0]}
                        },
                        "avg_score": {"$avg": "$analysis.sentiment.score"},
                        **_label_counts(),
                    }
                },
            ]  # fmt: skip
        )
    }
    analysis_jobs = list(jobs_collection().find({"user_id": user.pk}).sort("created_at", -1).limit(10))
    scrape_jobs_24h = _scrape_jobs_since(user, day_ago)
    recent = [
        {
            "kind": "analysis",
            "id": str(job["_id"]),
            "project_id": str(job["project_id"]),
            "status": job.get("status"),
            "analyzed": int(job.get("analyzed", 0)),
            "created_at": _iso(job.get("created_at")),
        }
        for job in analysis_jobs
    ]
    total = sum(int(row["total"]) for row in by_project.values())
    distribution = {label: sum(int(row.get(label, 0)) for row in by_project.values()) for label in SENTIMENT_LABELS}
    return {
        "projects": len(projects),
        "active_projects": sum(1 for p in projects if p.get("status") == "active"),
        "total_results": total,
        "results_last_7_days": sum(int(row["last_7_days"]) for row in by_project.values()),
        "sentiment_distribution": distribution,
        "analysis_jobs_last_24h": jobs_collection().count_documents(
            {"user_id": user.pk, "created_at": {"$gte": day_ago}}
        ),
        "scrape_jobs_last_24h": scrape_jobs_24h,
        "per_project": [
            {
                "project_id": str(p["_id"]),
                "name": p.get("name", ""),
                "status": p.get("status"),
                "total_results": int(by_project.get(p["_id"], {}).get("total", 0)),
                "results_last_7_days": int(by_project.get(p["_id"], {}).get("last_7_days", 0)),
                "average_score": _round(by_project.get(p["_id"], {}).get("avg_score")),
            }
            for p in projects
        ],
        "recent_activity": recent,
    }


def _scrape_jobs_since(user: Any, since: datetime) -> int:
    from django.db import connection

    return connection.database["scrape_jobs"].count_documents({"user_id": user.pk, "created_at": {"$gte": since}})
