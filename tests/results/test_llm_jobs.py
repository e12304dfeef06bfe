"""LLM analysis runs against a provider faked at the HTTP layer (respx under the real openai SDK):
batching, exact token and cost totals, auth error (key marked invalid), rate limit (re-sent job),
missing key."""

from __future__ import annotations

import copy
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from integrations.catalogue import get_catalogue
from integrations.models import ApiKey
from results import services
from results.selectors import results_collection
from tests.factories_integrations import make_api_key
from tests.factories_results import review

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "llm"
BASE = "http://llm.test/v1"
CHAT = f"{BASE}/chat/completions"
DATA = re.compile(r"<<<REVIEWS\n(.*)\nREVIEWS>>>", re.DOTALL)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def sent_reviews(request: httpx.Request) -> list[dict[str, Any]]:
    user = json.loads(request.content)["messages"][-1]["content"]
    return json.loads(DATA.search(user).group(1))


def item(r: dict[str, Any]) -> dict[str, Any]:
    if r["text"].startswith("Great"):
        return {"id": r["id"], "sentiment": "very_positive", "score": 0.9, "confidence": 0.95}
    return {"id": r["id"], "sentiment": "negative", "score": -0.6, "confidence": 0.8}


def completion(reviews: list[dict[str, Any]], prompt: int = 1000, output: int = 200) -> httpx.Response:
    body = copy.deepcopy(fixture("openai_chat_completion.json"))
    body["choices"][0]["message"]["content"] = json.dumps({"results": [item(r) for r in reviews]})
    body["choices"][0]["finish_reason"] = "stop"
    body["usage"].update(prompt_tokens=prompt, completion_tokens=output, total_tokens=prompt + output)
    if "prompt_tokens_details" in body["usage"]:
        body["usage"]["prompt_tokens_details"]["cached_tokens"] = 0
    return httpx.Response(200, json=body)


@pytest.fixture
def llm_project(project, target, settings):
    settings.PROVIDER_BASE_URLS = {"openai": BASE}
    project.config.analysis.analyzer = "llm"
    project.config.analysis.sentiment_classes = 5
    project.config.llm.provider = "openai"
    project.config.llm.model = "gpt-4o-mini"
    project.config.llm.max_tokens = 2000
    project.config.llm.temperature = 0.3
    project.save()
    texts = [("Great value, works perfectly" if i % 2 == 0 else "Bad battery, broke in a week") for i in range(25)]
    services.results_ingest(
        job=None, target=target, reviews=[review(f"{t} (review {i})", platform_id=f"r{i}") for i, t in enumerate(texts)]
    )
    return project


@respx.mock
def test_llm_run_batches_twenty_per_request_and_sums_tokens_and_cost(llm_project, user) -> None:
    make_api_key(user=user, provider="openai")
    sizes: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        reviews = sent_reviews(request)
        sizes.append(len(reviews))
        return completion(reviews, prompt=1000 + len(reviews), output=40 * len(reviews))

    route = respx.post(CHAT).mock(side_effect=answer)
    job = services.analysis_start(actor=user, project=llm_project)

    assert route.call_count == 2 and sizes == [20, 5]
    assert (job.status, job.analyzed, job.failed, job.requests) == ("completed", 25, 0, 2)
    assert (job.tokens_in, job.tokens_out) == (2025, 1000)
    price = get_catalogue().cost("openai", "gpt-4o-mini", 1020, 800) + get_catalogue().cost(
        "openai", "gpt-4o-mini", 1005, 200
    )
    assert Decimal(str(job.cost_usd)).quantize(Decimal("1e-9")) == price.quantize(Decimal("1e-9"))
    assert [r["batch_size"] for r in job.usage_records] == [20, 5]
    assert job.options["temperature"] == 0.3 and job.provider == "openai" and job.model == "gpt-4o-mini"
    doc = results_collection().find_one({"content.platform_id": "r0"})
    assert doc["analysis"]["sentiment"]["label"] == "positive"  # very_positive folds to positive
    assert doc["analysis"]["sentiment"]["scores"]["very_positive"] == 1.0
    prov = doc["analysis_provenance"]["sentiment"]
    assert (prov["provider"], prov["model"]) == ("openai", "gpt-4o-mini")
    assert prov["analyzer"].startswith("llm:openai/gpt-4o-mini+prompt-")
    llm_project.refresh_from_db()
    assert llm_project.stats.sentiment_distribution.positive == 13
    assert llm_project.stats.sentiment_distribution.negative == 12


@respx.mock
def test_auth_error_fails_the_job_clearly_and_marks_the_key_invalid(llm_project, user) -> None:
    key = make_api_key(user=user, provider="openai")
    respx.post(CHAT).mock(return_value=httpx.Response(401, json=fixture("openai_error_401_invalid_key.json")))
    job = services.analysis_start(actor=user, project=llm_project)
    assert job.status == "failed" and job.error_code == "provider_auth"
    assert "API key was rejected" in job.error_message and "re-run" in job.error_message
    assert ApiKey.objects.get(pk=key.pk).is_valid is False
    # nothing half-written: every result is back to pending, without analysis
    assert results_collection().count_documents({"analysis_status": "pending", "analysis.sentiment": None}) == 25


@respx.mock
def test_rate_limit_beyond_backoff_resends_the_job_which_then_completes(llm_project, user, settings) -> None:
    make_api_key(user=user, provider="openai")
    calls = {"n": 0}

    def answer(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            body = fixture("openai_error_429_rate_limit.json")
            return httpx.Response(429, json=body, headers={"retry-after": "120"})
        return completion(sent_reviews(request))

    respx.post(CHAT).mock(side_effect=answer)
    job = services.analysis_start(actor=user, project=llm_project)
    assert (job.status, job.analyzed, job.attempts) == ("completed", 25, 2)
    assert [e["code"] for e in job.errors] == ["provider_rate_limit"]
    assert "retrying in 120 s" in job.errors[0]["message"]


@respx.mock
def test_rate_limit_that_never_ends_fails_after_max_attempts(llm_project, user, settings) -> None:
    settings.RESULTS_ANALYSIS_MAX_ATTEMPTS = 3
    make_api_key(user=user, provider="openai")
    route = respx.post(CHAT).mock(
        return_value=httpx.Response(
            429, json=fixture("openai_error_429_rate_limit.json"), headers={"retry-after": "600"}
        )
    )
    job = services.analysis_start(actor=user, project=llm_project)
    assert job.status == "failed" and job.error_code == "provider_rate_limit" and job.attempts == 3
    assert route.call_count == 3


def test_missing_key_fails_before_any_request(llm_project, user) -> None:
    job = services.analysis_start(actor=user, project=llm_project)
    assert job.status == "failed" and job.error_code == "api_key_missing"
    assert "add one under API keys" in job.error_message


@respx.mock
def test_dry_run_estimate_prices_the_run_without_calling_the_provider(llm_project, user) -> None:
    route = respx.post(CHAT)
    estimate = services.analysis_estimate(project=llm_project)
    assert route.call_count == 0
    assert estimate["results"] == 25 and estimate["requests"] == 2
    assert estimate["output_tokens"] == 25 * 50
    expected = get_catalogue().estimate_cost("openai", "gpt-4o-mini", estimate["input_tokens"], 1250)
    assert estimate["cost_usd"] == pytest.approx(expected, abs=1e-6) and estimate["cost_usd"] > 0
