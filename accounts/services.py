"""Account writes: registration, logins and sessions, passwords, e-mail verification, OAuth,
profile changes, support actions. Every function records an audit event (``audit.services.record``).

Sessions are refresh-token families (``RefreshToken``): a login starts one, each refresh rotates
within it, reuse of a spent token revokes it. Never ``save()`` a whole ``User`` here: the usage
counters on it change by ``$inc`` elsewhere, so writes name their ``update_fields``.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import smtplib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.db import IntegrityError
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes, force_str
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode
from pymongo.errors import DuplicateKeyError
from rest_framework import exceptions, serializers
from rest_framework.status import HTTP_401_UNAUTHORIZED

from accounts import oauth, ratelimit
from accounts.models import RefreshToken, User
from accounts.tokens import encode_access, hash_secret, new_refresh_secret
from audit.services import record
from sentimatrix.api.errors import (
    ApplicationError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ServiceUnavailableError,
)
from sentimatrix.api.middleware import current_client

logger = logging.getLogger("sentimatrix.accounts")

_PROFILE_FIELDS = ("name", "company", "avatar_url")
_SETTINGS_FIELDS = (
    "timezone", "email_notifications", "weekly_digest", "default_preset", "results_per_page", "dashboard_layout",
)  # fmt: skip
# What admin_bootstrap makes of the bootstrap superuser's account.
_ADMIN_STATE = {
    "is_staff": True,
    "is_superuser": True,
    "role": User.Role.ADMIN,
    "status": User.Status.ACTIVE,
    "email_verified": True,
}


class AuthenticationError(ApplicationError):
    status_code = HTTP_401_UNAUTHORIZED
    code = "authentication_failed"


@dataclass(frozen=True)
class TokenPair:
    access: str
    access_expires_at: datetime
    refresh: str
    refresh_expires_at: datetime
    session_id: str  # the refresh-token family


def normalize_email(email: str) -> str:
    return User.objects.normalize_email(email.strip()).lower()


def _email_key(email: str) -> str:
    # Redis keys carry a digest, not the address itself.
    return hashlib.sha256(email.encode()).hexdigest()[:32]


# --- sessions (refresh-token families) ------------------------------------------------------------


def _issue(*, user: User, family_id: str | None = None, family_expires_at: datetime | None = None) -> TokenPair:
    now = timezone.now()
    family_id = family_id or uuid.uuid4().hex
    if family_expires_at is None:
        family_expires_at = now + timedelta(days=settings.REFRESH_TOKEN_FAMILY_MAX_DAYS)
    secret = new_refresh_secret()
    refresh_expires_at = min(now + settings.REFRESH_TOKEN_LIFETIME, family_expires_at)
    ip, agent = current_client()
    RefreshToken.objects.create(
        user=user,
        token_hash=hash_secret(secret),
        family_id=family_id,
        created_at=now,
        expires_at=refresh_expires_at,
        family_expires_at=family_expires_at,
        user_agent=agent[:512],
        ip_address=ip,
    )
    access, access_expires_at = encode_access(
        user_id=str(user.pk), now=now, lifetime=settings.ACCESS_TOKEN_LIFETIME, key=settings.JWT_SIGNING_KEY,
        issuer=settings.JWT_ISSUER, audience=settings.JWT_AUDIENCE, session_id=family_id,
    )  # fmt: skip
    return TokenPair(access, access_expires_at, secret, refresh_expires_at, family_id)


def _revoke(*, reason: str, **match: Any) -> int:
    """Revoke every live token matching ``match`` (a family or a user). Idempotent."""
    return RefreshToken.objects.filter(revoked_at=None, **match).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )


def _revoke_user(*, user: User, reason: str, except_session: str | None = None) -> int:
    tokens = RefreshToken.objects.filter(user=user, revoked_at=None)
    if except_session:
        tokens = tokens.exclude(family_id=except_session)
    return tokens.update(revoked_at=timezone.now(), revoked_reason=reason)


def auth_refresh(*, refresh: str) -> TokenPair:
    """Rotate: spend the presented token and issue its child in the same family.

    The spend is one conditional update (compare-and-set on ``used_at``), so of two concurrent
    refreshes with the same token exactly one wins; the other is treated as reuse.
    """
    now = timezone.now()
    token_hash = hash_secret(refresh)
    claimed = RefreshToken.objects.filter(
        token_hash=token_hash, used_at=None, revoked_at=None, expires_at__gt=now
    ).update(used_at=now)
    token = RefreshToken.objects.filter(token_hash=token_hash).first()
    if token is None:
        raise AuthenticationError("Invalid refresh token; log in again.", code="invalid_refresh_token")
    user = User.objects.filter(pk=token.user_id).first()
    if claimed == 1:
        if user is None or not user.is_active:
            _revoke(family_id=token.family_id, reason="account_inactive")
            raise AuthenticationError("This account is not active.", code="account_inactive")
        return _issue(user=user, family_id=token.family_id, family_expires_at=token.family_expires_at)
    if token.revoked_at is not None:
        raise AuthenticationError("This session has ended; log in again.", code="session_revoked")
    if token.used_at is not None:
        leeway = timedelta(seconds=settings.REFRESH_TOKEN_REUSE_LEEWAY_SECONDS)
        if leeway and token.used_at >= now - leeway and user is not None and user.is_active:
            # A benign retry (lost response, two tabs) inside the leeway gets another child.
            return _issue(user=user, family_id=token.family_id, family_expires_at=token.family_expires_at)
        revoked = _revoke(family_id=token.family_id, reason="reuse")
        record(
            event_type="auth.refresh_reuse", actor=None, user=user, success=False,
            metadata={"session_id": token.family_id, "revoked_count": revoked, "first_used_at": token.used_at},
        )  # fmt: skip
        raise AuthenticationError(
            "This refresh token was already used; the session has been ended for safety. Log in again.",
            code="refresh_token_reused",
        )
    raise AuthenticationError("This refresh token has expired; log in again.", code="refresh_token_expired")


def auth_logout(*, refresh: str) -> None:
    """End the session the refresh token belongs to. Unknown tokens are ignored (idempotent)."""
    token = RefreshToken.objects.filter(token_hash=hash_secret(refresh)).first()
    if token is None:
        return
    revoked = _revoke(family_id=token.family_id, reason="logout")
    user = User.objects.filter(pk=token.user_id).first()
    record(event_type="auth.logout", actor=user, metadata={"session_id": token.family_id, "revoked_count": revoked})


def user_sessions_revoke(*, actor: User, user: User) -> int:
    """End every session of ``user`` (support action, or the user themself)."""
    count = _revoke_user(user=user, reason="revoked")
    record(event_type="account.sessions_revoked", actor=actor, user=user, metadata={"revoked_count": count})
    return count


# --- registration and login ------------------------------------------------------------------------


def _password_errors(password: str, user: User, field: str) -> None:
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise serializers.ValidationError({field: exc.messages}) from exc


def user_register(*, email: str, name: str, password: str) -> User:
    email = normalize_email(email)
    # Same message whatever the state of the existing account (active, suspended, deleted).
    taken = ConflictError(
        "An account with this email already exists; log in or reset the password.", code="email_taken"
    )
    if User.objects.filter(email=email).exists():
        raise taken
    user = User(email=email, name=name.strip())
    user.usage.last_reset_at = timezone.now()
    _password_errors(password, user, "password")
    user.set_password(password)
    try:
        user.save()
    except (IntegrityError, DuplicateKeyError):  # a concurrent registration won the unique index
        raise taken from None
    record(event_type="auth.register", actor=user, metadata={"method": "password"})
    try:
        email_verification_send(user=user)
    except ServiceUnavailableError:
        pass  # the account exists (logged); the user asks for another link at /auth/email/verify/send
    return user


def _login_limits(email: str, ip: str | None) -> None:
    """Refuse while this address or this client has too many recent failures (ASVS 6.3.1)."""
    checks = [(f"login:email:{_email_key(email)}", settings.LOGIN_MAX_FAILURES_PER_EMAIL)]
    if ip:
        checks.append((f"login:ip:{ip}", settings.LOGIN_MAX_FAILURES_PER_IP))
    for key, limit in checks:
        window = ratelimit.peek(key, limit=limit)
        if window is not None and window.count >= limit:
            raise exceptions.Throttled(
                wait=window.reset_seconds,
                detail=f"Too many failed logins; try again in {window.reset_seconds} seconds or reset the password.",
            )


def _login_failed(*, email: str, ip: str | None, user: User | None, reason: str) -> None:
    window = settings.LOGIN_LOCKOUT_SECONDS
    ratelimit.hit(
        f"login:email:{_email_key(email)}", limit=settings.LOGIN_MAX_FAILURES_PER_EMAIL, window_seconds=window
    )
    if ip:
        ratelimit.hit(f"login:ip:{ip}", limit=settings.LOGIN_MAX_FAILURES_PER_IP, window_seconds=window)
    record(
        event_type="auth.login_failed", actor=None, user=user, success=False,
        metadata={"actor": "anonymous", "email": email, "reason": reason},
    )  # fmt: skip


def _logged_in(user: User, *, method: str, event_type: str = "auth.login", **extra: Any) -> TokenPair:
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    tokens = _issue(user=user)
    record(event_type=event_type, actor=user, metadata={"method": method, "session_id": tokens.session_id, **extra})
    return tokens


def auth_login(*, email: str, password: str) -> tuple[User, TokenPair]:
    email = normalize_email(email)
    ip, _ = current_client()
    _login_limits(email, ip)
    user = User.objects.filter(email=email).first()
    if user is None:
        make_password(password)  # spend the hashing time anyway: no user enumeration by timing
        _login_failed(email=email, ip=ip, user=None, reason="unknown_email")
    elif not user.check_password(password):
        _login_failed(email=email, ip=ip, user=user, reason="bad_password")
    elif user.status == User.Status.DELETED:
        _login_failed(email=email, ip=ip, user=user, reason="account_deleted")
    elif user.status == User.Status.SUSPENDED:
        # Only someone who knows the password learns that the account is suspended.
        _login_failed(email=email, ip=ip, user=user, reason="account_suspended")
        raise ForbiddenError("This account is suspended; contact support.", code="account_suspended")
    else:
        ratelimit.clear(f"login:email:{_email_key(email)}")
        return user, _logged_in(user, method="password")
    raise AuthenticationError("Invalid email or password.", code="invalid_credentials")


# --- profile ----------------------------------------------------------------------------------------


def account_update(*, actor: User, user: User, data: dict[str, Any]) -> User:
    """Change profile fields and settings (partial). Records the names of changed fields only."""
    changed: list[str] = []
    for field in _PROFILE_FIELDS:
        if field in data and getattr(user, field) != data[field]:
            setattr(user, field, data[field])
            changed.append(field)
    for field, value in (data.get("settings") or {}).items():
        if field in _SETTINGS_FIELDS and getattr(user.settings, field) != value:
            setattr(user.settings, field, value)
            changed.append(f"settings.{field}")
    if not changed:
        return user
    update_fields = [f for f in _PROFILE_FIELDS if f in changed]
    if any(c.startswith("settings.") for c in changed):
        update_fields.append("settings")
    user.save(update_fields=[*update_fields, "updated_at"])
    record(event_type="account.updated", actor=actor, user=user, metadata={"fields": changed})
    return user


def account_delete(*, actor: User, user: User) -> None:
    """Soft delete: the account stops working now; its data stays for the retention command."""
    now = timezone.now()
    updated = (
        User.objects.filter(pk=user.pk)
        .exclude(status=User.Status.DELETED)
        .update(status=User.Status.DELETED, deleted_at=now, updated_at=now)
    )
    revoked = _revoke_user(user=user, reason="account_deleted")
    user.status, user.deleted_at = User.Status.DELETED, now
    if updated:
        record(event_type="account.deleted", actor=actor, user=user, metadata={"revoked_count": revoked})


# --- passwords --------------------------------------------------------------------------------------


def _set_password(user: User, password: str) -> None:
    user.set_password(password)
    user.save(update_fields=["password", "updated_at"])


def password_change(*, user: User, current_password: str, new_password: str, session_id: str | None) -> int:
    """Change the password and end every other session (ASVS 7.4.3). Returns sessions ended."""
    if not user.check_password(current_password):
        record(event_type="auth.password_changed", actor=user, success=False, metadata={"reason": "bad_current"})
        raise serializers.ValidationError({"current_password": ["The current password is not correct."]})
    _password_errors(new_password, user, "new_password")
    _set_password(user, new_password)
    revoked = _revoke_user(user=user, reason="password_changed", except_session=session_id)
    record(event_type="auth.password_changed", actor=user, metadata={"revoked_count": revoked})
    return revoked


def _uid(user: User) -> str:
    return urlsafe_base64_encode(force_bytes(str(user.pk)))


def _user_from_uid(uid: str) -> User | None:
    try:
        pk = force_str(urlsafe_base64_decode(uid))
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    from accounts.selectors import user_get_active

    return user_get_active(user_id=pk)


def _link(path: str, uid: str, token: str) -> str:
    return f"{settings.FRONTEND_URL.rstrip('/')}/{path}?uid={uid}&token={token}"


def _mail(*, user: User, purpose: str, subject: str, body: str) -> bool:
    """Send one mail to ``user``; False (logged, never raised) when the mail server fails."""
    try:
        send_mail(subject, body, None, [user.email])
    except (smtplib.SMTPException, OSError) as exc:
        # Neither the address nor the message (it carries the link's token) goes into the log.
        logger.error("could not send the %s mail to user %s: %s", purpose, user.pk, type(exc).__name__)
        return False
    return True


def password_forgot(*, email: str) -> None:
    """Mail a single-use reset link when an active account has this address; silent otherwise,
    so the answer never tells whether an address is registered."""
    email = normalize_email(email)
    window = ratelimit.hit(
        f"forgot:{_email_key(email)}", limit=settings.PASSWORD_RESET_EMAILS_PER_HOUR, window_seconds=3600
    )
    if window is not None and not window.allowed:
        return  # enough mails for this address this hour; same answer to the caller
    user = User.objects.filter(email=email, status=User.Status.ACTIVE).first()
    if user is None:
        return
    # Django's generator: the token hashes the password and last login, so it stops working
    # once used (the password changed) and after PASSWORD_RESET_TIMEOUT.
    link = _link("reset-password", _uid(user), default_token_generator.make_token(user))
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    sent = _mail(
        user=user, purpose="password reset", subject="Reset your Sentimatrix Studio password",
        body=f"Hello {user.name},\n\nUse this link within {minutes} minutes to choose a new password:\n{link}\n\n"
        "If you did not ask for it, ignore this message; your password stays the same.\n",
    )  # fmt: skip
    # A mail failure gets the same answer as every other case (no enumeration); the audit log keeps it.
    record(
        event_type="auth.password_reset_requested", actor=user, success=sent,
        metadata={} if sent else {"reason": "mail_failed"},
    )  # fmt: skip


def password_reset(*, uid: str, token: str, new_password: str) -> User:
    user = _user_from_uid(uid)
    if user is None or not default_token_generator.check_token(user, token):
        raise ApplicationError("This reset link is invalid, used or expired; ask for a new one.", code="invalid_token")
    _password_errors(new_password, user, "new_password")
    _set_password(user, new_password)
    revoked = _revoke_user(user=user, reason="password_reset")
    record(event_type="auth.password_reset", actor=user, metadata={"revoked_count": revoked})
    return user


# --- e-mail verification ----------------------------------------------------------------------------


class EmailVerificationTokenGenerator(PasswordResetTokenGenerator):
    """Signed link token that stops working once the address is verified or changed."""

    key_salt = "accounts.services.EmailVerificationTokenGenerator"

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        return f"{user.pk}{user.email}{user.email_verified}{timestamp}"

    def check_token(self, user: Any, token: str | None) -> bool:
        if not (user and token):
            return False
        try:
            ts = base36_to_int(token.split("-")[0])
        except ValueError:
            return False
        if self._num_seconds(self._now()) - ts > settings.EMAIL_VERIFICATION_TIMEOUT:
            return False
        return any(
            constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        )


email_verification_tokens = EmailVerificationTokenGenerator()


def email_verification_send(*, user: User) -> bool:
    """Mail a verification link; False when there is nothing to verify. Throttled when too many
    were sent this hour, ServiceUnavailableError when the mail server fails."""
    if user.email_verified:
        return False
    window = ratelimit.hit(f"verify:{user.pk}", limit=settings.VERIFICATION_EMAILS_PER_HOUR, window_seconds=3600)
    if window is not None and not window.allowed:
        raise exceptions.Throttled(wait=window.reset_seconds, detail="Too many verification e-mails; try again later.")
    link = _link("verify-email", _uid(user), email_verification_tokens.make_token(user))
    if not _mail(
        user=user, purpose="e-mail verification", subject="Confirm your e-mail address for Sentimatrix Studio",
        body=f"Hello {user.name},\n\nConfirm your address by opening this link:\n{link}\n",
    ):  # fmt: skip
        raise ServiceUnavailableError(
            "The verification e-mail could not be sent right now; try again in a few minutes.", code="mail_unavailable"
        )
    return True


def email_verify(*, uid: str, token: str) -> User:
    user = _user_from_uid(uid)
    if user is None or not email_verification_tokens.check_token(user, token):
        raise ApplicationError(
            "This verification link is invalid, used or expired; ask for a new one.", code="invalid_token"
        )
    now = timezone.now()
    # Conditional update: two clicks on the link verify (and audit) once.
    if User.objects.filter(pk=user.pk, email_verified=False).update(email_verified=True, email_verified_at=now):
        record(event_type="auth.email_verified", actor=user, metadata={"email": user.email})
    user.email_verified, user.email_verified_at = True, now
    return user


# --- OAuth ------------------------------------------------------------------------------------------


def _state_key(state: str) -> str:
    return f"oauth:state:{hash_secret(state)}"


def oauth_start(*, provider_id: str) -> tuple[str, str, str]:
    """Begin a sign-in: returns (authorization URL, state, browser binding secret).

    The state (256 random bits) and the PKCE verifier stay server-side in the cache for
    ``OAUTH_STATE_TTL_SECONDS``; the binding secret goes into an HttpOnly cookie so only the
    browser that started the flow can finish it (ASVS 10.1.2, 10.2.1).
    """
    provider = oauth.provider_get(provider_id)
    if provider is None:
        raise NotFoundError(f"Sign-in with {provider_id} is not enabled.", code="oauth_provider_disabled")
    state = secrets.token_urlsafe(32)
    binding = secrets.token_urlsafe(32)
    verifier, challenge = oauth.pkce_pair()
    cache.set(
        _state_key(state),
        {"provider": provider.id, "verifier": verifier, "binding": hash_secret(binding)},
        timeout=settings.OAUTH_STATE_TTL_SECONDS,
    )
    return oauth.authorization_url(provider, state=state, code_challenge=challenge), state, binding


def _oauth_refused(provider_id: str, reason: str, message: str, code: str = "oauth_failed") -> ApplicationError:
    record(
        event_type="auth.oauth_login", actor=None, success=False,
        metadata={"actor": "anonymous", "provider": provider_id, "reason": reason},
    )  # fmt: skip
    return ApplicationError(message, code=code)


def _oauth_user(identity: oauth.Identity) -> tuple[User, str]:
    """Find or create the user for a provider identity; returns (user, how)."""
    id_field = f"{identity.provider}_id"
    user = User.objects.filter(**{f"oauth__{id_field}": identity.subject}).first()
    if user is not None:
        return user, "linked_id"
    if not identity.email or not identity.email_verified:
        raise _oauth_refused(
            identity.provider, "email_unverified",
            "Your provider account has no verified e-mail address; verify one there or register with a password.",
            code="oauth_email_unverified",
        )  # fmt: skip
    email = normalize_email(identity.email)
    now = timezone.now()
    user = User.objects.filter(email=email).first()
    if user is not None:
        # The provider vouches for the address, so it is ours to link (and now verified).
        setattr(user.oauth, id_field, identity.subject)
        fields = ["oauth", "updated_at"]
        if not user.email_verified:
            user.email_verified, user.email_verified_at = True, now
            fields += ["email_verified", "email_verified_at"]
        user.save(update_fields=fields)
        return user, "linked_email"
    avatar = (
        identity.avatar_url if identity.avatar_url.startswith("https://") and len(identity.avatar_url) <= 500 else ""
    )
    user = User(
        email=email, name=(identity.name or email.split("@")[0])[:200], avatar_url=avatar,
        email_verified=True, email_verified_at=now,
    )  # fmt: skip
    setattr(user.oauth, id_field, identity.subject)
    user.usage.last_reset_at = now
    user.set_unusable_password()
    try:
        user.save()
    except (IntegrityError, DuplicateKeyError):
        raise ConflictError("This account is being created by another sign-in; try again.") from None
    record(event_type="auth.register", actor=user, metadata={"method": identity.provider})
    return user, "created"


def oauth_complete(*, provider_id: str, code: str, state: str, binding: str | None) -> tuple[User, TokenPair, bool]:
    """Finish a sign-in: check the state (single use, same provider, same browser), exchange the
    code with the PKCE verifier, then link or create the user. Returns (user, tokens, created)."""
    provider = oauth.provider_get(provider_id)
    if provider is None:
        raise NotFoundError(f"Sign-in with {provider_id} is not enabled.", code="oauth_provider_disabled")
    key = _state_key(state)
    pending = cache.get(key)
    invalid = "This sign-in link has expired or was already used; start the sign-in again."
    if not isinstance(pending, dict) or pending.get("provider") != provider.id:
        raise _oauth_refused(provider.id, "state_unknown", invalid, code="oauth_state_invalid")
    if not binding or not constant_time_compare(pending["binding"], hash_secret(binding)):
        other_browser = "This sign-in was started in another browser; start again."
        raise _oauth_refused(provider.id, "state_not_bound", other_browser, code="oauth_state_invalid")
    if not cache.delete(key):  # somebody else finished it a moment ago: single use
        raise _oauth_refused(provider.id, "state_reused", invalid, code="oauth_state_invalid")
    try:
        identity = oauth.exchange_and_identify(provider, code=code, code_verifier=pending["verifier"])
    except oauth.OAuthError as exc:
        if exc.unavailable:
            _oauth_refused(provider.id, "provider_unavailable", exc.message)
            raise ServiceUnavailableError(exc.message, code="oauth_provider_unavailable") from exc
        raise _oauth_refused(provider.id, "exchange_failed", exc.message) from exc
    user, how = _oauth_user(identity)
    if not user.is_active:
        record(event_type="auth.oauth_login", actor=None, user=user, success=False,
               metadata={"provider": provider.id, "reason": f"account_{user.status}"})  # fmt: skip
        if user.status == User.Status.SUSPENDED:
            raise ForbiddenError("This account is suspended; contact support.", code="account_suspended")
        raise AuthenticationError("This account has been deleted.", code="account_inactive")
    tokens = _logged_in(user, method=provider.id, event_type="auth.oauth_login", provider=provider.id, link=how)
    return user, tokens, how == "created"


# --- support actions (admin) ------------------------------------------------------------------------


def user_suspend(*, actor: User, user: User, reason: str = "") -> bool:
    """Suspend an active account and end its sessions. False if it was not active.

    Nobody suspends themself, and only a superuser suspends a superuser (ForbiddenError)."""
    refusal = None
    if user.pk == actor.pk:
        refusal = ("self", "You cannot suspend your own account.")
    elif user.is_superuser and not actor.is_superuser:
        refusal = ("superuser", "Only a superuser can suspend a superuser account.")
    if refusal is not None:
        record(
            event_type="admin.user_suspended", actor=actor, user=user, success=False,
            metadata={"reason": reason, "refused": refusal[0]},
        )  # fmt: skip
        raise ForbiddenError(refusal[1], code="suspend_forbidden")
    if not User.objects.filter(pk=user.pk, status=User.Status.ACTIVE).update(status=User.Status.SUSPENDED):
        return False
    user.status = User.Status.SUSPENDED
    revoked = _revoke_user(user=user, reason="suspended")
    record(
        event_type="admin.user_suspended", actor=actor, user=user, metadata={"reason": reason, "revoked_count": revoked}
    )
    return True


def user_reactivate(*, actor: User, user: User) -> bool:
    """Reactivate a suspended account (deleted accounts stay deleted)."""
    if not User.objects.filter(pk=user.pk, status=User.Status.SUSPENDED).update(status=User.Status.ACTIVE):
        return False
    user.status = User.Status.ACTIVE
    record(event_type="admin.user_reactivated", actor=actor, user=user)
    return True


def user_usage_reset(*, actor: User, user: User) -> None:
    """Zero the monthly counters of one user (support goodwill, billing fixes)."""
    from accounts.quotas import _users

    before = (_users().find_one({"_id": user.pk}, {"usage": 1}) or {}).get("usage") or {}
    _users().update_one(
        {"_id": user.pk},
        {"$set": {"usage.scrapes_this_month": 0, "usage.api_calls_this_month": 0, "usage.last_reset_at": _naive_utc()}},
    )
    record(
        event_type="admin.usage_reset", actor=actor, user=user,
        metadata={k: before.get(k) for k in ("scrapes_this_month", "api_calls_this_month")},
    )  # fmt: skip


def user_update_by_staff(*, actor: User, user: User, data: dict[str, Any]) -> list[str]:
    """Support edits from the admin form: profile, plan, staff flag. Never the usage counters."""
    allowed = ("name", "company", "avatar_url", "plan", "is_staff", "email_verified")
    before = User.objects.filter(pk=user.pk).values(*allowed).first() or {}
    changed = [f for f in allowed if f in data and before.get(f) != data[f]]
    for field in changed:
        setattr(user, field, data[field])
    if changed:
        user.save(update_fields=[*changed, "updated_at"])
        record(
            event_type="admin.user_changed", actor=actor, user=user,
            metadata={"fields": changed, **({"plan": [before.get("plan"), user.plan]} if "plan" in changed else {})},
        )  # fmt: skip
    return changed


@dataclass(frozen=True)
class AdminBootstrap:
    user: User
    created: bool
    fields: list[str]  # what changed (would change, on a dry run) on an existing account; "password" among them
    revoked_count: int = 0  # sessions ended because the password changed

    @property
    def password_changed(self) -> bool:
        return "password" in self.fields


def admin_bootstrap(
    *, email: str, password: str, name: str = "Administrator", update_password: bool = True, dry_run: bool = False
) -> AdminBootstrap:
    """Create the superuser ``email``, or bring that account up to date: active, verified, staff and
    superuser, and (with ``update_password``) its password set to ``password`` when it differs.

    A changed password ends every session of the account, as a password change does; a leaked
    password is rotated by running this again. Audited with actor "system" when anything changed;
    a dry run changes and records nothing. Raises ApplicationError ``password_required`` (creating
    without a password) and ValidationError on ``password`` (the password validators refuse it).
    """
    email = normalize_email(email)
    user = User.objects.filter(email=email).first()
    if user is None:
        if not password:
            raise ApplicationError(f"A password is required to create {email}.", code="password_required")
        _password_errors(password, User(email=email, name=name), "password")
        if dry_run:
            return AdminBootstrap(User(email=email, name=name), created=True, fields=[])
        user = User.objects.create_superuser(email, password, name=name, email_verified=True)
        record(event_type="account.admin_bootstrapped", actor=None, user=user, metadata={"created": True})
        return AdminBootstrap(user, created=True, fields=[])

    changed = [field for field, value in _ADMIN_STATE.items() if getattr(user, field) != value]
    new_password = bool(password) and update_password and not user.check_password(password)
    if new_password:
        _password_errors(password, user, "password")
    fields = changed + (["password"] if new_password else [])
    if dry_run or not fields:
        return AdminBootstrap(user, created=False, fields=fields)
    update_fields = list(changed)
    for field in changed:
        setattr(user, field, _ADMIN_STATE[field])
    if "status" in changed:  # a suspended or soft-deleted admin account is restored
        user.deleted_at = None
        update_fields.append("deleted_at")
    if new_password:
        user.set_password(password)
        update_fields.append("password")
    user.save(update_fields=[*update_fields, "updated_at"])
    revoked = _revoke_user(user=user, reason="password_changed") if new_password else 0
    record(
        event_type="account.admin_bootstrapped", actor=None, user=user,
        metadata={"created": False, "fields": fields, "revoked_count": revoked},
    )  # fmt: skip
    return AdminBootstrap(user, created=False, fields=fields, revoked_count=revoked)


def _naive_utc() -> datetime:
    return timezone.now().astimezone(UTC).replace(tzinfo=None)


def usage_reset_monthly(*, now: datetime | None = None) -> int:
    """Zero the monthly counters of every user whose last reset is in an earlier month (UTC).

    Idempotent and overlap-safe: the filter excludes users already reset this month, so a second
    run (or two cron hosts at once) changes nothing more.
    """
    from accounts.quotas import _users

    # Raw writes use naive UTC, as the backend stores DateTimeFields.
    now = (now or timezone.now()).astimezone(UTC).replace(tzinfo=None)
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    result = _users().update_many(
        {"$or": [{"usage.last_reset_at": None}, {"usage.last_reset_at": {"$lt": month_start}}]},
        {"$set": {"usage.scrapes_this_month": 0, "usage.api_calls_this_month": 0, "usage.last_reset_at": now}},
    )
    record(event_type="usage.monthly_reset", actor=None, metadata={"users": result.modified_count})
    return result.modified_count
