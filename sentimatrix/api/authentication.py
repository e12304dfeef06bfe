"""``Authorization: Bearer <access JWT>`` for the API (the browsable API also takes sessions)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.tokens import TokenError, decode_access


class JWTAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _, token = header.partition(" ")
        if keyword != self.keyword:
            return None
        if not token or " " in token.strip():
            raise exceptions.AuthenticationFailed("Malformed Authorization header: use 'Bearer <token>'.")
        try:
            claims = decode_access(
                token.strip(), key=settings.JWT_SIGNING_KEY, issuer=settings.JWT_ISSUER, audience=settings.JWT_AUDIENCE
            )
        except TokenError as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from exc
        from accounts.selectors import user_get_active

        user = user_get_active(user_id=claims.user_id)
        if user is None:
            raise exceptions.AuthenticationFailed("This account is not active.")
        return user, claims

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
