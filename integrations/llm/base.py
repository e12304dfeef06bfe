"""The one interface every LLM client implements, its frozen request/response types, and error mapping.

Clients are thin (style.md 1): the caller passes the key and base URL, gets an :class:`LLMResponse`, and
never sees an SDK object. SDK retries are off everywhere (``max_retries=0``): the analyzer and the Celery
task own retries, so a 429 is counted once and its ``Retry-After`` is honoured by the code that waits.
Errors are translated into the classes of ``results.analysis.types`` so the job can act on them (auth
marks the key invalid, rate limit and unavailable retry later, context overflow splits the batch).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal, Protocol

from integrations.catalogue import StructuredOutput
from results.analysis.types import (
    AnalysisError,
    ProviderAuthError,
    ProviderContextOverflowError,
    ProviderOutputError,
    ProviderQuotaError,
    ProviderRateLimitError,
    ProviderRequestError,
    ProviderUnavailableError,
)

__all__ = [
    "FinishReason",
    "LLMClient",
    "LLMRequest",
    "LLMResponse",
    "classify_status_error",
    "parse_retry_after",
    "scrub_secrets",
]

# Normalised over providers: OpenAI/Groq finish_reason, Anthropic stop_reason, Ollama done_reason.
FinishReason = Literal["stop", "length", "refusal", "content_filter", "other"]


@dataclass(frozen=True)
class LLMRequest:
    """One chat request: stable instructions in ``system``, the data block in ``user``.

    ``temperature`` None omits the parameter (models that reject a non-default value).
    ``json_schema`` is sent the way ``structured_output`` says; in ``json_object`` and ``prompt`` modes
    the caller must also describe the schema in the prompt.
    """

    model: str
    system: str
    user: str
    max_tokens: int
    temperature: float | None = None
    json_schema: Mapping[str, Any] | None = None
    schema_name: str = "record_analysis"
    structured_output: StructuredOutput = "prompt"
    reasoning_effort: str | None = None


@dataclass(frozen=True)
class LLMResponse:
    """``content`` is a dict when the provider returned structured data (Anthropic tool input), else text.

    ``input_tokens`` includes ``cached_tokens`` and ``cache_write_tokens`` (OpenAI's convention; the
    Anthropic client adds its separately reported cache counts in), so cost is computed the same way for
    every provider. ``usage_reported`` is False when the provider sent no usage block at all.
    """

    content: str | Mapping[str, Any]
    finish_reason: FinishReason
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    model: str
    latency_ms: float
    reasoning_tokens: int = 0
    cache_write_tokens: int = 0
    raw_finish_reason: str | None = None
    refusal: str | None = None
    usage_reported: bool = True


class LLMClient(Protocol):
    provider: str

    def complete(self, request: LLMRequest) -> LLMResponse: ...


# Key shapes of the providers we talk to, so a key echoed in an error body never reaches logs or storage.
_SECRET_PATTERNS = re.compile(
    r"(sk-ant-[A-Za-z0-9_\-]{8,}|sk-[A-Za-z0-9_\-*]{8,}|gsk_[A-Za-z0-9]{8,}|xai-[A-Za-z0-9]{8,}"
    r"|(?i:bearer)\s+[A-Za-z0-9._\-]{8,})"
)
_MAX_MESSAGE = 500


def scrub_secrets(text: str, *secrets: str | None) -> str:
    """Remove the given secrets and anything shaped like a provider key; cap the length."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    text = _SECRET_PATTERNS.sub("[redacted]", text)
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")


def _parse_duration(value: str) -> float | None:
    """Go-style durations used by OpenAI/Groq rate-limit reset headers: ``1m30s``, ``250ms``, ``6.5s``."""
    value = value.strip()
    parts = _DURATION_PART.findall(value)
    if not parts or "".join(n + u for n, u in parts) != value:
        return None
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    return sum(float(n) * scale[u] for n, u in parts)


