"""The Django side of field encryption: the keyring from settings, and the only code that decrypts.

``integrations.crypto`` is pure and never reads settings; this module builds its :class:`Keyring` and the
fingerprint key from ``SENTIMATRIX_FIELD_KEYS`` / ``SENTIMATRIX_FIELD_KEY_PRIMARY`` / ``FIELD_FINGERPRINT_KEY``
(security.md 2). ``production.py`` calls :func:`parse_keyring` and :func:`parse_fingerprint_key` at start-up,
so a bad deployment fails fast.

Without configured keys a development keyring derived from ``SECRET_KEY`` is used, and only when
``SENTIMATRIX_ALLOW_DEV_FIELD_KEYS`` is true (DEBUG or the test settings). Data encrypted with it is tied to
that ``SECRET_KEY``: move it to a real keyring with ``rotate_encryption_key`` after configuring one that
lists the ``dev`` key as a non-primary entry.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from integrations.crypto import (
    AssociatedData,
    CryptoConfigError,
    Keyring,
    decrypt,
    encrypt,
    needs_rotation,
    reencrypt,
)
from integrations.crypto import fingerprint as _fingerprint

__all__ = [
    "DEV_KEY_ID",
    "decrypt_field",
    "encrypt_field",
    "field_fingerprint",
    "field_needs_rotation",
    "get_keyring",
    "parse_fingerprint_key",
    "parse_keyring",
    "reencrypt_field",
    "reset_key_cache",
]

DEV_KEY_ID = "dev"
_MIN_FINGERPRINT_BYTES = 16


def parse_keyring(keys: str, primary_id: str) -> Keyring:
    """Keyring from the two settings strings; raises :class:`CryptoConfigError` (a ValueError)."""
    return Keyring.from_config(keys, primary_id)


def parse_fingerprint_key(value: str) -> bytes:
    """``FIELD_FINGERPRINT_KEY``: base64 of at least 16 bytes. Raises :class:`CryptoConfigError`."""
    if not value or not value.strip():
        raise CryptoConfigError("FIELD_FINGERPRINT_KEY is empty")
    try:
        key = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise CryptoConfigError("FIELD_FINGERPRINT_KEY is not valid base64") from None
    if len(key) < _MIN_FINGERPRINT_BYTES:
        raise CryptoConfigError(f"FIELD_FINGERPRINT_KEY decodes to {len(key)} bytes; at least 16 are needed")
    return key


def _dev_material(purpose: str) -> bytes:
    # Domain-separated from every other use of SECRET_KEY; never reached in production (see module doc).
    return hashlib.sha256(f"sentimatrix-dev-field-key|{purpose}|{settings.SECRET_KEY}".encode()).digest()


def _allow_dev() -> bool:
    return bool(getattr(settings, "SENTIMATRIX_ALLOW_DEV_FIELD_KEYS", False))


@lru_cache(maxsize=1)
def get_keyring() -> Keyring:
    keys = getattr(settings, "SENTIMATRIX_FIELD_KEYS", "")
    primary = getattr(settings, "SENTIMATRIX_FIELD_KEY_PRIMARY", "")
    if keys:
        return parse_keyring(keys, primary)
    if not _allow_dev():
        raise CryptoConfigError(
            "SENTIMATRIX_FIELD_KEYS is not set: generate one with "
            "`python -c 'from integrations.crypto import generate_keyring_entry as g; print(g(\"k1\"))'`"
        )
    return Keyring(keys={DEV_KEY_ID: _dev_material("aes")}, primary_id=DEV_KEY_ID)


@lru_cache(maxsize=1)
def _fingerprint_key() -> bytes:
    value = getattr(settings, "FIELD_FINGERPRINT_KEY", "")
    if value:
        return parse_fingerprint_key(value)
    if not _allow_dev():
        raise CryptoConfigError("FIELD_FINGERPRINT_KEY is not set")
    return _dev_material("fingerprint")


def reset_key_cache() -> None:
    get_keyring.cache_clear()
    _fingerprint_key.cache_clear()


@receiver(setting_changed)
def _on_setting_changed(*, setting: str, **_: object) -> None:
    if setting in {
        "SENTIMATRIX_FIELD_KEYS",
        "SENTIMATRIX_FIELD_KEY_PRIMARY",
        "FIELD_FINGERPRINT_KEY",
        "SENTIMATRIX_ALLOW_DEV_FIELD_KEYS",
        "SECRET_KEY",
    }:
        reset_key_cache()


def _aad(*, owner_id: object, collection: str, record_id: object, field: str) -> AssociatedData:
    return AssociatedData(owner_id=str(owner_id), collection=collection, record_id=str(record_id), field=field)


def encrypt_field(plaintext: str, *, owner_id: object, collection: str, record_id: object, field: str) -> str:
    """Encrypt a secret bound to ``owner|collection|record|field`` under the primary key."""
    return encrypt(
        plaintext,
        aad=_aad(owner_id=owner_id, collection=collection, record_id=record_id, field=field),
        keyring=get_keyring(),
    )


def decrypt_field(token: str, *, owner_id: object, collection: str, record_id: object, field: str) -> str:
    """Decrypt; raises ``integrations.crypto.DecryptionError`` for tampered, misbound or unknown-key tokens."""
    return decrypt(
        token,
        aad=_aad(owner_id=owner_id, collection=collection, record_id=record_id, field=field),
        keyring=get_keyring(),
    )


def reencrypt_field(token: str, *, owner_id: object, collection: str, record_id: object, field: str) -> str:
    return reencrypt(
        token,
        aad=_aad(owner_id=owner_id, collection=collection, record_id=record_id, field=field),
        keyring=get_keyring(),
    )


def field_needs_rotation(token: str) -> bool:
    return needs_rotation(token, get_keyring())


def field_fingerprint(secret: str) -> str:
    """HMAC-SHA256 under the fingerprint key: duplicate detection without a plain hash of the secret."""
    return _fingerprint(secret, _fingerprint_key())
