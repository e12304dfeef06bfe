"""LLM clients against faked provider HTTP (respx under the real SDKs): request shape, parsing, errors."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from integrations.llm import (
    AnthropicClient,
    LLMRequest,
    OpenAICompatibleClient,
    create_llm_client,
    parse_retry_after,
    scrub_secrets,
)
from results.analysis.types import (
    ProviderAuthError,
    ProviderContextOverflowError,
    ProviderOutputError,
    ProviderQuotaError,
    ProviderRateLimitError,
    ProviderRequestError,
    ProviderUnavailableError,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "llm"
BASE = "http://llm.test/v1"
KEY = "sk-test-abcdefghijklmnopqrstuvwxyzWXYZ"
SCHEMA = {
    "type": "object",
    "properties": {"results": {"type": "array", "items": {"type": "string"}}},
    "required": ["results"],
    "additionalProperties": False,
}


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def chat(template: str, content: str, *, usage: dict[str, Any] | None = None, finish: str = "stop") -> dict:
    body = copy.deepcopy(fixture(template))
    body["choices"][0]["message"]["content"] = content
    body["choices"][0]["finish_reason"] = finish
    if usage:
        for key, value in usage.items():
            if isinstance(value, dict):
                body["usage"].setdefault(key, {}).update(value)
            else:
                body["usage"][key] = value
    return body


def ticking_clock(step: float = 0.25):
    state = {"t": 100.0}

    def clock() -> float:
        state["t"] += step
        return state["t"]

    return clock


def request(**overrides: Any) -> LLMRequest:
    fields: dict[str, Any] = {
        "model": "gpt-4o-mini",
        "system": "Be brief.",
        "user": "<<<REVIEWS\n[]\nREVIEWS>>>",
        "max_tokens": 1000,
        "temperature": 0.3,
        "json_schema": SCHEMA,
        "structured_output": "json_schema_strict",
    }
    fields.update(overrides)
    return LLMRequest(**fields)


def openai_client(**kwargs: Any) -> OpenAICompatibleClient:
    params: dict[str, Any] = {
        "provider": "openai",
        "api_key": KEY,
        "base_url": BASE,
        "max_tokens_param": "max_completion_tokens",
        "clock": ticking_clock(),
    }
    params.update(kwargs)
    return OpenAICompatibleClient(**params)


# ------------------------------------------------------------------------------------------ OpenAI family


@respx.mock
def test_openai_request_shape_and_response(monkeypatch: pytest.MonkeyPatch) -> None:
    # The operator's organisation must not be sent along with a tenant's key.
    monkeypatch.setenv("OPENAI_ORG_ID", "org-operator")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-operator")
    answer = chat(
        "openai_chat_completion.json",
        '{"results": ["a"]}',
        usage={
            "prompt_tokens": 1312,
            "completion_tokens": 96,
            "prompt_tokens_details": {"cached_tokens": 1024},
            "completion_tokens_details": {"reasoning_tokens": 12},
        },
    )
    route = respx.post(f"{BASE}/chat/completions").mock(return_value=httpx.Response(200, json=answer))

    response = openai_client().complete(request())

    assert route.call_count == 1
    sent = route.calls.last.request
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert "openai-organization" not in sent.headers
    assert "openai-project" not in sent.headers
    body = json.loads(sent.content)
    assert body == {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "<<<REVIEWS\n[]\nREVIEWS>>>"},
        ],
        "max_completion_tokens": 1000,
        "temperature": 0.3,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "record_analysis", "strict": True, "schema": SCHEMA},
        },
    }
    assert response.content == '{"results": ["a"]}'
    assert response.finish_reason == "stop"
    assert (response.input_tokens, response.output_tokens, response.cached_tokens) == (1312, 96, 1024)
    assert response.reasoning_tokens == 12
    assert response.model == "gpt-4o-mini-2024-07-18"
    assert response.latency_ms == 250.0
    assert response.usage_reported is True


@respx.mock
def test_compatible_provider_json_object_mode_and_max_tokens_param() -> None:
    answer = chat("groq_chat_completion.json", "{}", usage={"prompt_tokens": 50, "completion_tokens": 5})
    route = respx.post("http://llm.test/openai/v1/chat/completions").mock(return_value=httpx.Response(200, json=answer))
    client = create_llm_client("groq", api_key="gsk_abcdefghijklmnop", base_url="http://llm.test/openai/v1")

    response = client.complete(request(model="llama-3.3-70b-versatile", structured_output="json_object"))

    body = json.loads(route.calls.last.request.content)
    assert body["response_format"] == {"type": "json_object"}
    assert body["max_completion_tokens"] == 1000
    assert "max_tokens" not in body
    # Groq reports no cached/reasoning details: zeros, not an error.
    assert (response.input_tokens, response.output_tokens, response.cached_tokens, response.reasoning_tokens) == (
        50,
        5,
        0,
        0,
    )


@respx.mock
def test_together_uses_max_tokens_and_best_effort_schema_and_omits_temperature() -> None:
    answer = chat("openai_chat_completion.json", "{}")
    route = respx.post(f"{BASE}/chat/completions").mock(return_value=httpx.Response(200, json=answer))
    client = create_llm_client("together", api_key="tg-key-123456789", base_url=BASE)

    client.complete(request(structured_output="json_schema", temperature=None, reasoning_effort="low"))

    body = json.loads(route.calls.last.request.content)
    assert body["max_tokens"] == 1000
    assert "temperature" not in body
    assert body["reasoning_effort"] == "low"
    assert body["response_format"]["json_schema"]["strict"] is False


@respx.mock
def test_prompt_mode_sends_no_response_format() -> None:
    route = respx.post(f"{BASE}/chat/completions").mock(
        return_value=httpx.Response(200, json=chat("openai_chat_completion.json", "{}"))
    )
    openai_client().complete(request(structured_output="prompt", json_schema=None))
    assert "response_format" not in json.loads(route.calls.last.request.content)


def test_openai_client_rejects_tool_mode() -> None:
    with pytest.raises(ValueError, match="not supported"):
        openai_client().complete(request(structured_output="tool"))


@respx.mock
@pytest.mark.parametrize(
    ("finish", "refusal", "expected"),
    [("length", None, "length"), ("content_filter", None, "content_filter"), ("stop", "I can't help", "refusal")],
)
def test_finish_reasons_are_normalised(finish: str, refusal: str | None, expected: str) -> None:
    answer = chat("openai_chat_completion.json", '{"results": [', finish=finish)
    answer["choices"][0]["message"]["refusal"] = refusal
    respx.post(f"{BASE}/chat/completions").mock(return_value=httpx.Response(200, json=answer))
    response = openai_client().complete(request())
    assert response.finish_reason == expected
    assert response.raw_finish_reason == finish
    assert response.refusal == refusal


@respx.mock
def test_missing_usage_is_reported_as_such() -> None:
    answer = chat("ollama_chat_completion.json", "{}")
    del answer["usage"]
    respx.post(f"{BASE}/chat/completions").mock(return_value=httpx.Response(200, json=answer))
    response = openai_client(provider="ollama", api_key=None).complete(request())
    assert response.usage_reported is False
    assert (response.input_tokens, response.output_tokens) == (0, 0)


@respx.mock
def test_ollama_through_v1_needs_no_key_and_reports_length() -> None:
    answer = chat(
        "ollama_chat_completion.json", '{"results": [', usage={"prompt_tokens": 700, "completion_tokens": 300}
    )
    answer["choices"][0]["finish_reason"] = "length"
    route = respx.post(f"{BASE}/chat/completions").mock(return_value=httpx.Response(200, json=answer))
    client = create_llm_client("ollama", api_key=None, base_url=BASE)

    response = client.complete(request(model="llama3.2", structured_output="json_schema"))

    body = json.loads(route.calls.last.request.content)
    assert body["max_tokens"] == 1000
    assert body["response_format"]["type"] == "json_schema"
    assert response.finish_reason == "length"
    assert (response.input_tokens, response.output_tokens) == (700, 300)


# ------------------------------------------------------------------------------------------------ errors


def _error_case(status: int, fixture_name: str | None, headers: dict[str, str] | None = None) -> httpx.Response:
    body = fixture(fixture_name) if fixture_name else {"error": {"message": "nope"}}
    return httpx.Response(status, json=body, headers=headers or {})


@respx.mock
@pytest.mark.parametrize(
    ("status", "fixture_name", "headers", "error", "retry_after"),
    [
        (401, "openai_error_401_invalid_key.json", None, ProviderAuthError, None),
        (403, None, None, ProviderAuthError, None),
        (429, "openai_error_429_rate_limit.json", {"retry-after": "7"}, ProviderRateLimitError, 7.0),
        (429, "openai_error_429_rate_limit.json", {"retry-after-ms": "570"}, ProviderRateLimitError, 0.57),
        (429, "openai_error_429_rate_limit.json", {"x-ratelimit-reset-tokens": "1m6.5s"}, ProviderRateLimitError, 66.5),
        (429, "openai_error_429_rate_limit.json", None, ProviderRateLimitError, None),
        (429, "openai_error_429_insufficient_quota.json", None, ProviderQuotaError, None),
        (400, "openai_error_400_context_length.json", None, ProviderContextOverflowError, None),
        (413, "groq_error_413_too_large.json", None, ProviderContextOverflowError, None),
        (404, "openai_error_404_model.json", None, ProviderRequestError, None),
        (500, "openai_error_500.json", None, ProviderUnavailableError, None),
        (503, "openai_error_500.json", {"retry-after": "2"}, ProviderUnavailableError, 2.0),
    ],
)
def test_openai_status_errors_are_classified_without_sdk_retries(
    status, fixture_name, headers, error, retry_after
) -> None:
    route = respx.post(f"{BASE}/chat/completions").mock(return_value=_error_case(status, fixture_name, headers))
    with pytest.raises(error) as caught:
        openai_client().complete(request())
    assert route.call_count == 1  # max_retries=0: the caller owns retries
    assert caught.value.retry_after == retry_after
    assert KEY not in str(caught.value)
    assert "WXYZ" not in str(caught.value)  # the masked key echoed by OpenAI is scrubbed too
    assert str(status) in str(caught.value)


@respx.mock
def test_groq_json_validate_failed_carries_the_failed_generation() -> None:
    body = fixture("groq_error_400_json_validate_failed.json")
    body["error"]["failed_generation"] = '{"results": [{"id": "r01", "sentiment": "positive"'
    respx.post(f"{BASE}/chat/completions").mock(return_value=httpx.Response(400, json=body))
    with pytest.raises(ProviderOutputError) as caught:
        openai_client(provider="groq").complete(request(structured_output="json_object"))
    assert caught.value.failed_output == '{"results": [{"id": "r01", "sentiment": "positive"'


@respx.mock
@pytest.mark.parametrize(
    "exc", [httpx.ReadTimeout("slow"), httpx.ConnectError("refused"), httpx.RemoteProtocolError("eof")]
)
def test_transport_failures_are_unavailable(exc: Exception) -> None:
    route = respx.post(f"{BASE}/chat/completions").mock(side_effect=exc)
    with pytest.raises(ProviderUnavailableError):
        openai_client().complete(request())
    assert route.call_count == 1


def test_retry_after_parsing() -> None:
    now = datetime(2026, 11, 23, 9, 0, 0, tzinfo=UTC)
    assert parse_retry_after({"Retry-After": "Mon, 23 Nov 2026 09:00:30 GMT"}, now=now) == 30.0
    assert parse_retry_after({"Retry-After": "Mon, 23 Nov 2026 08:59:00 GMT"}, now=now) == 0.0
    assert parse_retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert parse_retry_after({"x-ratelimit-reset-requests": "250ms", "x-ratelimit-reset-tokens": "2s"}) == 2.0
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


def test_scrub_secrets() -> None:
    text = f"bad key {KEY}; also gsk_ABCDEFGH12345678 and Bearer abc.def-ghijkl and sk-ant-api03-xyzxyzxyz"
    scrubbed = scrub_secrets(text, KEY)
    assert scrubbed == "bad key [redacted]; also [redacted] and [redacted] and [redacted]"
    assert len(scrub_secrets("x" * 2000)) == 500


# ---------------------------------------------------------------------------------------------- Anthropic


def anthropic_client() -> AnthropicClient:
    return AnthropicClient(api_key="sk-ant-test-key-1234567890", base_url="http://llm.test", clock=ticking_clock(0.5))


@respx.mock
def test_anthropic_forced_tool_request_and_tool_input_answer() -> None:
    answer = fixture("anthropic_message_tool_use.json")
    answer["content"][0]["input"] = {"results": ["a", "b"]}
    answer["usage"].update(
        {"input_tokens": 210, "cache_read_input_tokens": 1000, "cache_creation_input_tokens": 0, "output_tokens": 77}
    )
    route = respx.post("http://llm.test/v1/messages").mock(return_value=httpx.Response(200, json=answer))

    response = anthropic_client().complete(request(model="claude-haiku-4-5-20251001", structured_output="tool"))

    sent = route.calls.last.request
    assert sent.headers["x-api-key"] == "sk-ant-test-key-1234567890"
    body = json.loads(sent.content)
    assert body["tools"] == [
        {
            "name": "record_analysis",
            "description": "Record the analysis of every review in the data block. Call exactly once.",
            "input_schema": SCHEMA,
        }
    ]
    assert body["tool_choice"] == {"type": "tool", "name": "record_analysis"}
    assert body["system"] == "Be brief."
    assert body["messages"] == [{"role": "user", "content": "<<<REVIEWS\n[]\nREVIEWS>>>"}]
    assert (body["max_tokens"], body["temperature"]) == (1000, 0.3)
    assert response.content == {"results": ["a", "b"]}
    assert response.finish_reason == "stop"
    assert response.raw_finish_reason == "tool_use"
    # input_tokens counts every prompt token, cached reads included (OpenAI's convention).
    assert (response.input_tokens, response.cached_tokens, response.output_tokens) == (1210, 1000, 77)
    assert response.latency_ms == 500.0


@respx.mock
def test_anthropic_max_tokens_is_length_and_text_fallback() -> None:
    answer = fixture("anthropic_message_tool_use.json")
    answer["content"] = [{"type": "text", "text": '{"results": ['}]
    answer["stop_reason"] = "max_tokens"
    respx.post("http://llm.test/v1/messages").mock(return_value=httpx.Response(200, json=answer))
    response = anthropic_client().complete(request(model="claude-haiku-4-5-20251001", structured_output="tool"))
    assert response.finish_reason == "length"
    assert response.content == '{"results": ['


@respx.mock
@pytest.mark.parametrize(
    ("status", "fixture_name", "error"),
    [
        (400, "anthropic_error_400_prompt_too_long.json", ProviderContextOverflowError),
        (529, "anthropic_error_529_overloaded.json", ProviderUnavailableError),
        (401, "anthropic_error_401.json", ProviderAuthError),
    ],
)
def test_anthropic_errors(status: int, fixture_name: str, error: type[Exception]) -> None:
    route = respx.post("http://llm.test/v1/messages").mock(
        return_value=httpx.Response(status, json=fixture(fixture_name))
    )
    with pytest.raises(error):
        anthropic_client().complete(request(model="claude-haiku-4-5-20251001", structured_output="tool"))
    assert route.call_count == 1


def test_factory_rules_and_key_never_in_repr() -> None:
    with pytest.raises(ValueError, match="needs an API key"):
        create_llm_client("openai", api_key=None)
    with pytest.raises(KeyError):
        create_llm_client("cohere", api_key="x")
    client = create_llm_client("anthropic", api_key="sk-ant-secret-value-123", base_url="http://llm.test")
    assert isinstance(client, AnthropicClient)
    assert "secret" not in repr(client)
    groq = create_llm_client("groq", api_key="gsk_secretsecret")
    assert isinstance(groq, OpenAICompatibleClient)
    assert "secret" not in repr(groq)
    assert "api.groq.com/openai/v1" in repr(groq)
