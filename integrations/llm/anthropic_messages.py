"""Anthropic Messages API through the ``anthropic`` SDK; structured output through a forced tool
(analysis.md 4.4): the tool's ``input_schema`` is the answer schema and the ``tool_use`` block's ``input``
is the answer."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import anthropic
import httpx

from integrations.llm.base import FinishReason, LLMRequest, LLMResponse, call_sdk

__all__ = ["AnthropicClient"]

_FINISH: Mapping[str, FinishReason] = {
    "end_turn": "stop",
    "tool_use": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    # The answer ran into the context window: as with max_tokens, a smaller batch is the fix.
    "model_context_window_exceeded": "length",
    "refusal": "refusal",
}
_TOOL_DESCRIPTION = "Record the analysis of every review in the data block. Call exactly once."


class AnthropicClient:
    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        timeout: float = 60.0,
        http_client: httpx.Client | None = None,
        clock: Callable[[], float] = time.perf_counter,
        provider: str = "anthropic",
    ) -> None:
        if not api_key:
            raise ValueError("anthropic needs an API key")
        self.provider = provider
        self._api_key = api_key
        self._clock = clock
        # An explicit api_key stops the SDK from reading ANTHROPIC_* credentials or profiles from the host.
        self._sdk = anthropic.Anthropic(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0, http_client=http_client
        )

    def __repr__(self) -> str:  # never show the key
        return f"AnthropicClient(provider={self.provider!r}, base_url={str(self._sdk.base_url)!r})"

    def _kwargs(self, request: LLMRequest) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "model": request.model,
            "max_tokens": request.max_tokens,
            "system": request.system,
            "messages": [{"role": "user", "content": request.user}],
        }
        if request.temperature is not None:
            kwargs["temperature"] = request.temperature
        if request.structured_output == "tool":
            if request.json_schema is None:
                raise ValueError("structured_output='tool' needs a json_schema")
            kwargs["tools"] = [
                {
                    "name": request.schema_name,
                    "description": _TOOL_DESCRIPTION,
                    "input_schema": dict(request.json_schema),
                }
            ]
            kwargs["tool_choice"] = {"type": "tool", "name": request.schema_name}
        elif request.structured_output not in ("prompt", "json_object"):
            # json_object has no Anthropic equivalent; it degrades to prompt-only, which the caller validates.
            raise ValueError(f"anthropic: structured_output={request.structured_output!r} is not supported")
        return kwargs

    def complete(self, request: LLMRequest) -> LLMResponse:
        kwargs = self._kwargs(request)
        started = self._clock()
        message = call_sdk(
            anthropic, lambda: self._sdk.messages.create(**kwargs), provider=self.provider, api_key=self._api_key
        )
        latency_ms = (self._clock() - started) * 1000.0

        content: str | Mapping[str, Any] = ""
        texts: list[str] = []
        for block in message.content:
            if block.type == "tool_use" and block.name == request.schema_name and isinstance(block.input, Mapping):
                content = dict(block.input)
                break
            if block.type == "text":
                texts.append(block.text)
        else:
            content = "".join(texts)

        usage = message.usage
        cache_read = usage.cache_read_input_tokens or 0
        cache_write = usage.cache_creation_input_tokens or 0
        raw_finish = message.stop_reason
        return LLMResponse(
            content=content,
            finish_reason=_FINISH.get(raw_finish or "", "other"),
            # Anthropic reports uncached input, cache reads and cache writes separately; add them up so
            # input_tokens means "all prompt tokens" for every provider.
            input_tokens=(usage.input_tokens or 0) + cache_read + cache_write,
            output_tokens=usage.output_tokens or 0,
            cached_tokens=cache_read,
            cache_write_tokens=cache_write,
            model=message.model or request.model,
            latency_ms=latency_ms,
            raw_finish_reason=raw_finish,
            refusal=None,
        )
