"""Standard Webhooks v1 signing (security.md 1.1, 1.2).

Signed content is ``"{msg_id}.{timestamp}."`` followed by the raw body bytes; the HMAC-SHA256 key is the
base64-decoded part of the secret after ``whsec_``. The body is serialized once by :func:`encode_body`;
callers persist those bytes and send exactly them on every attempt, re-signing each attempt because the
timestamp changes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets as _random_source
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

__all__ = [
    "DEFAULT_TOLERANCE_SECONDS",
    "MAX_PAYLOAD_BYTES",
    "SECRET_PREFIX",
    "PayloadTooLarge",
    "SignatureError",
    "encode_body",
    "generate_secret",
    "new_message_id",
    "sign",
    "signature_header",
    "verify",
]

SECRET_PREFIX = "whsec_"  # noqa: S105 - the public format prefix, not a secret
SECRET_BYTES = 32
# The spec allows 24-64 random bytes; anything outside that is a corrupted or foreign secret.
_MIN_SECRET_BYTES, _MAX_SECRET_BYTES = 24, 64
DEFAULT_TOLERANCE_SECONDS = 300
# Spec guidance: keep payloads under 20 KB and send ids, counts and an API link rather than result sets.
MAX_PAYLOAD_BYTES = 20_000
_MSG_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


class SignatureError(Exception):
    """A delivery failed verification (missing header, timestamp outside tolerance, no matching signature)."""


class PayloadTooLarge(ValueError):
    """The serialized event exceeds :data:`MAX_PAYLOAD_BYTES`."""


def generate_secret() -> str:
    """``whsec_`` + base64 of 32 random bytes; unique per endpoint."""
    return SECRET_PREFIX + base64.b64encode(_random_source.token_bytes(SECRET_BYTES)).decode("ascii")


def new_message_id() -> str:
    """``msg_`` + 144 random bits, URL-safe and free of '.', which the signed content uses as a separator."""
    return "msg_" + _random_source.token_urlsafe(18)


def _secret_key(secret: str) -> bytes:
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("webhook secret is not 'whsec_' followed by base64") from None
    if not _MIN_SECRET_BYTES <= len(key) <= _MAX_SECRET_BYTES:
        raise ValueError(f"webhook secret must decode to {_MIN_SECRET_BYTES}-{_MAX_SECRET_BYTES} bytes")
    return key


def _signed_content(msg_id: str, timestamp: int, body: bytes) -> bytes:
    # The spec forbids '.' in id and timestamp; enforcing the shape here keeps the content unambiguous.
    if not _MSG_ID_RE.fullmatch(msg_id):
        raise ValueError("message id must be 1-255 characters from A-Z a-z 0-9 _ -")
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0:
        raise ValueError("timestamp must be a non-negative int (unix seconds)")
    if not isinstance(body, bytes):
        raise TypeError("body must be the exact bytes sent")
    return f"{msg_id}.{timestamp}.".encode("ascii") + body


def _mac(key: bytes, content: bytes) -> bytes:
    return hmac.new(key, content, hashlib.sha256).digest()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One signature: ``v1,<base64 HMAC-SHA256>``."""
    mac = _mac(_secret_key(secret), _signed_content(msg_id, timestamp, body))
    return "v1," + base64.b64encode(mac).decode("ascii")


def signature_header(secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """Value of ``webhook-signature``: current secret first, then any previous one still in its overlap window."""
    if not secrets:
        raise ValueError("at least one signing secret is required")
    return " ".join(sign(secret, msg_id, timestamp, body) for secret in secrets)


def verify(
    secrets: Sequence[str],
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: int | float,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> None:
    """Check a delivery the way a consumer should; raises :class:`SignatureError`.

    Used by our own "send test event" tooling and documented as the consumer reference. The timestamp must
    be within ``tolerance`` seconds either side of ``now`` (replay defence), and at least one ``v1``
    signature must match one of ``secrets`` (constant-time compare).
    """
    if not secrets:
        raise ValueError("at least one secret is required to verify")
    lowered = {name.lower(): value for name, value in headers.items()}
    msg_id = lowered.get("webhook-id")
    raw_ts = lowered.get("webhook-timestamp")
    raw_sigs = lowered.get("webhook-signature")
    if not msg_id or not raw_ts or not raw_sigs:
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature header")
    if not raw_ts.isascii() or not raw_ts.isdigit():
        raise SignatureError("webhook-timestamp is not unix seconds")
    timestamp = int(raw_ts)
    if abs(now - timestamp) > tolerance:
        raise SignatureError(f"timestamp outside the {tolerance}s tolerance (possible replay)")
    try:
        content = _signed_content(msg_id, timestamp, body)
    except ValueError:
        raise SignatureError("webhook-id has an invalid shape") from None

    candidates: list[bytes] = []
    for entry in raw_sigs.split(" "):
        version, sep, encoded = entry.partition(",")
        if version != "v1" or not sep:
            continue  # other schemes (v1a) or junk: not ours to judge
        try:
            candidates.append(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            continue
    matched = False
    for secret in secrets:
        expected = _mac(_secret_key(secret), content)
        for candidate in candidates:
            # Keep looping after a match so timing does not reveal which secret/signature matched.
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise SignatureError("no signature matches")


def _iso_utc(moment: datetime) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("event timestamp must be timezone-aware")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def encode_body(event_type: str, data: Mapping[str, Any], timestamp: datetime) -> bytes:
    """Serialize an event once: compact JSON ``{"type", "timestamp", "data"}`` as UTF-8 bytes.

    ``timestamp`` is when the event happened (aware datetime, rendered as ISO 8601 UTC with microseconds,
    as in the spec's payload example); the ``webhook-timestamp`` header is the attempt time instead.
    Output is deterministic for equal inputs: fixed top-level order, ``data`` in its own key order.
    """
    if not event_type:
        raise ValueError("event type is required")
    if not isinstance(data, Mapping):
        raise TypeError("event data must be a mapping")
    payload = {"type": event_type, "timestamp": _iso_utc(timestamp), "data": dict(data)}
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
    if len(body) > MAX_PAYLOAD_BYTES:
        raise PayloadTooLarge(
            f"event payload is {len(body)} bytes; keep it under {MAX_PAYLOAD_BYTES} (send ids and a link)"
        )
    return body
