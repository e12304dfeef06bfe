from __future__ import annotations

from bson import ObjectId

from accounts.models import User


def user_get_active(*, user_id: str) -> User | None:
    if not ObjectId.is_valid(user_id):
        return None
    return User.objects.filter(pk=ObjectId(user_id), status=User.Status.ACTIVE).first()


def user_usage(*, user: User) -> dict:
    """Usage against the plan's limits, read fresh (counters change by ``$inc`` elsewhere)."""
    from accounts.plans import plan_limits
    from accounts.quotas import _users

    doc = _users().find_one({"_id": user.pk}, {"usage": 1, "plan": 1}) or {}
    usage = doc.get("usage") or {}
    limits = plan_limits(doc.get("plan") or user.plan)

    def counted(counter: str, limit: int | None) -> dict:
        used = int(usage.get(counter) or 0)
        return {"used": used, "limit": limit, "remaining": None if limit is None else max(0, limit - used)}

    last_reset = usage.get("last_reset_at")
    return {
        "plan": doc.get("plan") or user.plan,
        "last_reset_at": last_reset,
        "projects": counted("projects_count", limits.projects),
        "scrape_jobs_per_month": counted("scrapes_this_month", limits.scrape_jobs_per_month),
        "api_calls_per_month": counted("api_calls_this_month", limits.api_calls_per_month),
        "targets_per_project": limits.targets_per_project,
        "results_stored": limits.results_stored,
        "results_retention_days": limits.results_retention_days,
        "api_calls_per_minute": limits.api_calls_per_minute,
        "presets": list(limits.presets),
        "llm_providers": None if limits.llm_providers is None else list(limits.llm_providers),
    }
