"""Access tokens (JWT, HS256) and opaque refresh-token secrets. Pure: no model imports.

Access tokens are short-lived and stateless; refresh tokens are random secrets whose SHA-256
is stored (``accounts.models.RefreshToken``) so a database leak does not leak sessions.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

ACCESS = "access"


class TokenError(Exception):
    pass


@dataclass(frozen=True)
class AccessClaims:
    user_id: str
    jti: str
    issued_at: datetime
    expires_at: datetime
    # The refresh-token family (login session) the access token was issued for; lets a password
    # change end every other session but the caller's own.
    session_id: str | None = None


def encode_access(
    *, user_id: str, now: datetime, lifetime: timedelta, key: str, issuer: str, audience: str,
    session_id: str | None = None,
) -> tuple[str, datetime]:  # fmt: skip
    expires_at = now + lifetime
    payload: dict[str, object] = {
        "sub": user_id,
        "type": ACCESS,
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
        "iss": issuer,
        "aud": audience,
        "jti": uuid.uuid4().hex,
    }
    if session_id:
        payload["sid"] = session_id
    return jwt.encode(payload, key, algorithm="HS256"), expires_at


def decode_access(token: str, *, key: str, issuer: str, audience: str) -> AccessClaims:
    try:
        # The algorithm list is fixed: never trust the token's own "alg" (ASVS 9.1.2).
        payload = jwt.decode(
            token, key, algorithms=["HS256"], issuer=issuer, audience=audience,
            options={"require": ["exp", "iat", "sub", "type", "jti"]},
        )  # fmt: skip
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("Access token expired; refresh it.") from exc
    except jwt.InvalidTokenError as exc:
        raise TokenError("Invalid access token.") from exc
    if payload.get("type") != ACCESS:
        raise TokenError("Not an access token.")
    return AccessClaims(
        user_id=str(payload["sub"]),
        jti=str(payload["jti"]),
        issued_at=datetime.fromtimestamp(payload["iat"]).astimezone(),
        expires_at=datetime.fromtimestamp(payload["exp"]).astimezone(),
        session_id=str(payload["sid"]) if payload.get("sid") else None,
    )


def new_refresh_secret() -> str:
    """256 random bits, URL-safe (ASVS 11.5.1: CSPRNG, at least 128 bits)."""
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
