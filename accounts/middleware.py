"""Adds ``X-RateLimit-Limit``, ``-Remaining`` and ``-Reset`` (unix seconds) to API responses of
authenticated requests, from the window ``accounts.throttling.PlanRateThrottle`` left on the
request (also on 429 and 403 answers)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class RateLimitHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        window = getattr(request, "rate_limit", None)
        if window is not None:
            response["X-RateLimit-Limit"] = str(window.limit)
            response["X-RateLimit-Remaining"] = str(window.remaining)
            response["X-RateLimit-Reset"] = str(window.reset_at)
        return response
