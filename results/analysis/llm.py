"""LLM analyzer: many reviews per request, strict JSON, per-item validation and repair (analysis.md 4).

One ``analyze`` call handles any number of reviews in requests of ``batch_size`` (default 20, cap 50, and
never more than the answer budget allows: ``floor(0.8 * max_tokens / output tokens per review)``). Each
review gets a request-local id (``r01``...) that it keeps through splits and repairs, so a database id never
reaches a prompt and a repair prompt can name what was wrong.

Failure handling, in the order analysis.md 4.2 gives:

- truncated or refused answer (``finish_reason`` length/refusal/content_filter), or a context overflow:
  split the request in half and send both halves; a single review that still fails goes to the fallback;
- parse, then validate each item locally: valid items are kept, only missing, duplicate or invalid ids are
  resent (with the reasons in the prompt), at most ``max_repair_rounds`` times, then the fallback analyzer
  (whose own analyzer string then marks those blocks);
- rate limit or provider unavailable: bounded retries with backoff honouring ``retry_after`` through the
  injected ``sleep``; a wait longer than ``max_backoff`` is not slept but raised, so the Celery task can
  retry with that countdown instead of holding a worker;
- auth, quota and request errors are raised at once (the job marks the key invalid or stops).

Every call that returned is billed into ``usage`` and ``records``, repairs and splits included.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from integrations.catalogue import Catalogue, StructuredOutput, UnknownModelError, UnknownProviderError, get_catalogue
from integrations.llm.base import LLMClient, LLMRequest, LLMResponse
from results.analysis.llm_prompt import (
    PROMPT_VERSION,
    PromptReview,
    batch_system_prompt,
    batch_user_message,
    project_system_prompt,
    project_user_message,
)
from results.analysis.llm_schema import (
    build_project_schema,
    build_request_schema,
    check_answer,
    item_validator,
    load_json_document,
    normalise_item,
    parse_answer,
    project_validator,
    requested_blocks,
    validation_errors,
)
from results.analysis.types import (
    SENTIMENT5,
    Analysis,
    AnalysisError,
    AnalysisOptions,
    Analyzer,
    Emotions,
    EmotionScore,
    Insights,
    ProviderContextOverflowError,
    ProviderOutputError,
    ProviderRateLimitError,
    ProviderUnavailableError,
    ReviewInput,
    Sentiment,
    Summary,
    Topic,
    Usage,
)

__all__ = [
    "BATCH_SIZE_CAP",
    "DEFAULT_BATCH_SIZE",
    "BatchReport",
    "LLMAnalyzer",
    "LLMIncompleteError",
    "RequestRecord",
    "estimate_output_tokens_per_review",
    "fold_label",
    "word_count",
]

DEFAULT_BATCH_SIZE = 20
BATCH_SIZE_CAP = 50
_TRUNCATED_FINISH = ("length", "refusal", "content_filter")
_WORD = re.compile(r"\w+")


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def fold_label(label5: str) -> str:
    """5-class to the always-3-class ``label`` (analysis.md 1)."""
    return {"very_positive": "positive", "very_negative": "negative"}.get(label5, label5)


def estimate_output_tokens_per_review(options: AnalysisOptions) -> int:
    """Starting estimate of answer tokens per review (analysis.md 4.1: 50 compact, 90 with a summary).
    The task should pass a measured figure from recent usage records for the same prompt version instead."""
    tokens = 50
    if options.emotions:
        tokens += 30
    if options.summarize:
        tokens += 40
    if options.extract_insights:
        tokens += 40
    return tokens


class LLMIncompleteError(AnalysisError):
    """Some reviews got no valid answer and no fallback analyzer was configured.

    ``partial`` holds the analyses that did succeed (already paid for: store them), keyed by review id.
    """

    code = "llm_incomplete"

    def __init__(self, message: str, *, partial: Mapping[str, Analysis], failed_ids: Sequence[str]) -> None:
        super().__init__(message)
        self.partial = dict(partial)
        self.failed_ids = tuple(failed_ids)


@dataclass(frozen=True)
class RequestRecord:
    """One provider call as billed (analysis.md 4.3); the task adds tenant, project and run."""

    provider: str
    model: str
    prompt_version: str
    purpose: str  # batch | split | repair | project_insights
    batch_size: int
    local_ids: tuple[str, ...]
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    reasoning_tokens: int
    cache_write_tokens: int
    finish_reason: str
    raw_finish_reason: str | None
    latency_ms: float
    cost_usd: float | None  # None: the model has no catalogue price
    temperature: float | None
    max_tokens: int
    structured_output: str


@dataclass(frozen=True)
class BatchReport:
    """What happened in the last ``analyze`` call, for logs and the run record."""

    requests: int = 0
    split_requests: int = 0
    repair_requests: int = 0
    retries: int = 0
    fallback_ids: tuple[str, ...] = ()
    fallback_reasons: Mapping[str, str] = field(default_factory=dict)
    truncated_text_ids: tuple[str, ...] = ()


@dataclass
class _Work:
    ids: list[str]
    round: int
    notes: dict[str, str]
    purpose: str


class LLMAnalyzer:
    """``Analyzer`` backed by one provider model. Not thread-safe (it accumulates usage); one per task."""

    def __init__(
        self,
        client: LLMClient,
        provider: str,
        model: str,
        temperature: float | None,
        max_tokens: int,
        prompt_version: str = PROMPT_VERSION,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_repair_rounds: int = 2,
        fallback: Analyzer | None = None,
        sleep: Callable[[float], None] = time.sleep,
        *,
        catalogue: Catalogue | None = None,
        max_transport_retries: int = 3,
        backoff_base: float = 2.0,
        max_backoff: float = 60.0,
        output_tokens_per_review: float | None = None,
        max_review_chars: int = 2400,
        detect_language: Callable[[str], str] | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if not 1 <= batch_size <= BATCH_SIZE_CAP:
            raise ValueError(f"batch_size must be 1..{BATCH_SIZE_CAP}, got {batch_size}")
        if max_tokens < 1:
            raise ValueError("max_tokens must be positive")
        if max_repair_rounds < 0 or max_transport_retries < 0:
            raise ValueError("retry and repair counts must not be negative")
        self._client = client
        self.provider = provider
        self.model = model
        self.max_tokens = max_tokens
        self.prompt_version = prompt_version
        self.batch_size = batch_size
        self.max_repair_rounds = max_repair_rounds
        self._fallback = fallback
        self._sleep = sleep
        self._catalogue = catalogue or get_catalogue()
        self._max_retries = max_transport_retries
        self._backoff_base = backoff_base
        self._max_backoff = max_backoff
        self._output_per_review = output_tokens_per_review
        # ~4 characters per token in English: 2,400 characters is the 600-token cap of analysis.md 4.1.
        self._max_review_chars = max_review_chars
        self._detect_language = detect_language
        self._now = now

        # Catalogue facts: an unknown provider/model still works (custom deployments), but unpriced.
        try:
            entry = self._catalogue.llm_provider(provider)
            self.structured_output: StructuredOutput = entry.structured_output_for(model)
        except UnknownProviderError:
            self.structured_output = "prompt"
        try:
            model_entry = self._catalogue.llm_model(provider, model)
        except (UnknownProviderError, UnknownModelError):
            model_entry = None
        self.temperature = temperature if model_entry is None or model_entry.supports_temperature else None
        self._reasoning_effort = model_entry.default_reasoning_effort if model_entry else None
        self._price = model_entry.price if model_entry else None
        self.name = f"llm:{provider}/{model}+prompt-{prompt_version}"

        self.records: list[RequestRecord] = []
        self._cost = Decimal(0)
        self._totals: dict[str, int] = {}
        self.last_report = BatchReport()
        # Raises ValueError for an unknown prompt version now rather than at the first request.
        batch_system_prompt(AnalysisOptions(), self.structured_output, prompt_version)

    # ------------------------------------------------------------------------------------------- usage

    @property
    def usage(self) -> Usage:
        t = self._totals
        extra = {
            k: float(t.get(k, 0))
            for k in (
                "cached_tokens",
                "reasoning_tokens",
                "cache_write_tokens",
                "split_requests",
                "repair_requests",
                "retries",
                "fallback_reviews",
                "unpriced_requests",
                "output_errors",
            )
        }
        return Usage(
            requests=t.get("requests", 0),
            input_tokens=t.get("input_tokens", 0),
            output_tokens=t.get("output_tokens", 0),
            cost_usd=float(self._cost),
            extra=extra,
        )

    def _count(self, key: str, n: int = 1) -> None:
        self._totals[key] = self._totals.get(key, 0) + n

    def _record(self, response: LLMResponse, purpose: str, local_ids: Sequence[str]) -> None:
        cost: Decimal | None = None
        if self._price is not None:
            cost = self._price.cost(
                response.input_tokens, response.output_tokens, min(response.cached_tokens, response.input_tokens)
            )
            self._cost += cost
        else:
            self._count("unpriced_requests")
        self._count("requests")
        self._count("input_tokens", response.input_tokens)
        self._count("output_tokens", response.output_tokens)
        self._count("cached_tokens", response.cached_tokens)
        self._count("reasoning_tokens", response.reasoning_tokens)
        self._count("cache_write_tokens", response.cache_write_tokens)
        self.records.append(
            RequestRecord(
                provider=self.provider,
                model=self.model,
                prompt_version=self.prompt_version,
                purpose=purpose,
                batch_size=len(local_ids),
                local_ids=tuple(local_ids),
                input_tokens=response.input_tokens,
                output_tokens=response.output_tokens,
                cached_tokens=response.cached_tokens,
                reasoning_tokens=response.reasoning_tokens,
                cache_write_tokens=response.cache_write_tokens,
                finish_reason=response.finish_reason,
                raw_finish_reason=response.raw_finish_reason,
                latency_ms=response.latency_ms,
                cost_usd=float(cost) if cost is not None else None,
                temperature=self.temperature,
                max_tokens=self.max_tokens,
                structured_output=self.structured_output,
            )
        )

    # ------------------------------------------------------------------------------------------ calling

    def _call(self, request: LLMRequest) -> LLMResponse:
        """One logical request with bounded transport retries (429, 5xx, timeouts)."""
        attempt = 0
        while True:
            try:
                return self._client.complete(request)
            except (ProviderRateLimitError, ProviderUnavailableError) as exc:
                if attempt >= self._max_retries:
                    raise
                delay = exc.retry_after
                if delay is None:
                    delay = min(self._max_backoff, self._backoff_base * (2**attempt))
                elif delay > self._max_backoff:
                    # Too long to hold a worker: let the task retry later with this countdown.
                    raise
                attempt += 1
                self._count("retries")
                self._sleep(delay)

    def effective_batch_size(self, options: AnalysisOptions) -> int:
        per_review = self._output_per_review or estimate_output_tokens_per_review(options)
        by_budget = math.floor(0.8 * self.max_tokens / per_review)
        return max(1, min(self.batch_size, by_budget))

    # ----------------------------------------------------------------------------------------- analyzing

    def analyze(self, batch: Sequence[ReviewInput], options: AnalysisOptions) -> list[Analysis]:
        analyzed_at = self._now()
        if not batch:
            self.last_report = BatchReport()
            return []
        if not requested_blocks(options):
            self.last_report = BatchReport()
            return [self._base(review, analyzed_at) for review in batch]

        validator = item_validator(options)
        schema = build_request_schema(options)
        system = batch_system_prompt(options, self.structured_output, self.prompt_version)
        size = self.effective_batch_size(options)
        before = dict(self._totals)

        answers: dict[str, Mapping[str, Any]] = {}  # review id -> item
        failed: dict[str, str] = {}  # review id -> reason
        truncated: list[str] = []
        for start in range(0, len(batch), size):
            chunk = batch[start : start + size]
            width = max(2, len(str(len(chunk))))
            by_local: dict[str, ReviewInput] = {f"r{i + 1:0{width}d}": review for i, review in enumerate(chunk)}
            prompts: dict[str, PromptReview] = {}
            for local_id, review in by_local.items():
                text = review.text
                if len(text) > self._max_review_chars:
                    text = text[: self._max_review_chars]
                    truncated.append(review.id)
                prompts[local_id] = PromptReview(local_id, text, review.title[:300])
            got, lost = self._solve(prompts, system, schema, validator)
            answers.update({by_local[k].id: v for k, v in got.items()})
            failed.update({by_local[k].id: v for k, v in lost.items()})

        results: dict[str, Analysis] = {
            review.id: self._to_analysis(review, answers[review.id], options, analyzed_at)
            for review in batch
            if review.id in answers
        }
        if failed:
            self._count("fallback_reviews", len(failed))
        after = self._totals
        self.last_report = BatchReport(
            requests=after.get("requests", 0) - before.get("requests", 0),
            split_requests=after.get("split_requests", 0) - before.get("split_requests", 0),
            repair_requests=after.get("repair_requests", 0) - before.get("repair_requests", 0),
            retries=after.get("retries", 0) - before.get("retries", 0),
            fallback_ids=tuple(r.id for r in batch if r.id in failed),
            fallback_reasons=dict(failed),
            truncated_text_ids=tuple(truncated),
        )
        if failed:
            failed_reviews = [r for r in batch if r.id in failed]
            if self._fallback is None:
                raise LLMIncompleteError(
                    f"{len(failed)} of {len(batch)} reviews got no valid answer from {self.name}",
                    partial=results,
                    failed_ids=[r.id for r in failed_reviews],
                )
            for review, analysis in zip(failed_reviews, self._fallback.analyze(failed_reviews, options), strict=True):
                results[review.id] = analysis
        return [results[review.id] for review in batch]

    def _solve(
        self,
        prompts: Mapping[str, PromptReview],
        system: str,
        schema: Mapping[str, Any],
        validator: Any,
    ) -> tuple[dict[str, Mapping[str, Any]], dict[str, str]]:
        """Answers and failures by local id for one request-sized group, with splits and repairs."""
        accepted: dict[str, Mapping[str, Any]] = {}
        failed: dict[str, str] = {}
        queue = [_Work(list(prompts), 0, {}, "batch")]
        while queue:
            work = queue.pop(0)
            request = LLMRequest(
                model=self.model,
                system=system,
                user=batch_user_message(
                    [prompts[i] for i in work.ids],
                    # Strict modes cannot produce a schema error, so the note would only cost tokens there.
                    work.notes if self.structured_output != "json_schema_strict" else None,
                ),
                max_tokens=self.max_tokens,
                temperature=self.temperature,
                json_schema=schema,
                structured_output=self.structured_output,
                reasoning_effort=self._reasoning_effort,
            )
            if work.purpose == "split":
                self._count("split_requests")
            elif work.purpose == "repair":
                self._count("repair_requests")
            try:
                response = self._call(request)
            except ProviderContextOverflowError:
                self._split(work, queue, failed, "context overflow")
                continue
            except ProviderOutputError as exc:
                # The provider rejected the model's answer for breaking the format: no usage is reported.
                self._count("output_errors")
                items, _ = parse_answer(exc.failed_output or "")
            else:
                self._record(response, work.purpose, work.ids)
                if response.finish_reason in _TRUNCATED_FINISH:
                    self._split(work, queue, failed, f"answer cut off ({response.finish_reason})")
                    continue
                items, _ = parse_answer(response.content)
            check = check_answer(work.ids, items, validator)
            accepted.update(check.accepted)
            if not check.problems:
                continue
            if work.round < self.max_repair_rounds:
                queue.append(_Work(list(check.problems), work.round + 1, dict(check.problems), "repair"))
            else:
                failed.update(
                    {
                        i: f"no valid answer after {self.max_repair_rounds} repairs: {why}"
                        for i, why in check.problems.items()
                    }
                )
        return accepted, failed

    @staticmethod
    def _split(work: _Work, queue: list[_Work], failed: dict[str, str], reason: str) -> None:
        if len(work.ids) == 1:
            failed[work.ids[0]] = f"{reason} for a single review"
            return
        half = (len(work.ids) + 1) // 2
        for part in (work.ids[:half], work.ids[half:]):
            notes = {i: n for i, n in work.notes.items() if i in part}
            queue.append(_Work(part, work.round, notes, "split"))

    # ------------------------------------------------------------------------------------------ mapping

    def _language(self, review: ReviewInput) -> str:
        detected = self._detect_language(review.text) if self._detect_language else "und"
        if detected == "und" and review.language_hint:
            return review.language_hint
        return detected

    def _base(self, review: ReviewInput, analyzed_at: datetime) -> Analysis:
        return Analysis(
            id=review.id, language=self._language(review), word_count=word_count(review.text), analyzed_at=analyzed_at
        )

    def _to_analysis(
        self, review: ReviewInput, item: Mapping[str, Any], options: AnalysisOptions, analyzed_at: datetime
    ) -> Analysis:
        sentiment = emotions = summary = insights = None
        if options.sentiment:
            label5 = item["sentiment"]
            sentiment = Sentiment(
                label=fold_label(label5),
                score=round(float(item["score"]), 4),
                confidence=round(float(item["confidence"]), 4),
                scores={k: 1.0 if k == label5 else 0.0 for k in SENTIMENT5},
                analyzer=self.name,
            )
        if options.emotions:
            detected: dict[str, float] = {}
            for entry in item["emotions"]:
                if entry["emotion"] != "neutral":
                    detected[entry["emotion"]] = max(detected.get(entry["emotion"], 0.0), float(entry["score"]))
            primary, primary_score = item["emotion"], float(item["emotion_score"])
            if primary != "neutral":
                detected[primary] = max(detected.get(primary, 0.0), primary_score)
            # analysis.md 1: score >= 0.1, neutral excluded, descending, at most 10 (we ask for 3 + primary).
            ranked = sorted(((e, s) for e, s in detected.items() if s >= 0.1), key=lambda es: (-es[1], es[0]))[:10]
            emotions = Emotions(
                model=options.emotion_model,
                primary=primary,
                primary_score=primary_score,
                detected=tuple(EmotionScore(e, s) for e, s in ranked),
                analyzer=self.name,
            )
        if options.summarize:
            summary = Summary(
                text=str(item["summary"]).strip(),
                key_points=tuple(p.strip() for p in item["key_points"] if p.strip())[:3],
                analyzer=self.name,
            )
        if options.extract_insights:
            insights = Insights(
                pros=tuple(p.strip() for p in item["pros"] if p.strip())[:3],
                cons=tuple(c.strip() for c in item["cons"] if c.strip())[:3],
                topics=_topics(item["topics"], 3),
                analyzer=self.name,
            )
        base = self._base(review, analyzed_at)
        return Analysis(
            id=base.id,
            language=base.language,
            word_count=base.word_count,
            sentiment=sentiment,
            emotions=emotions,
            summary=summary,
            insights=insights,
            analyzed_at=analyzed_at,
        )

    # ------------------------------------------------------------------------------- project insights

    def project_insights(
        self, samples: Sequence[ReviewInput], options: AnalysisOptions
    ) -> tuple[Summary | None, Insights | None]:
        """Project-level summary and insights from a sample of reviews in one call (the caller picks the
        sample, e.g. 50 recent reviews stratified by rating). Blocks the options switch off are None.

        A cut-off answer or a context overflow halves the sample; an invalid answer is repaired at most
        ``max_repair_rounds`` times; then AnalysisError. No fallback: a project summary is LLM-only.
        """
        if not (options.summarize or options.extract_insights):
            return None, None
        if not samples:
            raise ValueError("project_insights needs at least one review")
        schema = build_project_schema(options)
        validator = project_validator(options)
        system = project_system_prompt(options, self.structured_output, self.prompt_version)
        reviews = [
            PromptReview(f"r{i + 1:02d}", r.text[: self._max_review_chars], r.title[:300])
            for i, r in enumerate(samples)
        ]
        problem: str | None = None
        repairs = 0
        while True:
            request = LLMRequest(
                model=self.model,
                system=system,
                user=project_user_message(reviews, problem if self.structured_output != "json_schema_strict" else None),
                max_tokens=self.max_tokens,
                temperature=self.temperature,
                json_schema=schema.wire,
                schema_name="record_project_insights",
                structured_output=self.structured_output,
                reasoning_effort=self._reasoning_effort,
            )
            ids = [r.local_id for r in reviews]
            try:
                response = self._call(request)
            except ProviderContextOverflowError:
                if len(reviews) == 1:
                    raise
                reviews = reviews[: len(reviews) // 2]
                continue
            except ProviderOutputError as exc:
                self._count("output_errors")
                content: str | Mapping[str, Any] = exc.failed_output or ""
            else:
                self._record(response, "project_insights", ids)
                if response.finish_reason in _TRUNCATED_FINISH:
                    if len(reviews) == 1:
                        raise AnalysisError(f"{self.name}: project insights answer cut off ({response.finish_reason})")
                    reviews = reviews[: len(reviews) // 2]
                    continue
                content = response.content
            answer, problem = _project_answer(content, validator)
            if answer is not None:
                return _project_blocks(answer, options, self.name)
            if repairs >= self.max_repair_rounds:
                raise AnalysisError(f"{self.name}: no valid project insights after {repairs} repairs: {problem}")
            repairs += 1
            self._count("repair_requests")


def _topics(raw: Sequence[Mapping[str, Any]], limit: int) -> tuple[Topic, ...]:
    seen: dict[str, float] = {}
    for entry in raw:
        seen.setdefault(entry["topic"], float(entry["sentiment"]))  # first mention wins
    return tuple(Topic(t, s) for t, s in list(seen.items())[:limit])


def _project_answer(content: str | Mapping[str, Any], validator: Any) -> tuple[dict[str, Any] | None, str | None]:
    """(normalised answer, None) when valid, else (None, what is wrong) for the repair prompt."""
    if isinstance(content, Mapping):
        root: Any = dict(content)
    else:
        try:
            root = load_json_document(content)
        except ValueError:
            root = None
    if not isinstance(root, dict):
        return None, "the answer is not a JSON object"
    root = normalise_item(root)
    errors = validation_errors(validator, root)
    return (root, None) if not errors else (None, "; ".join(errors[:3]))


def _project_blocks(
    root: Mapping[str, Any], options: AnalysisOptions, analyzer: str
) -> tuple[Summary | None, Insights | None]:
    summary = insights = None
    if options.summarize:
        summary = Summary(
            text=str(root["summary"]).strip(),
            key_points=tuple(p.strip() for p in root["key_points"] if p.strip())[:5],
            analyzer=analyzer,
        )
    if options.extract_insights:
        topics = root["topics"]
        insights = Insights(
            pros=tuple(p.strip() for p in root["pros"] if p.strip())[:5],
            cons=tuple(c.strip() for c in root["cons"] if c.strip())[:5],
            topics=_topics(topics, len(topics)),
            analyzer=analyzer,
        )
    return summary, insights
