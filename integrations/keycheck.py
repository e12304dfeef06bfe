"""One cheap, read-only call per provider to tell whether a stored key works (pure: no models, no settings).

Every check costs nothing or next to nothing on the provider's side: listing models (LLM providers), the
account endpoint (ScraperAPI, Apify), one 1-unit YouTube call, and a Places Details request with an ids-only
field mask. The outcome is ``valid``, ``invalid`` (the provider refused the key: its message is kept, scrubbed
of anything key-shaped) or ``unavailable`` (timeouts, 5xx, rate limits: say nothing about the key).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from integrations.catalogue import Catalogue, UnknownProviderError, get_catalogue
from integrations.llm.base import scrub_secrets

__all__ = ["ANTHROPIC_VERSION", "KeyCheck", "check_key"]

ANTHROPIC_VERSION = "2023-06-01"
# A well-known public place (Google's Sydney office, the id used in Google's own docs): an ids-only Place
# Details request is in the free "IDs only" tier.
_PLACES_PROBE_ID = "ChIJN1t_tDeuEmsRUsoyG83frY4"

Outcome = Literal["valid", "invalid", "unavailable"]


@dataclass(frozen=True)
class KeyCheck:
    outcome: Outcome
    message: str
    status_code: int | None = None

    @property
    def is_valid(self) -> bool | None:
        return {"valid": True, "invalid": False}.get(self.outcome)


def _request_for(
    provider: str, key: str | None, base_url: str, catalogue: Catalogue
) -> tuple[str, dict[str, str], dict[str, str]]:
    """(url, headers, query params) of the probe. Keys travel in headers wherever the provider allows it."""
    base = base_url.rstrip("/")
    if provider in catalogue.llm_providers:
        style = catalogue.llm_providers[provider].api_style
        if style == "anthropic":
            return (
                f"{base}/v1/models",
                {"x-api-key": key or "", "anthropic-version": ANTHROPIC_VERSION},
                {"limit": "1"},
            )
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return f"{base}/models", headers, {}
    if provider == "scraperapi":
        return f"{base}/account", {}, {"api_key": key or ""}  # ScraperAPI only takes the key as a parameter
    if provider == "apify":
        return f"{base}/users/me", {"Authorization": f"Bearer {key}"}, {}
    if provider == "youtube":
        return f"{base}/i18nLanguages", {"X-Goog-Api-Key": key or ""}, {"part": "snippet", "hl": "en"}
    if provider == "google":
        return f"{base}/places/{_PLACES_PROBE_ID}", {"X-Goog-Api-Key": key or "", "X-Goog-FieldMask": "id"}, {}
    raise UnknownProviderError(provider)


def _message_of(response: httpx.Response) -> str:
    try:
        body: Any = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        body = None
    candidates: list[Any] = []
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            candidates += [error.get("message"), error.get("description"), error.get("type")]
        candidates += [error if isinstance(error, str) else None, body.get("message"), body.get("detail")]
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()
    text = response.text.strip()
    return text[:300] if text else f"HTTP {response.status_code}"


def check_key(
    provider: str,
    key: str | None,
    *,
    base_url: str | None = None,
    timeout: float = 10.0,
    catalogue: Catalogue | None = None,
    http_client: httpx.Client | None = None,
) -> KeyCheck:
    """Probe ``provider`` with ``key``. Never raises for network or provider trouble."""
    cat = catalogue or get_catalogue()
    if provider in cat.llm_providers:
        default_base = cat.llm_providers[provider].default_base_url
    elif provider in cat.services:
        default_base = cat.services[provider].default_base_url
    else:
        raise UnknownProviderError(provider)
    url, headers, params = _request_for(provider, key, base_url or default_base, cat)
    client = http_client or httpx.Client(timeout=timeout, follow_redirects=False)
    try:
        response = client.get(url, headers=headers, params=params)
    except httpx.TimeoutException:
        return KeyCheck("unavailable", f"{provider} did not answer within {timeout:g} s; try again later")
    except httpx.HTTPError as exc:
        return KeyCheck("unavailable", scrub_secrets(f"could not reach {provider}: {exc}", key))
    finally:
        if http_client is None:
            client.close()

    status = response.status_code
    if 200 <= status < 300:
        return KeyCheck("valid", "The provider accepted the key.", status)
    message = scrub_secrets(f"{provider}: {_message_of(response)}", key)
    if status in (400, 401, 403):
        # Google answers a bad key with 400 API_KEY_INVALID; the probe itself is fixed and well-formed.
        return KeyCheck("invalid", message, status)
    if status == 429 and "insufficient_quota" in response.text:
        return KeyCheck("invalid", message, status)  # the key works but can never be used until billing is fixed
    return KeyCheck("unavailable", f"{message} (HTTP {status}); the key was not judged", status)
