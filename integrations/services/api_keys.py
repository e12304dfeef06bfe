"""Writes for stored provider keys. The plaintext enters in ``api_key_create`` and leaves only through
``api_key_secret_for`` (worker side) and the key check; it is never returned, logged or audited."""

from __future__ import annotations

import logging
from typing import Any

from bson import ObjectId
from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from audit.services import record
from integrations.crypto import DecryptionError, mask_key
from integrations.keycheck import KeyCheck, check_key
from integrations.keys import decrypt_field, encrypt_field, field_fingerprint
from integrations.models import ApiKey
from integrations.providers import catalogue, is_key_provider, provider_base_url
from sentimatrix.api.errors import ConflictError, ServiceUnavailableError

__all__ = [
    "API_KEYS_MAX_PER_USER",
    "api_key_create",
    "api_key_decrypt",
    "api_key_delete",
    "api_key_mark_invalid",
    "api_key_rename",
    "api_key_secret_for",
    "api_key_validate",
]

logger = logging.getLogger("sentimatrix.integrations")

API_KEYS_MAX_PER_USER = 50  # a few keys per provider is plenty; the cap stops a script filling the collection
COLLECTION = ApiKey._meta.db_table
FIELD = "encrypted_key"


def _user_id(user: Any) -> Any:
    return getattr(user, "pk", user)


def _clean_key(key: str) -> str:
    key = key.strip() if isinstance(key, str) else ""
    if not key:
        raise ValidationError({"key": ["The key is empty."]})
    if len(key) < 8 or len(key) > 512:
        raise ValidationError({"key": ["A provider key is between 8 and 512 characters."]})
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in key):
        raise ValidationError({"key": ["The key contains spaces or control characters; paste it exactly."]})
    return key


def api_key_decrypt(api_key: ApiKey) -> str:
    """Plaintext of a stored key. Raises ``DecryptionError`` when the stored value was altered or moved."""
    return decrypt_field(
        api_key.encrypted_key, owner_id=api_key.user_id, collection=COLLECTION, record_id=api_key.pk, field=FIELD
    )


def api_key_create(*, actor: Any, provider: str, name: str, key: str) -> ApiKey:
    """Encrypt and store ``key`` for ``actor``. 409 when the same key is already stored."""
    if not is_key_provider(provider):
        known = ", ".join(p.id for p in catalogue().key_providers())
        raise ValidationError({"provider": [f"Unknown provider {provider!r}; choose one of: {known}."]})
    key = _clean_key(key)
    name = (name or "").strip() or provider
    if ApiKey.objects.filter(user=actor).count() >= API_KEYS_MAX_PER_USER:
        raise ConflictError(
            f"You already store {API_KEYS_MAX_PER_USER} keys; delete one first.", code="too_many_api_keys"
        )
    fingerprint = field_fingerprint(key)
    existing = ApiKey.objects.filter(user=actor, fingerprint=fingerprint).first()
    if existing is not None:
        raise ConflictError(
            f"This key is already stored as {existing.name!r}.",
            code="duplicate_api_key",
            details={"id": str(existing.pk)},
        )
    # The id is part of the associated data, so it must exist before the first encryption.
    api_key = ApiKey(pk=ObjectId(), user=actor, name=name[:100], provider=provider)
    api_key.encrypted_key = encrypt_field(
        key, owner_id=actor.pk, collection=COLLECTION, record_id=api_key.pk, field=FIELD
    )
    api_key.fingerprint = fingerprint
    api_key.masked_key = mask_key(key)
    api_key.full_clean(exclude=["user"])
    try:
        api_key.save(force_insert=True)
    except IntegrityError:  # a concurrent create of the same key won the unique index
        raise ConflictError("This key is already stored.", code="duplicate_api_key") from None
    record(
        event_type="api_key.created",
        actor=actor,
        metadata={"api_key_id": str(api_key.pk), "provider": provider, "masked_key": api_key.masked_key},
    )
    return api_key


def api_key_rename(*, actor: Any, api_key: ApiKey, name: str) -> ApiKey:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["The name is empty."]})
    api_key.name = name[:100]
    api_key.save(update_fields=["name", "updated_at"])
    record(event_type="api_key.renamed", actor=actor, metadata={"api_key_id": str(api_key.pk)})
    return api_key


