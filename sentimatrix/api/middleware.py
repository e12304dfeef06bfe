"""Request ids: accepted from ``X-Request-ID`` (when sane), generated otherwise, echoed back and
put on every log line and error envelope of the request."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
# Where the current request comes from, for audit records written deep inside services.
_client: contextvars.ContextVar[tuple[str | None, str]] = contextvars.ContextVar("client", default=(None, ""))
# Client-supplied ids end up in logs: accept only short, harmless ones (log-injection guard).
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def current_request_id() -> str | None:
    return _request_id.get()


def current_client() -> tuple[str | None, str]:
    """(ip address, user agent) of the request being served, or (None, "") outside one."""
    return _client.get()


def client_ip(request: HttpRequest) -> str | None:
    # Behind a proxy the client address is the first X-Forwarded-For hop, but only when the
    # deployment says the proxy sets it (ASVS 4.1.3: clients must not be able to spoof it).
    if getattr(settings, "TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()[:64] or None
    return request.META.get("REMOTE_ADDR") or None


class RequestIdMiddleware:
    header = "X-Request-ID"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        supplied = request.headers.get(self.header, "")
        request_id = supplied if _SAFE_ID.match(supplied) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = _request_id.set(request_id)
        client_token = _client.set((client_ip(request), request.headers.get("User-Agent", "")[:512]))
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
            _client.reset(client_token)
        response[self.header] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True
