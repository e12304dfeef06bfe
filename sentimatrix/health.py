"""Liveness and readiness. No auth: load balancers and orchestrators call these."""

from __future__ import annotations

import time

import redis
from django.conf import settings
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET


@require_GET
def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def check_database() -> str | None:
    try:
        connections["default"].database.command("ping")
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"; say which part
        return f"{type(exc).__name__}: {exc}"[:200]
    return None


def check_redis() -> str | None:
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"[:200]
    return None


@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    checks = {}
    failing = []
    for name, check in (("database", check_database), ("redis", check_redis)):
        started = time.perf_counter()
        error = check()
        checks[name] = {"ok": error is None, "ms": round((time.perf_counter() - started) * 1000, 1)}
        if error:
            checks[name]["error"] = error
            failing.append(name)
    if failing:
        return JsonResponse({"status": "unavailable", "failing": failing, "checks": checks}, status=503)
    return JsonResponse({"status": "ok", "checks": checks})
