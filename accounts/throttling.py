"""Per-user API throttling and the monthly API-call quota, applied to every authenticated request.

``PlanRateThrottle`` is DRF's default throttle class (settings). Per minute: at most the plan's
``api_calls_per_minute`` (Redis fixed window, atomic) or 429 with ``Retry-After``. Per month: the
call is counted on ``users.usage.api_calls_this_month`` with one conditional ``$inc``; over the
plan's ``api_calls_per_month`` the answer is 403 ``quota_exceeded``. The window is left on the
request so ``accounts.middleware`` can send ``X-RateLimit-*`` headers with the response.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from accounts import ratelimit
from accounts.plans import plan_limits

WINDOW_SECONDS = 60


class PlanRateThrottle(BaseThrottle):
    def __init__(self) -> None:
        self._wait: float | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated and getattr(user, "pk", None)):
            return True  # anonymous endpoints have their own limits (login lockout, reset mails)
        if settings.API_THROTTLE_ENABLED:
            limit = plan_limits(user.plan).api_calls_per_minute
            minute = int(time.time()) // WINDOW_SECONDS
            window = ratelimit.hit(f"api:{user.pk}:{minute}", limit=limit, window_seconds=WINDOW_SECONDS)
            if window is not None:
                request._request.rate_limit = window  # type: ignore[attr-defined]
                if not window.allowed:
                    self._wait = window.reset_seconds
                    return False
        if getattr(view, "api_quota_exempt", False):
            return True  # account endpoints (usage, password, logout) keep working over quota
        from accounts.quotas import quota_reserve

        quota_reserve(user=user, limit="api_calls_per_month")  # raises QuotaExceededError (403)
        return True

    def wait(self) -> float | None:
        return self._wait