def parse_retry_after(headers: Mapping[str, str] | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait, from ``retry-after-ms``, ``retry-after`` (seconds or HTTP date), or the
    ``x-ratelimit-reset-*`` headers; None when the provider gave no hint."""
    if not headers:
        return None
    lower = {k.lower(): v for k, v in headers.items()}
    raw_ms = lower.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000.0)
        except ValueError:
            pass
    raw = lower.get("retry-after")
    if raw:
        try:
            return max(0.0, float(raw))
        except ValueError:
            try:
                when = parsedate_to_datetime(raw)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                if when.tzinfo is None:
                    when = when.replace(tzinfo=UTC)
                return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
    resets = [
        d
        for d in (_parse_duration(lower.get(h, "")) for h in ("x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"))
        if d is not None
    ]
    return max(resets) if resets else None


_CONTEXT_OVERFLOW = re.compile(
    r"context[ _]length|context window|maximum context|prompt is too long|too many (input )?tokens"
    r"|input is too long|reduce the length|exceeds? (the )?(model'?s )?(maximum|max|context)",
    re.IGNORECASE,
)


def _error_fields(body: object) -> tuple[str | None, str | None, Mapping[str, Any]]:
    """(code, type, error object) from OpenAI-style ``{"code", "type"}`` or ``{"error": {...}}`` bodies."""
    if not isinstance(body, Mapping):
        return None, None, {}
    inner = body.get("error") if isinstance(body.get("error"), Mapping) else body
    code = inner.get("code")
    kind = inner.get("type")
    return (
        str(code) if code is not None else None,
        str(kind) if kind is not None else None,
        inner,
    )


def classify_status_error(
    status: int,
    headers: Mapping[str, str] | None,
    body: object,
    message: str,
    *,
    provider: str,
    api_key: str | None = None,
    now: Callable[[], datetime] | None = None,
) -> AnalysisError:
    """Map an HTTP error answer from any provider onto the analysis error classes."""
    code, kind, inner = _error_fields(body)
    text = scrub_secrets(f"{provider}: HTTP {status}: {message}", api_key)
    marker = f"{code or ''} {kind or ''} {message}"
    if status in (401, 403):
        return ProviderAuthError(text)
    if code == "insufficient_quota" or kind == "insufficient_quota":
        return ProviderQuotaError(text)
    if status == 429:
        return ProviderRateLimitError(text, retry_after=parse_retry_after(headers, now=now() if now else None))
    if code == "json_validate_failed":
        failed = inner.get("failed_generation")
        return ProviderOutputError(text, failed_output=failed if isinstance(failed, str) else None)
    overflow_text = status in (400, 422) and _CONTEXT_OVERFLOW.search(marker) is not None
    if status == 413 or code == "context_length_exceeded" or overflow_text:
        # 413 is also Groq's "request too large for your tokens-per-minute limit": a smaller batch fixes both.
        return ProviderContextOverflowError(text)
    if status in (408, 409) or status >= 500:
        return ProviderUnavailableError(text, retry_after=parse_retry_after(headers, now=now() if now else None))
    return ProviderRequestError(text)


def call_sdk(sdk_module: Any, create: Callable[[], Any], *, provider: str, api_key: str | None) -> Any:
    """Run one SDK call and turn the SDK's errors into our classified ones.

    The openai and anthropic SDKs share their error hierarchy (both generated by Stainless):
    ``APITimeoutError``, ``APIConnectionError`` and ``APIStatusError`` with response and body.
    """
    try:
        return create()
    except sdk_module.APITimeoutError:
        raise ProviderUnavailableError(f"{provider}: request timed out") from None
    except sdk_module.APIConnectionError as exc:
        raise ProviderUnavailableError(
            scrub_secrets(f"{provider}: connection error: {exc.__cause__ or exc}", api_key)
        ) from None
    except sdk_module.APIStatusError as exc:
        raise classify_status_error(
            exc.status_code, exc.response.headers, exc.body, exc.message, provider=provider, api_key=api_key
        ) from None
