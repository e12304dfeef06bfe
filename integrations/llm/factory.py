"""Build the right client for a catalogue provider id."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from integrations.catalogue import Catalogue, get_catalogue
from integrations.llm.anthropic_messages import AnthropicClient
from integrations.llm.base import LLMClient
from integrations.llm.openai_compatible import OpenAICompatibleClient

__all__ = ["create_llm_client"]


def create_llm_client(
    provider: str,
    *,
    api_key: str | None,
    base_url: str | None = None,
    timeout: float = 60.0,
    catalogue: Catalogue | None = None,
    http_client: httpx.Client | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> LLMClient:
    """Client for ``provider`` (a catalogue id). ``base_url`` None uses the catalogue default; the Django
    layer passes its settings value so a local fixture server or a proxy can stand in.

    Raises ``UnknownProviderError`` for an unknown id and ValueError when a required key is missing.
    """
    entry = (catalogue or get_catalogue()).llm_provider(provider)
    if entry.requires_key and not api_key:
        raise ValueError(f"{provider} needs an API key")
    url = base_url or entry.default_base_url
    if entry.api_style == "anthropic":
        return AnthropicClient(
            api_key=api_key or "",
            base_url=url,
            timeout=timeout,
            http_client=http_client,
            clock=clock,
            provider=provider,
        )
    return OpenAICompatibleClient(
        provider=provider,
        api_key=api_key,
        base_url=url,
        max_tokens_param=entry.max_tokens_param,
        timeout=timeout,
        http_client=http_client,
        clock=clock,
    )