def api_key_delete(*, actor: Any, api_key: ApiKey) -> None:
    key_id, provider, masked = str(api_key.pk), api_key.provider, api_key.masked_key
    ApiKey.objects.filter(pk=api_key.pk, user=api_key.user_id).delete()
    record(
        event_type="api_key.deleted",
        actor=actor,
        metadata={"api_key_id": key_id, "provider": provider, "masked_key": masked},
    )


def api_key_validate(*, actor: Any, api_key: ApiKey, http_client: Any = None) -> tuple[ApiKey, KeyCheck]:
    """One cheap call to the provider; stores is_valid / last_validated_at / the provider's message.

    A refused key is a normal answer (is_valid False, 200). Provider trouble (timeout, 5xx, rate limit)
    raises ``ServiceUnavailableError`` (503) and leaves the stored verdict alone.
    """
    try:
        plaintext = api_key_decrypt(api_key)
    except DecryptionError as exc:
        record(
            event_type="api_key.decrypt_failed",
            actor=actor,
            success=False,
            metadata={"api_key_id": str(api_key.pk), "provider": api_key.provider, "reason": str(exc)},
        )
        raise ConflictError(
            "The stored key cannot be decrypted (it was altered, or its encryption key is gone); "
            "delete it and add it again.",
            code="api_key_unreadable",
        ) from None
    result = check_key(
        api_key.provider,
        plaintext,
        base_url=provider_base_url(api_key.provider),
        timeout=settings.PROVIDER_KEY_CHECK_TIMEOUT,
        catalogue=catalogue(),
        http_client=http_client,
    )
    del plaintext
    now = timezone.now()
    if result.outcome == "unavailable":
        record(
            event_type="api_key.validation_unavailable",
            actor=actor,
            success=False,
            metadata={"api_key_id": str(api_key.pk), "provider": api_key.provider, "message": result.message},
        )
        raise ServiceUnavailableError(
            result.message, code="provider_unavailable", details={"provider": api_key.provider}
        )
    api_key.is_valid = result.is_valid
    api_key.validation_message = result.message[:500]
    api_key.last_validated_at = now
    api_key.save(update_fields=["is_valid", "validation_message", "last_validated_at", "updated_at"])
    record(
        event_type="api_key.validated",
        actor=actor,
        success=bool(result.is_valid),
        metadata={
            "api_key_id": str(api_key.pk),
            "provider": api_key.provider,
            "masked_key": api_key.masked_key,
            "is_valid": result.is_valid,
            "status_code": result.status_code,
        },
    )
    return api_key, result


def _candidate(user_id: Any, provider: str, api_key_id: Any = None) -> ApiKey | None:
    keys = ApiKey.objects.filter(user=user_id, provider=provider)
    if api_key_id is not None:
        try:
            return keys.filter(pk=ObjectId(str(api_key_id))).first()
        except Exception:  # noqa: BLE001 - a malformed id is simply "no such key"
            return None
    # Prefer keys not known to be bad; newest first.
    return keys.exclude(is_valid=False).order_by("-created_at").first() or keys.order_by("-created_at").first()


def api_key_secret_for(*, user: Any, provider: str, api_key_id: Any = None) -> str | None:
    """Plaintext key ``user`` stored for ``provider`` (worker side only), or None when there is none.

    ``api_key_id`` picks a specific key (a project's ``llm.api_key_id``); otherwise the newest key not
    marked invalid. Updates ``last_used_at``. Raises ``DecryptionError`` for a tampered stored value.
    """
    user_id = _user_id(user)
    api_key = _candidate(user_id, provider, api_key_id)
    if api_key is None:
        return None
    plaintext = api_key_decrypt(api_key)
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=timezone.now())
    return plaintext


def api_key_mark_invalid(*, user: Any, provider: str, message: str, api_key_id: Any = None) -> int:
    """A job got an authentication error with this key: mark it invalid with the provider's message.

    Marks the key ``api_key_secret_for`` would have chosen (or ``api_key_id``). Returns how many were marked.
    """
    from integrations.llm.base import scrub_secrets

    user_id = _user_id(user)
    api_key = _candidate(user_id, provider, api_key_id)
    if api_key is None:
        return 0
    clean = scrub_secrets(str(message or "rejected by the provider"))[:500]
    updated = ApiKey.objects.filter(pk=api_key.pk).update(
        is_valid=False, validation_message=clean, last_validated_at=timezone.now(), updated_at=timezone.now()
    )
    record(
        event_type="api_key.marked_invalid",
        actor=None,
        user=api_key.user,
        success=False,
        metadata={"api_key_id": str(api_key.pk), "provider": provider, "message": clean},
    )
    return updated
