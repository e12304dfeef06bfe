"""Field encryption for stored secrets (security.md section 2).

AES-256-GCM with a fresh random 96-bit nonce per encryption. The associated data binds every ciphertext
to ``owner|collection|record|field|key_id``, so a database-level attacker cannot move tenant A's
ciphertext into tenant B's document or into another field: decryption then fails authentication.

Stored format: ``v1:<key_id>:<base64(nonce || ciphertext || tag)>``.

This module is pure: the keyring is built from strings the Django layer reads from settings
(``SENTIMATRIX_FIELD_KEYS`` / ``SENTIMATRIX_FIELD_KEY_PRIMARY``); nothing here reads the environment.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from types import MappingProxyType

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "FORMAT_VERSION",
    "KEY_BYTES",
    "NONCE_BYTES",
    "AssociatedData",
    "CryptoConfigError",
    "DecryptionError",
    "Keyring",
    "decrypt",
    "encrypt",
    "fingerprint",
    "generate_keyring_entry",
    "key_id_of",
    "mask_key",
    "needs_rotation",
    "reencrypt",
]

FORMAT_VERSION = "v1"
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # 96-bit nonce, the GCM size that needs no extra GHASH step
TAG_BYTES = 16
MASK = "\u2026"  # the single-character ellipsis used in key hints ("sk-…a1b2")

# Key ids appear inside the token (split on ':'), inside the keyring string (split on ',' and ':')
# and inside the AAD (joined with '|'), so they are restricted to characters that are none of those.
_KEY_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_AAD_SEPARATOR = "|"
_MIN_FINGERPRINT_KEY_BYTES = 16


class CryptoConfigError(ValueError):
    """The keyring configuration is unusable. Raised at startup so a bad deployment fails fast."""


class DecryptionError(ValueError):
    """A token could not be decrypted. The message says why, never what the plaintext was."""


@dataclass(frozen=True)
class AssociatedData:
    """What a ciphertext belongs to. All four parts are authenticated, none is encrypted.

    ``record_id`` must be known before the first save (assign the ObjectId up front).
    """

    owner_id: str
    collection: str
    record_id: str
    field: str

    def __post_init__(self) -> None:
        for name in ("owner_id", "collection", "record_id", "field"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ValueError(f"AssociatedData.{name} must be a non-empty string")
            # A separator inside a part would make two different tuples encode to the same bytes
            # ("a|b", "c") vs ("a", "b|c"), which would defeat the binding.
            if _AAD_SEPARATOR in value:
                raise ValueError(f"AssociatedData.{name} must not contain {_AAD_SEPARATOR!r}")
            try:
                value.encode()
            except UnicodeEncodeError as exc:  # lone surrogates have no UTF-8 form
                raise ValueError(f"AssociatedData.{name} must be valid Unicode text") from exc

    def encode(self, key_id: str) -> bytes:
        """The exact AAD bytes: ``owner|collection|record|field|key_id`` (security.md section 2)."""
        return _AAD_SEPARATOR.join((self.owner_id, self.collection, self.record_id, self.field, key_id)).encode()


@dataclass(frozen=True)
class Keyring:
    """Named 32-byte keys plus the id of the one used for new encryptions.

    Build it with :meth:`from_config` from the settings strings. Key bytes never appear in ``repr``.
    """

    keys: Mapping[str, bytes] = dataclass_field(repr=False)
    primary_id: str

    def __post_init__(self) -> None:
        if not self.keys:
            raise CryptoConfigError("keyring is empty: set SENTIMATRIX_FIELD_KEYS to 'id:base64key[,id:base64key]'")
        for key_id, key in self.keys.items():
            _check_key_id(key_id)
            if not isinstance(key, bytes) or len(key) != KEY_BYTES:
                raise CryptoConfigError(f"key {key_id!r} must be exactly {KEY_BYTES} bytes")
        if self.primary_id not in self.keys:
            raise CryptoConfigError(
                f"primary key id {self.primary_id!r} is not in the keyring (known ids: {sorted(self.keys)})"
            )
        # Freeze the mapping so a caller holding the dict cannot swap keys under a live keyring.
        object.__setattr__(self, "keys", MappingProxyType(dict(self.keys)))

    @classmethod
    def from_config(cls, keys: str, primary_id: str) -> Keyring:
        """Parse ``"id1:base64key,id2:base64key"`` and a primary id. Raises :class:`CryptoConfigError`."""
        if not keys or not keys.strip():
            raise CryptoConfigError("SENTIMATRIX_FIELD_KEYS is empty")
        if not primary_id or not primary_id.strip():
            raise CryptoConfigError("SENTIMATRIX_FIELD_KEY_PRIMARY is empty")
        parsed: dict[str, bytes] = {}
        for position, entry in enumerate(keys.split(","), start=1):
            entry = entry.strip()
            if not entry:
                raise CryptoConfigError(f"keyring entry {position} is empty (stray comma?)")
            key_id, sep, encoded = entry.partition(":")
            key_id = key_id.strip()
            if not sep:
                raise CryptoConfigError(f"keyring entry {position} is not 'id:base64key'")
            _check_key_id(key_id)
            if key_id in parsed:
                raise CryptoConfigError(f"key id {key_id!r} appears more than once in the keyring")
            try:
                key = base64.b64decode(encoded.strip(), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise CryptoConfigError(f"key {key_id!r} is not valid base64") from exc
            if len(key) != KEY_BYTES:
                raise CryptoConfigError(f"key {key_id!r} decodes to {len(key)} bytes; AES-256 needs {KEY_BYTES}")
            parsed[key_id] = key
        return cls(keys=parsed, primary_id=primary_id.strip())

    def primary(self) -> tuple[str, bytes]:
        return self.primary_id, self.keys[self.primary_id]

    def get(self, key_id: str) -> bytes:
        try:
            return self.keys[key_id]
        except KeyError:
            raise DecryptionError(
                f"unknown key id {key_id!r}: the key was removed from the keyring or the token is corrupt"
            ) from None

    @property
    def key_ids(self) -> frozenset[str]:
        return frozenset(self.keys)


def _check_key_id(key_id: str) -> None:
    if not isinstance(key_id, str) or not _KEY_ID_RE.fullmatch(key_id):
        raise CryptoConfigError(f"key id {key_id!r} must be 1-32 characters from A-Z a-z 0-9 _ -")


def encrypt(plaintext: str, *, aad: AssociatedData, keyring: Keyring) -> str:
    """Encrypt with the primary key and a fresh random nonce; returns ``v1:<key_id>:<base64>``."""
    if not isinstance(plaintext, str):
        raise TypeError("plaintext must be str")
    key_id, key = keyring.primary()
    # os.urandom per call: (key, nonce) reuse under GCM leaks the authentication key.
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode("utf-8"), aad.encode(key_id))
    return f"{FORMAT_VERSION}:{key_id}:{base64.b64encode(nonce + sealed).decode('ascii')}"


def _split(token: str) -> tuple[str, bytes]:
    """Parse a token into (key_id, raw bytes) or raise :class:`DecryptionError` saying what is wrong."""
    if not isinstance(token, str):
        raise DecryptionError("malformed token: not a string")
    parts = token.split(":")
    if len(parts) != 3:
        raise DecryptionError("malformed token: expected 'v1:<key_id>:<base64>'")
    version, key_id, blob = parts
    if version != FORMAT_VERSION:
        raise DecryptionError(f"unsupported token version {version[:8]!r} (expected {FORMAT_VERSION!r})")
    if not _KEY_ID_RE.fullmatch(key_id):
        raise DecryptionError("malformed token: invalid key id")
    try:
        raw = base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError):
        raise DecryptionError("malformed token: payload is not valid base64") from None
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("malformed token: payload too short to hold a nonce and tag")
    return key_id, raw


def key_id_of(token: str) -> str:
    """The key id a token was encrypted under (no decryption, no authentication)."""
    key_id, _ = _split(token)
    return key_id


def decrypt(token: str, *, aad: AssociatedData, keyring: Keyring) -> str:
    """Decrypt and authenticate. Raises :class:`DecryptionError`; never returns unauthenticated data."""
    key_id, raw = _split(token)
    key = keyring.get(key_id)
    try:
        plaintext = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad.encode(key_id))
    except InvalidTag:
        raise DecryptionError(
            "authentication failed: the ciphertext was altered, or it belongs to a different "
            "owner, record or field than the one it is being read for"
        ) from None
    try:
        return plaintext.decode("utf-8")
    except UnicodeDecodeError:  # only possible if something other than encrypt() produced the token
        raise DecryptionError("decrypted payload is not UTF-8") from None


def needs_rotation(token: str, keyring: Keyring) -> bool:
    """True when the token was not encrypted under the current primary key."""
    return key_id_of(token) != keyring.primary_id


def reencrypt(token: str, *, aad: AssociatedData, keyring: Keyring) -> str:
    """Re-encrypt under the primary key.

    Always decrypts first, so a corrupt or misbound token raises instead of being carried forward.
    A token already under the primary key is returned unchanged, which keeps the rotation command's
    compare-and-set a no-op for rows that need nothing.
    """
    plaintext = decrypt(token, aad=aad, keyring=keyring)
    if not needs_rotation(token, keyring):
        return token
    return encrypt(plaintext, aad=aad, keyring=keyring)


def mask_key(plaintext: str) -> str:
    """Display hint computed at write time, so showing a key never needs decryption.

    - 20 characters or more: vendor prefix + ``…`` + last 4 (``sk-…a1b2``). The prefix runs up to and
      including the first ``-`` when that dash is within the first 6 characters (``sk-``, ``xoxb-``);
      otherwise it is the first 3 characters. The cap stops a key like a UUID from revealing a long
      random run before its first dash.
    - 9 to 19 characters: ``…`` + last 4.
    - 8 characters or fewer: ``…`` only, because the last 4 would be half the secret or more.
    """
    if not isinstance(plaintext, str) or not plaintext:
        raise ValueError("cannot mask an empty key")
    length = len(plaintext)
    if length <= 8:
        return MASK
    if length < 20:
        return MASK + plaintext[-4:]
    dash = plaintext.find("-")
    prefix = plaintext[: dash + 1] if 0 < dash < 6 else plaintext[:3]
    return prefix + MASK + plaintext[-4:]


def fingerprint(secret: str, fingerprint_key: bytes) -> str:
    """HMAC-SHA256(fingerprint_key, secret) as hex, for duplicate detection without a plain hash."""
    if not isinstance(fingerprint_key, bytes) or len(fingerprint_key) < _MIN_FINGERPRINT_KEY_BYTES:
        raise CryptoConfigError(f"fingerprint key must be at least {_MIN_FINGERPRINT_KEY_BYTES} bytes")
    return hmac.new(fingerprint_key, secret.encode("utf-8"), hashlib.sha256).hexdigest()


def generate_keyring_entry(key_id: str | None = None) -> str:
    """A new ``id:base64key`` entry (32 random bytes) for SENTIMATRIX_FIELD_KEYS / .env.example docs."""
    if key_id is None:
        key_id = "k" + secrets.token_hex(4)
    _check_key_id(key_id)
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode('ascii')}"
