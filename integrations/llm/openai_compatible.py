"""OpenAI and every OpenAI-compatible provider (Groq, Together, OpenRouter, Mistral, DeepSeek, Ollama's /v1)
through the ``openai`` SDK with an explicit ``base_url``."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import openai

from integrations.llm.base import FinishReason, LLMRequest, LLMResponse, call_sdk
from results.analysis.types import ProviderOutputError

__all__ = ["OpenAICompatibleClient"]

_FINISH: Mapping[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "content_filter": "content_filter",
    "tool_calls": "stop",
    "function_call": "stop",
    "eos": "stop",  # some compatible servers
}
# The SDK refuses to start without a key; local servers (Ollama) ignore whatever is sent.
_NO_KEY_PLACEHOLDER = "no-key"  # noqa: S105 - not a secret


class OpenAICompatibleClient:
    """Chat Completions client. ``max_tokens_param`` comes from the catalogue: OpenAI's newer models only
    accept ``max_completion_tokens``; several compatible servers only know ``max_tokens``."""

    def __init__(
        self,
        *,
        provider: str,
        api_key: str | None,
        base_url: str,
        max_tokens_param: str = "max_tokens",
        timeout: float = 60.0,
        http_client: httpx.Client | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.provider = provider
        self._api_key = api_key
        self._max_tokens_param = max_tokens_param
        self._clock = clock
        self._sdk = openai.OpenAI(
            api_key=api_key or _NO_KEY_PLACEHOLDER,
            base_url=base_url,
            timeout=timeout,
            max_retries=0,  # the caller owns retries
            http_client=http_client,
            # The SDK would otherwise add OPENAI_ORG_ID / OPENAI_PROJECT_ID from the server's environment:
            # the operator's organisation must never travel with a tenant's key or to another provider.
            default_headers={"OpenAI-Organization": openai.omit, "OpenAI-Project": openai.omit},
        )

    def __repr__(self) -> str:  # never show the key
        return f"OpenAICompatibleClient(provider={self.provider!r}, base_url={str(self._sdk.base_url)!r})"

    def _kwargs(self, request: LLMRequest) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "model": request.model,
            "messages": [
                {"role": "system", "content": request.system},
                {"role": "user", "content": request.user},
            ],
            self._max_tokens_param: request.max_tokens,
        }
        if request.temperature is not None:
            kwargs["temperature"] = request.temperature
        if request.reasoning_effort:
            kwargs["reasoning_effort"] = request.reasoning_effort
        mode = request.structured_output
        if mode in ("json_schema_strict", "json_schema"):
            if request.json_schema is None:
                raise ValueError(f"structured_output={mode!r} needs a json_schema")
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": request.schema_name,
                    "strict": mode == "json_schema_strict",
                    "schema": dict(request.json_schema),
                },
            }
        elif mode == "json_object":
            kwargs["response_format"] = {"type": "json_object"}
        elif mode != "prompt":
            raise ValueError(f"{self.provider}: structured_output={mode!r} is not supported by Chat Completions")
        return kwargs

    def complete(self, request: LLMRequest) -> LLMResponse:
        kwargs = self._kwargs(request)
        started = self._clock()
        completion = call_sdk(
            openai, lambda: self._sdk.chat.completions.create(**kwargs), provider=self.provider, api_key=self._api_key
        )
        latency_ms = (self._clock() - started) * 1000.0
        if not completion.choices:
            raise ProviderOutputError(f"{self.provider}: the answer had no choices")
        choice = completion.choices[0]
        message = choice.message
        refusal = getattr(message, "refusal", None)
        raw_finish = choice.finish_reason
        finish: FinishReason = _FINISH.get(raw_finish or "", "other")
        if refusal:
            finish = "refusal"
        usage = completion.usage
        cached = reasoning = 0
        if usage is not None:
            details = getattr(usage, "prompt_tokens_details", None)
            cached = (getattr(details, "cached_tokens", None) or 0) if details is not None else 0
            out_details = getattr(usage, "completion_tokens_details", None)
            reasoning = (getattr(out_details, "reasoning_tokens", None) or 0) if out_details is not None else 0
        return LLMResponse(
            content=message.content or "",
            finish_reason=finish,
            input_tokens=(usage.prompt_tokens or 0) if usage else 0,
            output_tokens=(usage.completion_tokens or 0) if usage else 0,
            cached_tokens=cached,
            model=completion.model or request.model,
            latency_ms=latency_ms,
            reasoning_tokens=reasoning,
            raw_finish_reason=raw_finish,
            refusal=refusal or None,
            usage_reported=usage is not None,
        )
