"""Reads, scoped to the owner here so no view can forget the tenant filter (security.md 4.1)."""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from django.db.models import QuerySet

from integrations.models import ApiKey
from sentimatrix.api.errors import NotFoundError

__all__ = ["api_key_get", "api_key_list"]


def _oid(value: Any) -> ObjectId | None:
    try:
        return value if isinstance(value, ObjectId) else ObjectId(str(value))
    except (InvalidId, TypeError):
        return None


def api_key_list(*, user: Any, provider: str | None = None) -> QuerySet[ApiKey]:
    keys = ApiKey.objects.filter(user=user).order_by("-created_at")
    if provider:
        keys = keys.filter(provider=provider)
    return keys


def api_key_get(*, user: Any, api_key_id: Any) -> ApiKey:
    """The key if ``user`` owns it; 404 otherwise (another tenant's id looks exactly like a missing one)."""
    oid = _oid(api_key_id)
    api_key = ApiKey.objects.filter(pk=oid, user=user).first() if oid is not None else None
    if api_key is None:
        raise NotFoundError("No such API key.")
    return api_key
