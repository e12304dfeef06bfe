"""LLM provider clients behind one interface (``LLMClient.complete(LLMRequest) -> LLMResponse``)."""

from integrations.llm.anthropic_messages import AnthropicClient
from integrations.llm.base import (
    FinishReason,
    LLMClient,
    LLMRequest,
    LLMResponse,
    classify_status_error,
    parse_retry_after,
    scrub_secrets,
)
from integrations.llm.factory import create_llm_client
from integrations.llm.openai_compatible import OpenAICompatibleClient

__all__ = [
    "AnthropicClient",
    "FinishReason",
    "LLMClient",
    "LLMRequest",
    "LLMResponse",
    "OpenAICompatibleClient",
    "classify_status_error",
    "create_llm_client",
    "parse_retry_after",
    "scrub_secrets",
]
