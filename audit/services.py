"""``record``: the one way anything writes to the audit log.

Metadata is scrubbed before it is stored: values under keys that look like secrets are replaced,
and strings that look like keys or tokens are masked, so no password, token or key ever lands in
an audit record (ASVS 16.2.5).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from audit.models import AuditLog
from sentimatrix.api.middleware import current_client, current_request_id

logger = logging.getLogger("sentimatrix.audit")

SYSTEM = "system"
_SECRET_KEYS = re.compile(r"pass(word)?|secret|token|api[_-]?key|^key$|authorization|cookie|credential", re.I)
_SECRET_VALUES = re.compile(
    r"\b(sk-[A-Za-z0-9_-]{8,}|whsec_[A-Za-z0-9+/=]{8,}|gsk_[A-Za-z0-9]{8,}|eyJ[\w-]{10,}\.[\w-]+)"
)
REDACTED = "[redacted]"


def scrub(value: Any, *, depth: int = 0) -> Any:
    if depth > 6:
        return REDACTED
    if isinstance(value, Mapping):
        return {
            str(key): REDACTED if _SECRET_KEYS.search(str(key)) else scrub(item, depth=depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [scrub(item, depth=depth + 1) for item in value[:100]]
    if isinstance(value, str):
        return _SECRET_VALUES.sub(REDACTED, value)[:2000]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return str(value)[:200]


def record(
    *,
    event_type: str,
    actor: Any = None,
    user: Any = None,
    success: bool = True,
    metadata: Mapping[str, Any] | None = None,
    ip_address: str | None = None,
    user_agent: str | None = None,
) -> AuditLog:
    """Write one audit event.

    ``actor`` is who acted (a user, or None for the system); ``user`` the account the event is
    about when that differs (an admin suspending someone: actor=admin, user=the account). Where
    and how come from the current request unless given.
    """
    request_ip, request_agent = current_client()
    subject = user if user is not None else actor
    data = dict(scrub(dict(metadata or {})))
    if actor is None:
        data.setdefault("actor", SYSTEM)
    elif user is not None and getattr(actor, "pk", None) != getattr(user, "pk", None):
        data.setdefault("actor_id", str(actor.pk))
        data.setdefault("actor_email", getattr(actor, "email", ""))
    if (request_id := current_request_id()) is not None:
        data.setdefault("request_id", request_id)
    entry = AuditLog.objects.create(
        user=subject if getattr(subject, "pk", None) else None,
        event_type=event_type,
        ip_address=ip_address if ip_address is not None else request_ip,
        user_agent=(user_agent if user_agent is not None else request_agent)[:512],
        success=success,
        metadata=data,
    )
    logger.info("audit %s user=%s success=%s", event_type, getattr(subject, "pk", None), success)
    return entry
