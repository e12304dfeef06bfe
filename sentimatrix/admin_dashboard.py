"""The support dashboard on the admin index: what needs attention, at a glance.

Counts of accounts, projects and targets; scrape and analysis jobs of the last 24 hours by status;
the latest failed jobs with their errors; webhooks that are failing or were disabled; targets in
error; the most recent audit events. Read-only, a handful of aggregation queries (each uses an
index or counts a small collection), and each section is shown only to staff who may view the
model behind it (the Support group may; see ``sentimatrix.ops.support``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.urls import NoReverseMatch, reverse

FAILED_JOB_STATUSES = ("failed", "partial")


def _naive_utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def _by_status(collection: str, query: dict[str, Any]) -> dict[str, int]:
    database = connection.database
    if collection not in database.list_collection_names():
        return {}
    rows = database[collection].aggregate([{"$match": query}, {"$group": {"_id": "$status", "n": {"$sum": 1}}}])
    return {str(row["_id"]): int(row["n"]) for row in rows}


def _admin_url(name: str, *args: Any) -> str | None:
    try:
        return reverse(f"admin:{name}", args=args)
    except NoReverseMatch:
        return None


@dataclass
class Dashboard:
    generated_at: dt.datetime
    counts: list[dict[str, Any]] = field(default_factory=list)
    jobs_24h: list[dict[str, Any]] = field(default_factory=list)
    failed_jobs: list[dict[str, Any]] = field(default_factory=list)
    failing_webhooks: list[dict[str, Any]] = field(default_factory=list)
    failed_deliveries_24h: int = 0
    error_targets: list[dict[str, Any]] = field(default_factory=list)
    error_targets_total: int = 0
    recent_audit: list[dict[str, Any]] = field(default_factory=list)
    emulated: bool = False


def build_dashboard(user: Any, *, now: dt.datetime | None = None, limit: int = 8) -> Dashboard:
    from sentimatrix.db.capabilities import is_emulated

    now = now or dt.datetime.now(dt.UTC)
    since = _naive_utc(now - dt.timedelta(hours=24))
    database = connection.database
    existing = set(database.list_collection_names())
    board = Dashboard(generated_at=now, emulated=is_emulated())

    def may(perm: str) -> bool:
        return bool(user.has_perm(perm))

    def count(collection: str, query: dict[str, Any] | None = None) -> int:
        return database[collection].count_documents(query or {}) if collection in existing else 0

    if may("accounts.view_user"):
        statuses = _by_status("users", {})
        board.counts.append({
            "label": "Accounts", "value": sum(statuses.values()), "url": _admin_url("accounts_user_changelist"),
            "detail": ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())),
        })  # fmt: skip
    if may("projects.view_project"):
        statuses = _by_status("projects", {})
        board.counts.append({
            "label": "Projects", "value": sum(statuses.values()), "url": _admin_url("projects_project_changelist"),
            "detail": ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())),
        })  # fmt: skip
    if may("projects.view_target"):
        board.error_targets_total = count("targets", {"status": {"$in": ["error", "blocked"]}})
        board.counts.append({
            "label": "Targets", "value": count("targets"), "url": _admin_url("projects_target_changelist"),
            "detail": f"{board.error_targets_total} in error or blocked",
        })  # fmt: skip
        for doc in (
            database["targets"].find({"status": {"$in": ["error", "blocked"]}}).sort("updated_at", -1).limit(limit)
            if "targets" in existing
            else []
        ):
            board.error_targets.append({
                "label": doc.get("label") or doc.get("url"), "platform": doc.get("platform"),
                "status": doc.get("status"), "error": (doc.get("error_message") or doc.get("last_error") or "")[:160],
                "url": _admin_url("projects_target_change", str(doc["_id"])),
            })  # fmt: skip
    if may("results.view_result"):
        board.counts.append({
            "label": "Results", "value": count("results"), "url": _admin_url("results_result_changelist"),
            "detail": f"{count('results', {'created_at': {'$gte': since}})} stored in the last 24 h",
        })  # fmt: skip

    for perm, collection, label, change in (
        ("scraping.view_scrapejob", "scrape_jobs", "Scrape jobs", "scraping_scrapejob_change"),
        ("results.view_analysisjob", "analysis_jobs", "Analysis jobs", "results_analysisjob_change"),
    ):
        if not may(perm):
            continue
        statuses = _by_status(collection, {"created_at": {"$gte": since}})
        board.jobs_24h.append({
            "label": label, "total": sum(statuses.values()),
            "statuses": sorted(statuses.items(), key=lambda item: (-item[1], item[0])),
            "failed": sum(n for s, n in statuses.items() if s in FAILED_JOB_STATUSES),
        })  # fmt: skip
        if collection in existing:
            for doc in (
                database[collection]
                .find({"status": {"$in": list(FAILED_JOB_STATUSES)}, "created_at": {"$gte": since}})
                .sort("created_at", -1)
                .limit(limit)
            ):
                board.failed_jobs.append({
                    "kind": label[:-1], "status": doc.get("status"), "at": doc.get("created_at"),
                    "error": (doc.get("error_message") or doc.get("error_code") or "")[:200],
                    "url": _admin_url(change, str(doc["_id"])),
                })  # fmt: skip
    board.failed_jobs.sort(key=lambda row: row["at"] or dt.datetime(1970, 1, 1), reverse=True)  # noqa: DTZ001

    if may("integrations.view_webhook"):
        query = {"$or": [{"consecutive_failures": {"$gt": 0}}, {"enabled": False}]}
        for doc in (
            database["webhooks"].find(query).sort("consecutive_failures", -1).limit(limit)
            if "webhooks" in existing
            else []
        ):
            board.failing_webhooks.append({
                "label": doc.get("label") or doc.get("url"), "failures": doc.get("consecutive_failures", 0),
                "enabled": doc.get("enabled", True),
                "reason": doc.get("disabled_reason") or "",
                "last": (doc.get("stats") or {}).get("last_delivery"),
                "url": _admin_url("integrations_webhook_change", str(doc["_id"])),
            })  # fmt: skip
        board.failed_deliveries_24h = count("webhook_deliveries", {"status": "failed", "created_at": {"$gte": since}})

    if may("audit.view_auditlog") and "audit_logs" in existing:
        users = {}
        rows = list(database["audit_logs"].find({}).sort("created_at", -1).limit(limit * 2))
        ids = [row["user_id"] for row in rows if row.get("user_id")]
        if ids:
            found = database["users"].find({"_id": {"$in": ids}}, {"email": 1})
            users = {doc["_id"]: doc.get("email") for doc in found}
        for row in rows:
            metadata = row.get("metadata") or {}
            board.recent_audit.append({
                "event": row.get("event_type"), "at": row.get("created_at"), "success": row.get("success", True),
                "who": users.get(row.get("user_id")) or metadata.get("actor") or "",
                "url": _admin_url("audit_auditlog_change", str(row["_id"])),
            })  # fmt: skip
    return board
