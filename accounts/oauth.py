"""OAuth 2.0 social login clients (Google, GitHub): authorization-code flow with PKCE S256.

Pure: no model imports. Endpoints come from settings (``OAUTH_<PROVIDER>_*_URL``) so tests and
staging can point them at fakes; a provider is enabled only when its client id *and* secret are
set. ``accounts.services.oauth_start`` / ``oauth_complete`` keep the state server-side and link
the identity to a user.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
from django.conf import settings


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    scopes: tuple[str, ...]

    @property
    def redirect_uri(self) -> str:
        # One exact redirect URI per provider (registered with the provider): the frontend page
        # that receives ?code&state and POSTs them to our callback endpoint. Distinct per
        # provider, which with the provider bound to the state defeats mix-up attacks.
        base = settings.OAUTH_REDIRECT_BASE_URL.rstrip("/")
        return f"{base}/oauth/{self.id}/callback"


@dataclass(frozen=True)
class Identity:
    provider: str
    subject: str  # the provider's stable user id
    email: str | None
    email_verified: bool
    name: str
    avatar_url: str


class OAuthError(Exception):
    """The provider refused or failed. ``unavailable`` marks its outages (5xx, timeouts)."""

    def __init__(self, message: str, *, unavailable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.unavailable = unavailable


PROVIDER_IDS = ("google", "github")
_NAMES = {"google": "Google", "github": "GitHub"}
_SCOPES = {"google": ("openid", "email", "profile"), "github": ("read:user", "user:email")}


def provider_get(provider_id: str) -> Provider | None:
    """The provider if it is known and configured, else None."""
    if provider_id not in PROVIDER_IDS:
        return None
    prefix = f"OAUTH_{provider_id.upper()}_"
    client_id = getattr(settings, prefix + "CLIENT_ID", "")
    client_secret = getattr(settings, prefix + "CLIENT_SECRET", "")
    if not client_id or not client_secret:
        return None
    return Provider(
        id=provider_id,
        name=_NAMES[provider_id],
        client_id=client_id,
        client_secret=client_secret,
        authorize_url=getattr(settings, prefix + "AUTHORIZE_URL"),
        token_url=getattr(settings, prefix + "TOKEN_URL"),
        scopes=_SCOPES[provider_id],
    )


def providers_enabled() -> list[Provider]:
    return [p for pid in PROVIDER_IDS if (p := provider_get(pid)) is not None]


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge), RFC 7636 §4.1-4.2."""
    verifier = secrets.token_urlsafe(48)  # 64 characters of [A-Za-z0-9_-]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorization_url(provider: Provider, *, state: str, code_challenge: str) -> str:
    params = {
        "client_id": provider.client_id,
        "redirect_uri": provider.redirect_uri,
        "response_type": "code",
        "scope": " ".join(provider.scopes),
        "state": state,
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
    }
    if provider.id == "google":
        params["prompt"] = "select_account"
    if provider.id == "github":
        params["allow_signup"] = "true"
    return f"{provider.authorize_url}?{urlencode(params)}"


def _client() -> httpx.Client:
    return httpx.Client(timeout=settings.OAUTH_HTTP_TIMEOUT, follow_redirects=False)


def _json(response: httpx.Response, what: str) -> object:
    if response.status_code >= 500 or response.status_code == 429:
        raise OAuthError(f"{what} failed at the provider (HTTP {response.status_code}); try again.", unavailable=True)
    if response.status_code >= 400:
        raise OAuthError(f"{what} was refused by the provider (HTTP {response.status_code}); start the sign-in again.")
    try:
        return response.json()
    except ValueError as exc:
        raise OAuthError(f"{what}: the provider's answer was not JSON.", unavailable=True) from exc


def _exchange(http: httpx.Client, provider: Provider, *, code: str, code_verifier: str) -> str:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": provider.redirect_uri,
        "client_id": provider.client_id,
        "client_secret": provider.client_secret,
        "code_verifier": code_verifier,
    }
    response = http.post(provider.token_url, data=data, headers={"Accept": "application/json"})
    body = _json(response, "The code exchange")
    # GitHub answers errors such as bad_verification_code with HTTP 200 and an "error" field.
    if not isinstance(body, dict) or body.get("error") or not isinstance(body.get("access_token"), str):
        error = body.get("error") if isinstance(body, dict) else None
        raise OAuthError(f"The provider did not accept the code ({error or 'no access token'}); start again.")
    return body["access_token"]


def _google_identity(http: httpx.Client, token: str) -> Identity:
    body = _json(
        http.get(settings.OAUTH_GOOGLE_USERINFO_URL, headers={"Authorization": f"Bearer {token}"}),
        "Reading the profile",
    )
    if not isinstance(body, dict) or not body.get("sub"):
        raise OAuthError("Google returned a profile without an id.")
    return Identity(
        provider="google",
        subject=str(body["sub"]),
        email=body.get("email") if isinstance(body.get("email"), str) else None,
        email_verified=body.get("email_verified") is True,
        name=str(body.get("name") or ""),
        avatar_url=str(body.get("picture") or ""),
    )


def _github_identity(http: httpx.Client, token: str) -> Identity:
    api = settings.OAUTH_GITHUB_API_URL.rstrip("/")
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json"}
    user = _json(http.get(f"{api}/user", headers=headers), "Reading the profile")
    if not isinstance(user, dict) or user.get("id") is None:
        raise OAuthError("GitHub returned a profile without an id.")
    emails = _json(http.get(f"{api}/user/emails", headers=headers), "Reading the e-mail addresses")
    if not isinstance(emails, list):
        emails = []
    verified = [
        e for e in emails if isinstance(e, dict) and e.get("verified") is True and isinstance(e.get("email"), str)
    ]
    verified.sort(key=lambda e: not e.get("primary"))  # the primary address first
    return Identity(
        provider="github",
        subject=str(user["id"]),
        email=verified[0]["email"] if verified else None,
        email_verified=bool(verified),
        name=str(user.get("name") or user.get("login") or ""),
        avatar_url=str(user.get("avatar_url") or ""),
    )


def exchange_and_identify(provider: Provider, *, code: str, code_verifier: str) -> Identity:
    """Trade the authorization code for an access token and read who the user is."""
    try:
        with _client() as http:
            token = _exchange(http, provider, code=code, code_verifier=code_verifier)
            if provider.id == "google":
                return _google_identity(http, token)
            return _github_identity(http, token)
    except httpx.HTTPError as exc:
        raise OAuthError(
            f"{provider.name} could not be reached ({type(exc).__name__}); try again.", unavailable=True
        ) from exc
