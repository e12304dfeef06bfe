"""Usage counters and plan limits.

Counters on ``users.usage`` change only through ``$inc`` in a single conditional update, so two
concurrent requests can never both take the last unit of a quota (no read-modify-write).
"""

from __future__ import annotations

from typing import Any

from django.db import connections

from accounts.models import User
from accounts.plans import PlanLimits, plan_limits
from sentimatrix.api.errors import QuotaExceededError

COUNTERS = ("projects_count", "scrapes_this_month", "api_calls_this_month")

# limit name (as reported to the caller) -> (usage counter, PlanLimits attribute)
LIMITS: dict[str, tuple[str | None, str]] = {
    "projects": ("projects_count", "projects"),
    "scrape_jobs_per_month": ("scrapes_this_month", "scrape_jobs_per_month"),
    "api_calls_per_month": ("api_calls_this_month", "api_calls_per_month"),
    "targets_per_project": (None, "targets_per_project"),
    "results_stored": (None, "results_stored"),
}


def _users() -> Any:
    return connections["default"].get_collection(User._meta.db_table)


def limits_for(user: User) -> PlanLimits:
    return plan_limits(user.plan)


def _exceeded(user: User, limit: str, value: int, used: int | None) -> QuotaExceededError:
    from audit.services import record

    record(event_type="quota.exceeded", actor=user, success=False, metadata={"limit": limit, "value": value})
    return QuotaExceededError(limit=limit, value=value, used=used)


def quota_reserve(*, user: User, limit: str, amount: int = 1) -> None:
    """Take ``amount`` units of a counted quota, or raise ``QuotaExceededError`` (403).

    One ``update_one`` whose filter requires room left: atomic against concurrent callers.
    """
    counter, attribute = LIMITS[limit]
    if counter is None:
        raise ValueError(f"{limit} is not a counted quota; use quota_check")
    value = getattr(limits_for(user), attribute)
    path = f"usage.{counter}"
    query: dict[str, Any] = {"_id": user.pk}
    if value is not None:
        query[path] = {"$lte": value - amount}
    result = _users().update_one(query, {"$inc": {path: amount}})
    if result.matched_count == 0:
        current = _users().find_one({"_id": user.pk}, {path: 1}) or {}
        raise _exceeded(user, limit, value, (current.get("usage") or {}).get(counter))
    setattr(user.usage, counter, getattr(user.usage, counter, 0) + amount)


def quota_release(*, user: User, limit: str, amount: int = 1) -> None:
    """Give units back (a project deleted); never below zero."""
    counter, _ = LIMITS[limit]
    if counter is None:
        return
    path = f"usage.{counter}"
    _users().update_one({"_id": user.pk, path: {"$gte": amount}}, {"$inc": {path: -amount}})


def quota_check(*, user: User, limit: str, used: int, adding: int = 1) -> None:
    """For limits measured by counting documents (targets per project, results stored)."""
    _, attribute = LIMITS[limit]
    value = getattr(limits_for(user), attribute)
    if value is not None and used + adding > value:
        raise _exceeded(user, limit, value, used)


def usage_increment(*, user_id: Any, counter: str, amount: int = 1) -> None:
    """Count something without a limit check (API calls are limited by the throttle)."""
    if counter not in COUNTERS:
        raise ValueError(f"unknown usage counter {counter}")
    _users().update_one({"_id": user_id}, {"$inc": {f"usage.{counter}": amount}})
