"""LLM analysis against a local fake provider that counts tokens.

The fake sits at the HTTP layer (``httpx.MockTransport`` under the real ``openai`` SDK, so request
building, JSON encoding and response parsing are the production code paths). It answers every review
in the data block with a valid item, and reports usage the way the provider would:

- input tokens: system + user message + the ``response_format`` schema (providers bill schemas as
  input) + 4 tokens of chat framing per message;
- output tokens: the answer text.

Tokens are counted with an offline approximation of the GPT-4-family BPE tokenizers (no tokenizer
file can be downloaded here): the text is split the way their pre-tokenizer splits it (letter runs
with their leading space, numbers in groups of three, punctuation runs, whitespace), then a letter run
costs one token per started 7 characters and a punctuation run one per started 3 (BPE merges ``":"``,
``","`` and ``{"`` into single tokens). English prose comes out at ~1.3 tokens per word, the
0.75 words/token rule of analysis.md. Absolute costs are therefore approximate (±15 %); reviews per
request and the overhead share depend on it much less.

Per config, one JSON line: reviews per request (target ≥ 20), prompt overhead share of input tokens
(target ≤ 15 %: input tokens that are not review title/text), projected cost per 1,000 reviews at the
catalogue price, and the same reviews sent one per request as the side-by-side baseline
(``ratio`` = batched cost / one-per-request cost).
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from bench.common import emit, env_int
from bench.reviews import GeneratedReview, generate, length_summary

BASE = "http://fake-llm.local/v1"
_PRETOKEN = re.compile(r"'(?:s|t|re|ve|m|ll|d)| ?[^\W\d_]+| ?\d{1,3}| ?[^\s\w]+|\s+|_+")
_DATA = re.compile(r"<<<REVIEWS\n(.*)\nREVIEWS>>>", re.DOTALL)
_GOOD = re.compile(r"love|great|excellent|fantastic|recommend|perfect|solid|worth|five stars|exceeded", re.I)
_BAD = re.compile(r"hate|terrible|broke|awful|disappoint|useless|waste|returned|not happy|stopped|isn't good", re.I)
PRESETS = {"budget": 300, "starter": 500, "standard": 1000, "advanced": 2000, "enterprise": 4000}
COST_MODELS = (
    ("openai", "gpt-4o-mini"),
    ("openai", "gpt-4.1-nano"),
    ("groq", "llama-3.3-70b-versatile"),
    ("groq", "llama-3.1-8b-instant"),
    ("anthropic", "claude-haiku-5-5"),
)


def count_tokens(text: str) -> int:
    total = 0
    for piece in _PRETOKEN.findall(text):
        core = piece.lstrip(" ") or piece
        if core[0].isalpha():
            total += -(-len(core) // 7)
        elif core[0].isspace():
            total += 1
        elif core[0].isdigit():
            total += 1
        else:
            total += -(-len(core) // 3)
    return total


def _label(text: str) -> tuple[str, float]:
    good, bad = len(_GOOD.findall(text)), len(_BAD.findall(text))
    score = (good - bad) / max(1, good + bad)
    if score >= 0.6:
        return "very_positive", round(score, 2)
    if score > 0.1:
        return "positive", round(score, 2)
    if score <= -0.6:
        return "very_negative", round(score, 2)
    if score < -0.1:
        return "negative", round(score, 2)
    return "neutral", round(score, 2)


def _item(review: Mapping[str, Any], properties: Mapping[str, Any]) -> dict[str, Any]:
    text = f"{review.get('title', '')} {review['text']}"
    label, score = _label(text)
    item: dict[str, Any] = {"id": review["id"]}
    if "sentiment" in properties:
        item.update(sentiment=label, score=score, confidence=0.82)
    if "emotion" in properties:
        emotion = "joy" if score > 0.1 else "anger" if score < -0.1 else "neutral"
        item.update(emotion=emotion, emotion_score=0.7, emotions=[] if emotion == "neutral" else [
            {"emotion": emotion, "score": 0.7}])  # fmt: skip
    if "summary" in properties:
        item.update(summary=" ".join(review["text"].split()[:18]), key_points=["build quality", "value"])
    if "pros" in properties:
        item.update(pros=["sturdy build"] if score > 0 else [], cons=["battery life"] if score < 0 else [],
                    topics=[{"topic": "quality/durability", "sentiment": score}])  # fmt: skip
    return item


class FakeProvider:
    """OpenAI Chat Completions stand-in that answers every review and counts tokens like a provider."""

    def __init__(self, item_properties: Mapping[str, Any]) -> None:
        self.properties = item_properties
        self.requests = 0
        self.input_tokens = 0
        self.output_tokens = 0
        self.review_tokens = 0  # title + text of every review sent
        self.reviews_sent = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        messages = body["messages"]
        user = messages[-1]["content"]
        reviews = json.loads(_DATA.search(user).group(1))
        prompt = sum(count_tokens(m["content"]) + 4 for m in messages)
        if "response_format" in body:
            prompt += count_tokens(json.dumps(body["response_format"], separators=(",", ":")))
        content = json.dumps({"results": [_item(r, self.properties) for r in reviews]})
        completion = count_tokens(content)
        self.requests += 1
        self.input_tokens += prompt
        self.output_tokens += completion
        self.reviews_sent += len(reviews)
        self.review_tokens += sum(count_tokens(r.get("title", "")) + count_tokens(r["text"]) for r in reviews)
        return httpx.Response(
            200,
            json={
                "id": f"chatcmpl-{self.requests}",
                "object": "chat.completion",
                "created": 1_790_000_000,
                "model": body["model"],
                "choices": [
                    {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}
                ],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                    "prompt_tokens_details": {"cached_tokens": 0},
                },
            },
        )


def _run(
    provider: str, model: str, max_tokens: int, options: Any, reviews: Sequence[GeneratedReview], batch_size: int
) -> tuple[FakeProvider, Any, float]:
    from integrations.llm import create_llm_client
    from results.analysis.llm import LLMAnalyzer
    from results.analysis.llm_schema import build_item_schema
    from results.analysis.types import ReviewInput

    fake = FakeProvider(build_item_schema(options)["properties"])
    client = create_llm_client(
        provider,
        api_key="sk-bench-0000000000",
        base_url=BASE,
        http_client=httpx.Client(transport=httpx.MockTransport(fake)),
    )
    analyzer = LLMAnalyzer(client, provider, model, temperature=0.3, max_tokens=max_tokens, batch_size=batch_size,
                           sleep=lambda _s: None)  # fmt: skip
    inputs = [ReviewInput(id=r.id, text=r.text, title=r.title) for r in reviews]
    started = time.perf_counter()
    results = analyzer.analyze(inputs, options)
    elapsed = time.perf_counter() - started
    assert len(results) == len(inputs) and analyzer.last_report.fallback_ids == ()
    return fake, analyzer, elapsed


def _per_1000(provider: str, model: str, fake: FakeProvider) -> float | None:
    from integrations.catalogue import UnpricedModelError, get_catalogue

    try:
        cost = get_catalogue().estimate_cost(provider, model, fake.input_tokens, fake.output_tokens)
    except UnpricedModelError:
        return None
    return round(cost * 1000 / fake.reviews_sent, 5)


def bench_config(name: str, provider: str, model: str, max_tokens: int, options: Any, n: int, n_single: int) -> dict:
    from results.analysis.llm import estimate_output_tokens_per_review

    reviews = generate(n, seed=11)
    fake, analyzer, elapsed = _run(provider, model, max_tokens, options, reviews, batch_size=20)
    single, _, single_elapsed = _run(provider, model, max_tokens, options, reviews[:n_single], batch_size=1)
    cost = _per_1000(provider, model, fake)
    single_cost = _per_1000(provider, model, single)
    per_request = fake.reviews_sent / fake.requests
    overhead = (fake.input_tokens - fake.review_tokens) / fake.input_tokens
    overhead_per_review = (fake.input_tokens - fake.review_tokens) / fake.reviews_sent
    per_review = estimate_output_tokens_per_review(options)
    batch_by_preset = {
        f"{preset}({tokens})": max(1, min(20, int(0.8 * tokens / per_review))) for preset, tokens in PRESETS.items()
    }
    figures = {
        "provider": f"{provider}/{model}",
        "structured_output": analyzer.structured_output,
        "options": name,
        "max_tokens": max_tokens,
        "reviews": n,
        "requests": fake.requests,
        "reviews_per_request": round(per_request, 2),
        "input_tokens_per_review": round(fake.input_tokens / fake.reviews_sent, 1),
        "output_tokens_per_review": round(fake.output_tokens / fake.reviews_sent, 1),
        "review_tokens_per_review": round(fake.review_tokens / fake.reviews_sent, 1),
        "prompt_overhead_share": round(overhead, 4),
        "overhead_tokens_per_review": round(overhead_per_review, 1),
        # analysis.md 4.5 assumes ~160-token reviews (Yelp sample); the same overhead on those reviews:
        "projected_overhead_share_at_160_token_reviews": round(overhead_per_review / (overhead_per_review + 160), 4),
        "baseline_prompt_overhead_share": round((single.input_tokens - single.review_tokens) / single.input_tokens, 4),
        "cost_per_1000_reviews_usd": cost,
        "baseline_cost_per_1000_reviews_usd": single_cost,
        "cost_per_1000_by_model_usd": {f"{p}/{m}": _per_1000(p, m, fake) for p, m in COST_MODELS},
        "batch_size_by_preset_max_tokens": batch_by_preset,
        "analyzer_ms_per_request": round(elapsed * 1000 / fake.requests, 2),
        "baseline_analyzer_ms_per_request": round(single_elapsed * 1000 / single.requests, 2),
        "lengths": length_summary(reviews),
        "tokenizer": "approximate GPT-4-style BPE (see bench/llm.py)",
    }
    ratio = cost / single_cost if cost is not None and single_cost else None
    meets = per_request >= 20 and overhead <= 0.15
    return emit(f"llm_{name}", figures, ratio=ratio, target="reviews/request >= 20 and overhead <= 15 %", meets=meets)


def main(argv: Sequence[str] = ()) -> None:
    from results.analysis.types import AnalysisOptions

    n = env_int("BENCH_LLM_REVIEWS", 1000)
    n_single = env_int("BENCH_LLM_SINGLE_REVIEWS", 200)
    which = set(argv) or {"compact", "full"}
    if "compact" in which:
        # Sentiment only on gpt-4o-mini (the enterprise preset's model and budget), strict json_schema.
        bench_config("compact", "openai", "gpt-4o-mini", 4000, AnalysisOptions(sentiment_classes=5), n, n_single)
    if "full" in which:
        # Every block on groq's llama-3.3-70b (the starter/standard/advanced preset model): json_object mode puts
        # the schema in the prompt.
        full = AnalysisOptions(sentiment_classes=5, emotions=True, summarize=True, extract_insights=True)
        bench_config("full", "groq", "llama-3.3-70b-versatile", 4000, full, n, n_single)


if __name__ == "__main__":
    main(sys.argv[1:])
