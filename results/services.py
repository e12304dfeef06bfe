"""Writes to results and analysis jobs: ingest, analysis runs, label corrections, deletes, stats.

Every write is a single-document update or a bulk of them (``transaction.atomic`` does nothing on
this backend): a result's analysis, provenance, language and status are ``$set`` together in one
update, so a result is never half-analyzed. A run is resumable: the results it has to do are
marked ``analysis_status="queued"`` with its ``analysis_job_id``; a re-sent task continues with
whatever is still queued.

Dependencies on other apps (projects, integrations) are imported inside functions: they were
written in parallel, and results must keep working (offline analyzers) without them.
"""

from __future__ import annotations

import logging
import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId
from django.conf import settings
from pymongo import UpdateOne
from pymongo.errors import BulkWriteError

from audit.services import record
from results.analysis.types import (
    Analysis,
    AnalysisError,
    AnalysisOptions,
    ProviderAuthError,
    ProviderQuotaError,
    ProviderRateLimitError,
    ProviderRequestError,
    ProviderUnavailableError,
    ReviewInput,
)
from results.models import SENTIMENT_LABELS, AnalysisJob, Result
from results.selectors import EFFECTIVE_LABEL, ResultFilter, jobs_collection, projects_collection, results_collection
from sentimatrix.api.errors import ApplicationError, ConflictError, NotFoundError, ServiceUnavailableError
from sentimatrix.celery import BROKER_ERRORS

logger = logging.getLogger("sentimatrix.results")

MAX_TEXT_CHARS = 20_000  # longer reviews are cut on ingest (analyzers read far less)
MAX_TITLE_CHARS = 1_000
MAX_JOB_ERRORS = 50
MAX_USAGE_RECORDS = 500
ANALYZERS = ("local-fast", "local", "llm")


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def _now() -> datetime:
    # MongoDB keeps milliseconds; truncate so what we return equals what we read back.
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _attr(obj: Any, *path: str, default: Any = None) -> Any:
    """``obj.a.b`` for models, embedded models and dicts alike (project config comes in both shapes)."""
    for name in path:
        if obj is None:
            return default
        obj = obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)
    return default if obj is None else obj


def _ref_id(obj: Any, name: str) -> ObjectId | None:
    """The ObjectId of a reference given as a model (``project``) or its column (``project_id``)."""
    value = getattr(obj, f"{name}_id", None)
    if value is None:
        related = getattr(obj, name, None)
        value = getattr(related, "pk", related)
    if value is None:
        return None
    return value if isinstance(value, ObjectId) else ObjectId(str(value))


def _emit(event_type: str, *, user: Any, project: Any = None, data: Mapping[str, Any]) -> None:
    from scraping.services import emit_event  # one path for every app's events

    emit_event(event_type, user=user, project=project, data=data)


def _load_project(project_id: ObjectId) -> Any:
    try:
        from projects.models import Project
    except ImportError:
        return None
    return Project.objects.filter(pk=project_id).first()


# ---------------------------------------------------------------- ingest


def _clean_text(value: Any, limit: int) -> str:
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value)).replace("\x00", "")
    return text.strip()[:limit]


def _aware(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:  # platform modules promise UTC; a naive value is taken as UTC
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def review_document(
    review: Any, *, user_id: ObjectId, project_id: ObjectId, target_id: ObjectId, scrape_job_id: ObjectId | None,
    platform: str, now: datetime,
) -> dict[str, Any] | None:  # fmt: skip
    """One ``results`` document from a normalized review, or None when the review is unusable."""
    platform_id = _clean_text(getattr(review, "platform_id", None), 500)
    text = _clean_text(getattr(review, "text", None), MAX_TEXT_CHARS)
    title = _clean_text(getattr(review, "title", None), MAX_TITLE_CHARS)
    if not platform_id or not (text or title):
        return None
    rating = getattr(review, "rating", None)
    try:
        rating = float(rating) if rating is not None else None
    except (TypeError, ValueError):
        rating = None
    if rating is not None and (math.isnan(rating) or rating < 0):
        rating = None
    return {
        "user_id": user_id,
        "project_id": project_id,
        "target_id": target_id,
        "scrape_job_id": scrape_job_id,
        "content": {
            "text": text,
            "title": title,
            "author": _clean_text(getattr(review, "author", None), 500),
            "rating": rating,
            "rating_scale": getattr(review, "rating_scale", None),
            "date": _aware(getattr(review, "date", None)),
            "url": _clean_text(getattr(review, "url", None), 2000),
            "platform_id": platform_id,
        },
        "analysis": {"sentiment": None, "emotions": None, "summary": None, "insights": None},
        "analysis_provenance": {"sentiment": None, "emotions": None, "summary": None, "insights": None},
        "label_override": None,
        "analysis_status": Result.AnalysisStatus.PENDING,
        "analysis_job_id": None,
        "analysis_error": None,
        "platform": _clean_text(getattr(review, "platform", None) or platform, 32) or platform,
        "language": None,
        "language_hint": _clean_text(getattr(review, "language", None), 32) or None,
        "word_count": 0,
        "created_at": now,
        "updated_at": now,
    }


def results_ingest(*, job: Any, target: Any, reviews: Iterable[Any]) -> int:
    """Store normalized reviews of one target; returns how many were NEW.

    Duplicates (same target and ``platform_id``, within the batch or already stored) are skipped by
    the unique index: ``insert_many(ordered=False)`` inserts everything else and reports the
    duplicate-key errors, which are expected. Any other write error (a document the validator
    rejects) is logged and skipped, never fatal for the rest of the page.
    """
    user_id = _ref_id(target, "user") or _ref_id(job, "user")
    project_id = _ref_id(target, "project") or _ref_id(job, "project")
    if user_id is None or project_id is None:
        raise ValueError("results_ingest needs a target (or job) with a user and a project")
    target_id = target.pk if isinstance(target.pk, ObjectId) else ObjectId(str(target.pk))
    job_id = getattr(job, "pk", None) if job is not None else None
    platform = str(getattr(target, "platform", "") or "")
    now = _now()
    docs: list[dict[str, Any]] = []
    seen: set[str] = set()
    for review in reviews:
        doc = review_document(
            review, user_id=user_id, project_id=project_id, target_id=target_id, scrape_job_id=job_id,
            platform=platform, now=now,
        )  # fmt: skip
        if doc is None or doc["content"]["platform_id"] in seen:
            continue
        seen.add(doc["content"]["platform_id"])
        docs.append(doc)
    if not docs:
        return 0
    try:
        inserted = len(results_collection().insert_many(docs, ordered=False).inserted_ids)
    except BulkWriteError as exc:
        details = exc.details or {}
        inserted = int(details.get("nInserted", 0))
        other = [e for e in details.get("writeErrors", []) if e.get("code") != 11000]
        if other:
            logger.warning(
                "results_ingest: %d review(s) of target %s rejected: %s", len(other), target_id, other[0].get("errmsg")
            )
    if inserted:
        _emit(
            "results.new",
            user=_attr(target, "user") if hasattr(target, "user") else None,
            project=getattr(target, "project", None),
            data={
                "project_id": str(project_id),
                "target_id": str(target_id),
                "scrape_job_id": str(job_id) if job_id else None,
                "count": inserted,
            },
        )
    return inserted


# ---------------------------------------------------------------- analysis configuration


@dataclass(frozen=True)
class AnalysisConfig:
    analyzer: str
    options: AnalysisOptions
    provider: str | None
    model: str | None
    temperature: float | None
    max_tokens: int
    preset: str | None
    api_key_id: Any = None


def analysis_config(project: Any) -> AnalysisConfig:
    """The project's analysis settings (config.analysis, config.llm, preset) as analyzer inputs."""
    analysis = _attr(project, "config", "analysis")
    llm = _attr(project, "config", "llm")
    analyzer = str(_attr(analysis, "analyzer", default="local-fast"))
    if analyzer not in ANALYZERS:
        raise ApplicationError(f"Unknown analyzer {analyzer!r}; use one of {', '.join(ANALYZERS)}.")
    sentiment = _attr(analysis, "sentiment", default=True)
    options = AnalysisOptions(
        sentiment=bool(sentiment),
        sentiment_classes=int(_attr(analysis, "sentiment_classes", default=3)),
        emotions=bool(_attr(analysis, "emotions", default=False)),
        emotion_model=str(_attr(analysis, "emotion_model", default="ekman")),
        summarize=bool(_attr(analysis, "summarize", default=False)),
        extract_insights=bool(_attr(analysis, "extract_insights", default=False)),
    )
    temperature = _attr(llm, "temperature")
    return AnalysisConfig(
        analyzer=analyzer,
        options=options,
        provider=_attr(llm, "provider") if analyzer == "llm" else None,
        model=_attr(llm, "model") if analyzer == "llm" else None,
        temperature=float(temperature) if temperature is not None else None,
        max_tokens=int(_attr(llm, "max_tokens", default=1000)),
        preset=_attr(project, "preset"),
        api_key_id=_attr(llm, "api_key_id") if analyzer == "llm" else None,
    )


def _options_dict(options: AnalysisOptions) -> dict[str, Any]:
    return {
        "sentiment": options.sentiment,
        "sentiment_classes": options.sentiment_classes,
        "emotions": options.emotions,
        "emotion_model": options.emotion_model,
        "summarize": options.summarize,
        "extract_insights": options.extract_insights,
    }


def _llm_options(config: AnalysisConfig) -> dict[str, Any]:
    return {
        "temperature": config.temperature,
        "max_tokens": config.max_tokens,
        "api_key_id": str(config.api_key_id) if config.api_key_id else None,
    }


def _options_from(data: Mapping[str, Any]) -> AnalysisOptions:
    return AnalysisOptions(**{k: v for k, v in data.items() if k in AnalysisOptions.__dataclass_fields__})


# ---------------------------------------------------------------- starting a run


def _selection(
    *, user_id: ObjectId, project_id: ObjectId, scrape_job: Any, result_ids: Sequence[Any] | None,
    result_filter: ResultFilter | None,
) -> dict[str, Any]:  # fmt: skip
    if result_filter is not None:
        query = result_filter.to_mongo()
    else:
        query = {"user_id": user_id, "project_id": project_id}
    clauses = [query]
    if scrape_job is not None:
        # After a scrape: only what that job stored and nobody analyzed yet.
        clauses.append({"scrape_job_id": scrape_job.pk, "analysis_status": Result.AnalysisStatus.PENDING})
    if result_ids is not None:
        clauses.append({"_id": {"$in": [ObjectId(str(pk)) for pk in result_ids]}})
    clauses.append({"project_id": project_id, "user_id": user_id})
    return {"$and": clauses}


def analysis_estimate(
    *, project: Any, result_filter: ResultFilter | None = None, result_ids: Sequence[Any] | None = None
) -> dict[str, Any]:
    """What a run would cost, before starting it (``dry_run=true``): counts, tokens and dollars for an LLM."""
    from integrations.catalogue import UnknownModelError, UnknownProviderError, get_catalogue
    from results.analysis.llm import DEFAULT_BATCH_SIZE, estimate_output_tokens_per_review

    config = analysis_config(project)
    user_id = _ref_id(project, "user")
    query = _selection(
        user_id=user_id, project_id=project.pk, scrape_job=None, result_ids=result_ids, result_filter=result_filter
    )
    count = 0
    chars = 0
    for doc in results_collection().find(query, {"content.text": 1, "content.title": 1}):
        count += 1
        content = doc.get("content") or {}
        chars += min(len(content.get("text") or ""), 2400) + len(content.get("title") or "")
    estimate: dict[str, Any] = {
        "results": count,
        "analyzer": config.analyzer,
        "provider": config.provider,
        "model": config.model,
        "requests": 0,
        "input_tokens": 0,
        "output_tokens": 0,
        "cost_usd": 0.0,
        "priced": True,
    }
    if config.analyzer == "llm" and count:
        per_review = estimate_output_tokens_per_review(config.options)
        batch = max(1, min(DEFAULT_BATCH_SIZE, math.floor(0.8 * config.max_tokens / per_review)))
        requests = math.ceil(count / batch)
        # Instructions and schema cost about 400 tokens per request (docs/analysis.md 4.3); ~4 chars a token.
        input_tokens = requests * 400 + math.ceil(chars / 4) + count * 8
        output_tokens = count * per_review
        estimate.update(requests=requests, input_tokens=input_tokens, output_tokens=output_tokens)
        try:
            estimate["cost_usd"] = round(
                get_catalogue().estimate_cost(config.provider or "", config.model or "", input_tokens, output_tokens), 6
            )
        except (UnknownProviderError, UnknownModelError, LookupError):
            estimate.update(cost_usd=None, priced=False)
    return estimate


def analysis_start(
    *,
    actor: Any,
    project: Any,
    scrape_job: Any = None,
    result_ids: Sequence[Any] | None = None,
    result_filter: ResultFilter | None = None,
    trigger: str | None = None,
) -> AnalysisJob:
    """Create an analysis run over the selected results and run it (Celery ``results.run_analysis_job``).

    Selection: the scrape job's new results (``scrape_job``), given ids, a list filter, or else every
    result of the project (re-analyze all). A manual run refuses to start while another is active.
    """
    config = analysis_config(project)
    user_id = _ref_id(project, "user")
    if trigger is None:
        trigger = AnalysisJob.Trigger.AFTER_SCRAPE if scrape_job is not None else AnalysisJob.Trigger.MANUAL
    if trigger not in AnalysisJob.Trigger.values:
        raise ValueError(f"unknown trigger {trigger!r}")
    if (
        trigger != AnalysisJob.Trigger.AFTER_SCRAPE
        and AnalysisJob.objects.filter(
            project_id=project.pk, status__in=AnalysisJob.ACTIVE, trigger__in=["manual", "reanalyze"]
        ).exists()
    ):
        raise ConflictError("An analysis of this project is already running; wait for it to finish.")
    now = _now()
    job = AnalysisJob.objects.create(
        user_id=user_id,
        project_id=project.pk,
        scrape_job_id=getattr(scrape_job, "pk", None),
        trigger=trigger,
        analyzer=config.analyzer,
        provider=config.provider,
        model=config.model,
        preset=config.preset,
        options={
            **_options_dict(config.options),
            **(_llm_options(config) if config.analyzer == "llm" else {}),
        },
        created_at=now,
        updated_at=now,
    )
    query = _selection(
        user_id=user_id, project_id=project.pk, scrape_job=scrape_job, result_ids=result_ids,
        result_filter=result_filter,
    )  # fmt: skip
    claimed = (
        results_collection()
        .update_many(query, {"$set": {"analysis_status": Result.AnalysisStatus.QUEUED, "analysis_job_id": job.pk}})
        .modified_count
    )
    jobs_collection().update_one({"_id": job.pk}, {"$set": {"queued": claimed}})
    record(
        event_type="analysis.started",
        actor=actor if getattr(actor, "pk", None) else None,
        user=None if getattr(actor, "pk", None) == user_id else _user(user_id),
        metadata={
            "project_id": str(project.pk),
            "analysis_job_id": str(job.pk),
            "trigger": trigger,
            "analyzer": config.analyzer,
            "queued": claimed,
        },
    )
    enqueued = analysis_job_enqueue(job_id=job.pk)
    job.refresh_from_db()
    if not enqueued:
        raise AnalysisQueueUnavailableError(job)
    return job


class AnalysisQueueUnavailableError(ServiceUnavailableError):
    """The run is stored as queued but the broker refused it: tell the caller, and say it is not lost.

    ``analysis_jobs_requeue_stuck`` (the ``requeue_stuck_jobs`` sweep) re-sends a run that stayed
    queued past a lease, so the caller must not start it again (that would get 409 while it is active).
    """

    code = "analysis_queue_unavailable"

    def __init__(self, job: AnalysisJob) -> None:
        super().__init__(
            f"The analysis queue is unavailable right now. Analysis job {job.pk} is saved as queued and starts "
            "automatically once the queue is back; do not start it again.",
            details={"job_id": str(job.pk), "status": job.status},
        )


def analysis_job_enqueue(*, job_id: Any) -> bool:
    """Send the run to the ``analyze`` queue; False when the broker is down (the sweep re-sends it)."""
    from results.tasks import run_analysis_job

    try:
        run_analysis_job.delay(str(job_id))
    except BROKER_ERRORS:
        # Only broker errors: with eager tasks (emulated engine) a bug inside the task must surface.
        logger.exception("could not enqueue analysis job %s", job_id)
        return False
    return True


def _user(user_id: ObjectId | None) -> Any:
    if user_id is None:
        return None
    from accounts.models import User

    return User.objects.filter(pk=user_id).first()


# ---------------------------------------------------------------- running a job (Celery task body)


class RescheduleJob(Exception):
    """The provider asked us to wait longer than a worker should sleep: re-send the task later."""

    def __init__(self, countdown: float) -> None:
        super().__init__(f"retry in {countdown:.0f} s")
        self.countdown = countdown


class JobFailed(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _review_input(doc: Mapping[str, Any]) -> ReviewInput:
    content = doc.get("content") or {}
    return ReviewInput(
        id=str(doc["_id"]),
        text=content.get("text") or "",
        title=content.get("title") or "",
        language_hint=doc.get("language_hint"),
        rating=content.get("rating"),
    )


def _provider_and_model(analyzer_string: str, job: AnalysisJob) -> tuple[str | None, str | None]:
    if analyzer_string.startswith("llm:"):
        return job.provider, job.model
    return None, None


def _analysis_update(analysis: Analysis, job: AnalysisJob, now: datetime) -> dict[str, Any]:
    """The ``$set`` for one analyzed result: every block, its provenance, language, status."""
    analyzed_at = _aware(analysis.analyzed_at) or now
    blocks: dict[str, Any] = {"sentiment": None, "emotions": None, "summary": None, "insights": None}
    provenance: dict[str, Any] = dict.fromkeys(blocks)

    def prov(analyzer_string: str) -> dict[str, Any]:
        provider, model = _provider_and_model(analyzer_string, job)
        return {
            "analyzer": analyzer_string,
            "provider": provider,
            "model": model,
            "preset": job.preset,
            "analysis_job_id": job.pk,
            "analyzed_at": analyzed_at,
        }

    if (s := analysis.sentiment) is not None:
        blocks["sentiment"] = {
            "label": s.label,
            "score": float(s.score),
            "confidence": float(s.confidence),
            "scores": {key: float(s.scores.get(key, 0.0)) for key in
                       ("very_positive", "positive", "neutral", "negative", "very_negative")},
            "analyzer": s.analyzer,
            "analyzed_at": analyzed_at,
        }  # fmt: skip
        provenance["sentiment"] = prov(s.analyzer)
    if (e := analysis.emotions) is not None:
        blocks["emotions"] = {
            "model": e.model,
            "primary": e.primary,
            "primary_score": float(e.primary_score),
            "detected": [{"emotion": d.emotion, "score": float(d.score)} for d in e.detected],
            "analyzer": e.analyzer,
            "analyzed_at": analyzed_at,
        }
        provenance["emotions"] = prov(e.analyzer)
    if (m := analysis.summary) is not None:
        blocks["summary"] = {
            "text": m.text,
            "key_points": list(m.key_points),
            "analyzer": m.analyzer,
            "generated_at": analyzed_at,
        }
        provenance["summary"] = prov(m.analyzer)
    if (i := analysis.insights) is not None:
        blocks["insights"] = {
            "pros": list(i.pros),
            "cons": list(i.cons),
            "topics": [{"topic": t.topic, "sentiment": float(t.sentiment)} for t in i.topics],
            "analyzer": i.analyzer,
            "extracted_at": analyzed_at,
        }
        provenance["insights"] = prov(i.analyzer)
    return {
        "analysis": blocks,
        "analysis_provenance": provenance,
        "language": analysis.language,
        "word_count": int(analysis.word_count),
        "analysis_status": Result.AnalysisStatus.DONE,
        "analysis_error": None,
        "updated_at": now,
    }


class _Runner:
    """Builds the job's analyzer once per task and knows how to turn its errors into job outcomes."""

    def __init__(self, job: AnalysisJob) -> None:
        self.job = job
        self.options = _options_from(job.options or {})
        self.fallback_note: str | None = None
        self.analyzer = self._build()
        self._usage_seen = (0, 0, 0, 0, 0.0)
        self._records_seen = 0

    def _build(self) -> Any:
        from results.analysis.registry import get_analyzer

        if self.job.analyzer == "llm":
            return self._build_llm()
        if self.job.analyzer == "local":
            from results.analysis.embedding import EmbeddingUnavailableError, get_embedder

            try:
                get_embedder()
            except EmbeddingUnavailableError as exc:
                self.fallback_note = f"embedding tier unavailable, used local-fast: {exc.message}"
                return get_analyzer("local-fast")
        return get_analyzer(self.job.analyzer)

    def _build_llm(self) -> Any:
        from integrations.catalogue import UnknownProviderError, get_catalogue
        from integrations.llm import create_llm_client
        from results.analysis.llm import LLMAnalyzer
        from results.analysis.registry import get_analyzer

        provider, model = self.job.provider, self.job.model
        if not provider or not model:
            raise JobFailed("llm_not_configured", "The project uses the LLM analyzer but has no provider or model.")
        try:
            entry = get_catalogue().llm_provider(provider)
        except UnknownProviderError:
            raise JobFailed("llm_not_configured", f"Unknown LLM provider {provider!r}.") from None
        api_key = None
        try:
            from integrations.services import api_key_secret_for
        except ImportError:
            api_key_secret_for = None
        if api_key_secret_for is not None:
            api_key = api_key_secret_for(user=self.job.user, provider=provider, **self._key_ref())
        if entry.requires_key and not api_key:
            raise JobFailed(
                "api_key_missing",
                f"No {provider} API key is stored for this account; add one under API keys and re-run the analysis.",
            )
        base_urls = _setting("PROVIDER_BASE_URLS", {}) or {}  # shared with the key check (integrations)
        client = create_llm_client(provider, api_key=api_key, base_url=base_urls.get(provider))
        return LLMAnalyzer(
            client,
            provider,
            model,
            temperature=_attr(self.job.options, "temperature"),
            max_tokens=int(self.job.options.get("max_tokens") or 1000),
            fallback=get_analyzer("local-fast"),
            max_backoff=float(_setting("RESULTS_LLM_MAX_BACKOFF_SECONDS", 60.0)),
        )

    def _key_ref(self) -> dict[str, Any]:
        key_id = (self.job.options or {}).get("api_key_id")
        return {"api_key_id": ObjectId(key_id)} if key_id else {}

    def usage_delta(self) -> dict[str, Any]:
        usage = getattr(self.analyzer, "usage", None)
        if usage is None:
            return {}
        now_seen = (
            usage.requests,
            usage.input_tokens,
            usage.output_tokens,
            int(usage.extra.get("cached_tokens", 0)),
            float(usage.cost_usd),
        )
        before = self._usage_seen
        self._usage_seen = now_seen
        records = list(getattr(self.analyzer, "records", []))[self._records_seen :]
        self._records_seen += len(records)
        return {
            "inc": {
                "requests": now_seen[0] - before[0],
                "tokens_in": now_seen[1] - before[1],
                "tokens_out": now_seen[2] - before[2],
                "tokens_cached": now_seen[3] - before[3],
                "cost_usd": round(now_seen[4] - before[4], 9),
            },
            "records": [
                {
                    "purpose": r.purpose,
                    "provider": r.provider,
                    "model": r.model,
                    "prompt_version": r.prompt_version,
                    "batch_size": r.batch_size,
                    "input_tokens": r.input_tokens,
                    "output_tokens": r.output_tokens,
                    "cached_tokens": r.cached_tokens,
                    "finish_reason": r.finish_reason,
                    "latency_ms": round(r.latency_ms, 1),
                    "cost_usd": r.cost_usd,
                }
                for r in records
            ],
        }


def _job_error(code: str, message: str, count: int = 0) -> dict[str, Any]:
    return {"code": code, "message": message[:500], "count": count, "at": _now().isoformat()}


def _push_error(job_id: ObjectId, error: dict[str, Any]) -> None:
    jobs_collection().update_one({"_id": job_id}, {"$push": {"errors": {"$each": [error], "$slice": -MAX_JOB_ERRORS}}})


def _record_usage(job_id: ObjectId, delta: Mapping[str, Any]) -> None:
    if not delta:
        return
    update: dict[str, Any] = {"$inc": {k: v for k, v in delta["inc"].items() if v}}
    if delta["records"]:
        update["$push"] = {"usage_records": {"$each": delta["records"], "$slice": -MAX_USAGE_RECORDS}}
    if not update["$inc"]:
        del update["$inc"]
    if update:
        jobs_collection().update_one({"_id": job_id}, update)


def _release(job_id: ObjectId) -> None:
    """A failed run gives its unfinished results back (pending), so the next run picks them up."""
    results_collection().update_many(
        {"analysis_job_id": job_id, "analysis_status": Result.AnalysisStatus.QUEUED},
        {"$set": {"analysis_status": Result.AnalysisStatus.PENDING}},
    )


def _fail_job(job: AnalysisJob, code: str, message: str, *, guard: Mapping[str, Any] | None = None) -> bool:
    """Fail the run and give its unfinished results back. With ``guard`` (the job's state as read) a
    compare-and-set: False, and nothing changed, when the job moved on in between."""
    now = _now()
    changed = jobs_collection().update_one(
        {"_id": job.pk, **(guard or {})},
        {
            "$set": {
                "status": AnalysisJob.Status.FAILED,
                "error_code": code,
                "error_message": message[:1000],
                "completed_at": now,
                "updated_at": now,
            },
            "$push": {"errors": {"$each": [_job_error(code, message)], "$slice": -MAX_JOB_ERRORS}},
        },
    )
    if guard is not None and not changed.modified_count:
        return False
    _release(job.pk)
    record(
        event_type="analysis.failed",
        user=job.user,
        success=False,
        metadata={"analysis_job_id": str(job.pk), "project_id": str(job.project_id), "code": code},
    )
    _emit(
        "analysis.failed",
        user=job.user,
        project=_load_project(job.project_id),
        data={"analysis_job_id": str(job.pk), "project_id": str(job.project_id), "code": code, "message": message},
    )
    return True


def analysis_run(job_id: str) -> str:
    """The body of ``results.run_analysis_job``: analyze every result still queued for the job.

    Returns the job's final status, or "rescheduled" when it must continue later (rate limit).
    """
    oid = ObjectId(job_id)
    now = _now()
    claimed = jobs_collection().find_one_and_update(
        {"_id": oid, "status": {"$in": list(AnalysisJob.ACTIVE)}},
        {"$set": {"status": AnalysisJob.Status.RUNNING, "updated_at": now}, "$inc": {"attempts": 1}},
    )
    if claimed is None:
        return "skipped"
    if claimed.get("started_at") is None:
        jobs_collection().update_one({"_id": oid}, {"$set": {"started_at": now}})
    job = AnalysisJob.objects.select_related("user").get(pk=oid)
    try:
        runner = _Runner(job)
    except JobFailed as exc:
        _fail_job(job, exc.code, exc.message)
        return AnalysisJob.Status.FAILED
    if runner.fallback_note:
        _push_error(oid, _job_error("embedding_unavailable", runner.fallback_note))

    batch_size = int(_setting("RESULTS_ANALYSIS_BATCH_SIZE", 100))
    queue = {"analysis_job_id": oid, "analysis_status": Result.AnalysisStatus.QUEUED}
    while True:
        docs = list(results_collection().find(queue).sort("_id", 1).limit(batch_size))
        if not docs:
            break
        batch = [_review_input(doc) for doc in docs]
        try:
            analyses = runner.analyzer.analyze(batch, runner.options)
        except ProviderAuthError as exc:
            _record_usage(oid, runner.usage_delta())
            _mark_key_invalid(job, exc.message)
            _fail_job(
                job,
                exc.code,
                f"The {job.provider} API key was rejected ({exc.message}). Update the key and re-run the analysis.",
            )
            return AnalysisJob.Status.FAILED
        except (ProviderQuotaError, ProviderRequestError) as exc:
            _record_usage(oid, runner.usage_delta())
            _fail_job(job, exc.code, f"{job.provider} refused the request: {exc.message}")
            return AnalysisJob.Status.FAILED
        except (ProviderRateLimitError, ProviderUnavailableError) as exc:
            _record_usage(oid, runner.usage_delta())
            attempts = int(claimed.get("attempts", 0)) + 1
            if attempts >= int(_setting("RESULTS_ANALYSIS_MAX_ATTEMPTS", 5)):
                _fail_job(job, exc.code, f"{job.provider} kept refusing after {attempts} attempts: {exc.message}")
                return AnalysisJob.Status.FAILED
            countdown = exc.retry_after if exc.retry_after is not None else 30.0 * attempts
            _push_error(oid, _job_error(exc.code, f"{exc.message}; retrying in {countdown:.0f} s"))
            jobs_collection().update_one(
                {"_id": oid}, {"$set": {"status": AnalysisJob.Status.QUEUED, "updated_at": _now()}}
            )
            raise RescheduleJob(countdown) from exc
        except AnalysisError as exc:
            _record_usage(oid, runner.usage_delta())
            partial = getattr(exc, "partial", {}) or {}
            _store(job, docs, partial, failed_message=f"{exc.code}: {exc.message}")
            _push_error(oid, _job_error(exc.code, exc.message, len(docs) - len(partial)))
            continue
        except Exception as exc:  # noqa: BLE001 - one bad batch must not stall the whole run
            logger.exception("analysis job %s: batch failed", job_id)
            _store(job, docs, {}, failed_message=f"internal error: {type(exc).__name__}")
            _push_error(oid, _job_error("internal_error", type(exc).__name__, len(docs)))
            continue
        _record_usage(oid, runner.usage_delta())
        _store(job, docs, {a.id: a for a in analyses}, failed_message="no analysis returned")
    return _finish(job)


def _mark_key_invalid(job: AnalysisJob, message: str) -> None:
    try:
        from integrations.services import api_key_mark_invalid
    except ImportError:
        return
    try:
        key_id = (job.options or {}).get("api_key_id")
        extra = {"api_key_id": ObjectId(key_id)} if key_id else {}
        api_key_mark_invalid(user=job.user, provider=job.provider, message=message, **extra)
    except Exception:  # noqa: BLE001
        logger.exception("api_key_mark_invalid failed for job %s", job.pk)


def _store(
    job: AnalysisJob, docs: Sequence[Mapping[str, Any]], analyses: Mapping[str, Analysis], *, failed_message: str
) -> None:
    """Write one batch: each result gets its whole analysis in one update, or is marked failed."""
    now = _now()
    operations = []
    done = failed = 0
    for doc in docs:
        guard = {"_id": doc["_id"], "analysis_job_id": job.pk, "analysis_status": Result.AnalysisStatus.QUEUED}
        analysis = analyses.get(str(doc["_id"]))
        if analysis is not None:
            operations.append(UpdateOne(guard, {"$set": _analysis_update(analysis, job, now)}))
            done += 1
        else:
            failed_set = {
                "analysis_status": Result.AnalysisStatus.FAILED,
                "analysis_error": failed_message[:500],
                "updated_at": now,
            }
            operations.append(UpdateOne(guard, {"$set": failed_set}))
            failed += 1
    if operations:
        results_collection().bulk_write(operations, ordered=False)
    jobs_collection().update_one(
        {"_id": job.pk}, {"$inc": {"analyzed": done, "failed": failed}, "$set": {"updated_at": now}}
    )


def _finish(job: AnalysisJob) -> str:
    doc = jobs_collection().find_one({"_id": job.pk}) or {}
    status = AnalysisJob.Status.PARTIAL if doc.get("failed") else AnalysisJob.Status.COMPLETED
    now = _now()
    jobs_collection().update_one({"_id": job.pk}, {"$set": {"status": status, "completed_at": now, "updated_at": now}})
    project = _load_project(job.project_id)
    before = _project_avg_sentiment(job.project_id)
    stats = project_stats_refresh(project=project if project is not None else job.project_id)
    _check_sentiment_drop(job, project, before)
    record(
        event_type="analysis.completed",
        user=job.user,
        metadata={
            "analysis_job_id": str(job.pk),
            "project_id": str(job.project_id),
            "status": status,
            "analyzed": doc.get("analyzed", 0),
            "failed": doc.get("failed", 0),
        },
    )
    _emit(
        "analysis.completed",
        user=job.user,
        project=project,
        data={
            "analysis_job_id": str(job.pk),
            "project_id": str(job.project_id),
            "status": status,
            "analyzed": doc.get("analyzed", 0),
            "failed": doc.get("failed", 0),
            "tokens_in": doc.get("tokens_in", 0),
            "tokens_out": doc.get("tokens_out", 0),
            "cost_usd": doc.get("cost_usd", 0.0),
            "total_results": stats["total_results"],
        },
    )
    return status


# ---------------------------------------------------------------- recovery (requeue_stuck_jobs)


@dataclass
class AnalysisRequeueSummary:
    requeued: list[str] = field(default_factory=list)  # running, worker gone: queued and sent again
    failed: list[str] = field(default_factory=list)  # running, worker gone too often: failed
    redispatched: list[str] = field(default_factory=list)  # queued, message lost: sent again


def analysis_jobs_requeue_stuck(
    *,
    now: datetime | None = None,
    lease_seconds: int | None = None,
    max_recoveries: int | None = None,
    dry_run: bool = False,
    enqueue: bool = True,
) -> AnalysisRequeueSummary:
    """Recover analysis runs whose task was lost: the broker refused it, was flushed, or the worker died.

    - Queued for longer than the lease: the message was probably lost; it is sent again (a duplicate
      of a message that was merely late finds the run finished, or continues with what is still queued:
      every result is written only while it is queued for this run).
    - Running without a write (``updated_at``, moved at the claim and after every batch) for longer
      than the lease and never less than ``CELERY_TASK_TIME_LIMIT`` (a live task is never older): queued
      and sent again — a re-sent task continues with what is still queued — or failed, its results given
      back as pending, once it was recovered ``max_recoveries`` times.

    Each change is a compare-and-set on the state as read, so two sweeps never both act on one job.
    """
    now = now or _now()
    # The scrape jobs' knobs: one lease and one recovery limit for the one sweep (requeue_stuck_jobs).
    lease = int(lease_seconds if lease_seconds is not None else _setting("SCRAPE_JOB_LEASE_SECONDS", 900))
    limit = int(max_recoveries if max_recoveries is not None else _setting("SCRAPE_JOB_MAX_RECOVERIES", 3))
    running_lease = max(lease, int(_setting("CELERY_TASK_TIME_LIMIT", 0)))
    summary = AnalysisRequeueSummary()
    collection = jobs_collection()
    stale_running = collection.find(
        {"status": AnalysisJob.Status.RUNNING, "updated_at": {"$lt": now - timedelta(seconds=running_lease)}},
        {"_id": 1, "updated_at": 1, "attempts": 1, "recoveries": 1},
    )
    for doc in list(stale_running):
        job_id = doc["_id"]
        guard = {"status": AnalysisJob.Status.RUNNING, "updated_at": doc["updated_at"], "attempts": doc.get("attempts")}
        recoveries = int(doc.get("recoveries") or 0)
        if recoveries >= limit:
            if dry_run:
                summary.failed.append(str(job_id))
                continue
            job = AnalysisJob.objects.select_related("user").get(pk=job_id)
            message = (
                f"The worker running this analysis stopped responding {recoveries + 1} times; the run was stopped "
                "and its unfinished results are pending again. Start the analysis again to finish them."
            )
            if _fail_job(job, "worker_lost", message, guard=guard):
                summary.failed.append(str(job_id))
            continue
        if dry_run:
            summary.requeued.append(str(job_id))
            continue
        changed = collection.update_one(
            {"_id": job_id, **guard},
            {"$set": {"status": AnalysisJob.Status.QUEUED, "updated_at": now}, "$inc": {"recoveries": 1}},
        )
        if changed.modified_count:
            summary.requeued.append(str(job_id))
            job = AnalysisJob.objects.select_related("user").get(pk=job_id)
            record(
                event_type="analysis.requeued",
                user=job.user,
                metadata={
                    "analysis_job_id": str(job_id),
                    "project_id": str(job.project_id),
                    "recoveries": recoveries + 1,
                },
            )
            if enqueue:
                analysis_job_enqueue(job_id=job_id)
    stale_queued = collection.find(
        {"status": AnalysisJob.Status.QUEUED, "updated_at": {"$lt": now - timedelta(seconds=lease)}},
        {"_id": 1, "updated_at": 1},
    )
    for doc in list(stale_queued):
        if dry_run:
            summary.redispatched.append(str(doc["_id"]))
            continue
        guard = {"_id": doc["_id"], "status": AnalysisJob.Status.QUEUED, "updated_at": doc["updated_at"]}
        if collection.update_one(guard, {"$set": {"updated_at": now}}).modified_count:
            summary.redispatched.append(str(doc["_id"]))
            if enqueue:
                analysis_job_enqueue(job_id=doc["_id"])
    return summary


# ---------------------------------------------------------------- stats and alerts


def _project_avg_sentiment(project_id: ObjectId) -> float | None:
    doc = projects_collection().find_one({"_id": project_id}, {"stats.avg_sentiment": 1})
    return _attr(doc, "stats", "avg_sentiment")


def compute_project_stats(project_id: ObjectId) -> dict[str, Any]:
    """Totals, distribution (corrected labels count), average score and rating: one aggregation."""
    pipeline = [
        {"$match": {"project_id": project_id}},
        {
            "$group": {
                "_id": None,
                "total": {"$sum": 1},
                "analyzed": {"$sum": {"$cond": [{"$eq": ["$analysis_status", "done"]}, 1, 0]}},
                "positive": {"$sum": {"$cond": [{"$eq": [EFFECTIVE_LABEL, "positive"]}, 1, 0]}},
                "neutral": {"$sum": {"$cond": [{"$eq": [EFFECTIVE_LABEL, "neutral"]}, 1, 0]}},
                "negative": {"$sum": {"$cond": [{"$eq": [EFFECTIVE_LABEL, "negative"]}, 1, 0]}},
                "avg_score": {"$avg": "$analysis.sentiment.score"},
                "avg_rating": {"$avg": "$content.rating"},
                "last_analysis_at": {"$max": "$analysis.sentiment.analyzed_at"},
            }
        },
    ]
    rows = list(results_collection().aggregate(pipeline))
    row = rows[0] if rows else {}
    avg = row.get("avg_score")
    rating = row.get("avg_rating")
    return {
        "total_results": int(row.get("total", 0)),
        "analyzed_results": int(row.get("analyzed", 0)),
        "avg_sentiment": round(float(avg), 4) if avg is not None else None,
        "avg_rating": round(float(rating), 4) if rating is not None else None,
        "sentiment_distribution": {label: int(row.get(label, 0)) for label in SENTIMENT_LABELS},
        "last_analysis_at": row.get("last_analysis_at"),
    }


def project_stats_refresh(*, project: Any) -> dict[str, Any]:
    """Recompute the project's result stats from the results themselves and store them on the project."""
    project_id = project if isinstance(project, ObjectId) else project.pk
    stats = compute_project_stats(project_id)
    update = {f"stats.{key}": stats[key] for key in ("total_results", "avg_sentiment", "sentiment_distribution")}
    if stats["last_analysis_at"] is not None:
        update["stats.last_analysis_at"] = stats["last_analysis_at"]
    projects_collection().update_one({"_id": project_id}, {"$set": update})
    return stats


def _check_sentiment_drop(job: AnalysisJob, project: Any, before: float | None) -> None:
    """Sentiment drop alert hook, called for every completed run.

    The integrations app owns the rule (a per-project baseline of job samples):
    ``alert_evaluate_analysis_job`` records this run's sample and fires ``alert.sentiment_drop`` when
    the rule says so. Without it, a simple fallback: this run's average score at least
    ``RESULTS_SENTIMENT_DROP_THRESHOLD`` below the project's previous average emits the event.
    """
    try:
        from integrations.services import alert_evaluate_analysis_job
    except ImportError:
        alert_evaluate_analysis_job = None
    if alert_evaluate_analysis_job is not None and project is not None:
        try:
            alert_evaluate_analysis_job(project=project, analysis_job_id=job.pk)
        except Exception:  # noqa: BLE001 - an alert must never fail the run
            logger.exception("alert_evaluate_analysis_job failed for job %s", job.pk)
        return
    if before is None:
        return
    threshold = float(_setting("RESULTS_SENTIMENT_DROP_THRESHOLD", 0.2))
    minimum = int(_setting("RESULTS_SENTIMENT_DROP_MIN_RESULTS", 5))
    rows = list(
        results_collection().aggregate(
            [
                {"$match": {"analysis_job_id": job.pk, "analysis_status": "done"}},
                {"$group": {"_id": None, "n": {"$sum": 1}, "avg": {"$avg": "$analysis.sentiment.score"}}},
            ]
        )
    )
    if not rows or rows[0].get("avg") is None or rows[0]["n"] < minimum:
        return
    current = float(rows[0]["avg"])
    if before - current < threshold:
        return
    _emit(
        "alert.sentiment_drop",
        user=job.user,
        project=project,
        data={
            "project_id": str(job.project_id),
            "analysis_job_id": str(job.pk),
            "previous_avg_sentiment": round(before, 4),
            "current_avg_sentiment": round(current, 4),
            "results": rows[0]["n"],
        },
    )


# ---------------------------------------------------------------- label correction, deletes, re-analysis


def result_label_override(
    *, actor: Any, result_id: Any, label: str | None, note: str = "", owner: Any = None
) -> dict[str, Any]:
    """Set (or with ``label=None`` clear) the human label of a result.

    The result is looked up among ``owner``'s results (default: the actor's own); support staff in the
    admin pass the owner explicitly, and the audit record names both.
    """
    from results.selectors import result_get

    owner = owner if owner is not None else actor
    doc = result_get(user=owner, result_id=result_id)
    if label is not None and label not in SENTIMENT_LABELS:
        raise ApplicationError(f"Unknown label {label!r}; use positive, neutral or negative.", code="validation_error")
    now = _now()
    model_label = _attr(doc, "analysis", "sentiment", "label")
    override = None
    if label is not None:
        override = {
            "label": label,
            "previous_label": model_label,
            "by": actor.pk,
            "at": now,
            "note": (note or "")[:500],
        }
    updated = results_collection().find_one_and_update(
        {"_id": doc["_id"], "user_id": owner.pk},
        {"$set": {"label_override": override, "updated_at": now}},
        return_document=True,
    )
    if updated is None:
        raise NotFoundError("No such result.")
    record(
        event_type="result.label_override" if label else "result.label_override_cleared",
        actor=actor,
        user=owner,
        metadata={
            "result_id": str(doc["_id"]),
            "project_id": str(doc["project_id"]),
            "label": label,
            "model_label": model_label,
        },
    )
    project_stats_refresh(project=doc["project_id"])
    return updated


def result_delete(*, actor: Any, result_id: Any) -> None:
    from results.selectors import result_get

    doc = result_get(user=actor, result_id=result_id)
    results_collection().delete_one({"_id": doc["_id"], "user_id": actor.pk})
    record(
        event_type="result.deleted",
        actor=actor,
        metadata={"result_id": str(doc["_id"]), "project_id": str(doc["project_id"])},
    )
    project_stats_refresh(project=doc["project_id"])


def results_bulk_delete(*, actor: Any, project: Any, result_filter: ResultFilter) -> int:
    """Delete every result of the project matching the filter (the view demands ``confirm``)."""
    query = {"$and": [result_filter.to_mongo(), {"project_id": project.pk, "user_id": actor.pk}]}
    deleted = results_collection().delete_many(query).deleted_count
    record(event_type="results.bulk_deleted", actor=actor, metadata={"project_id": str(project.pk), "deleted": deleted})
    project_stats_refresh(project=project)
    return deleted


def results_delete_for_target(*, target: Any) -> int:
    """Remove the results of a deleted target (called by the projects app) and recompute the project's stats."""
    deleted = results_collection().delete_many({"project_id": target.project_id, "target_id": target.pk}).deleted_count
    if deleted:
        project_stats_refresh(project=target.project_id)
    return deleted


def results_delete_for_project(*, project: Any) -> int:
    """Remove every result and analysis job of a deleted project (called by the projects app)."""
    deleted = results_collection().delete_many({"project_id": project.pk}).deleted_count
    jobs_collection().delete_many({"project_id": project.pk})
    return deleted


def results_export_recorded(*, actor: Any, project: Any, export_format: str) -> None:
    """Audit an export of the project's results (the API streams the file; this is its record)."""
    record(
        event_type="results.exported", actor=actor, metadata={"project_id": str(project.pk), "format": export_format}
    )


def result_reanalyze(*, actor: Any, result_id: Any) -> AnalysisJob:
    from results.selectors import project_for, result_get

    doc = result_get(user=actor, result_id=result_id)
    project = project_for(user=actor, project_id=doc["project_id"])
    return analysis_start(actor=actor, project=project, result_ids=[doc["_id"]], trigger=AnalysisJob.Trigger.REANALYZE)


@dataclass
class ReanalyzeOutcome:
    """One project's part of ``results_reanalyze``: the run started, or why it did not."""

    project_id: ObjectId
    project_name: str | None = None
    job: AnalysisJob | None = None
    error: str | None = None


def results_reanalyze(*, actor: Any, result_ids: Iterable[Any]) -> list[ReanalyzeOutcome]:
    """Re-analyze results across projects and owners (support admin): one run per project.

    Each project is loaded for the owner of its results (a result whose project is gone, or belongs to
    someone else, is not analyzed), and ``analysis_start`` audits the run for that owner with ``actor``.
    """
    from projects.models import Project

    ids = [pk if isinstance(pk, ObjectId) else ObjectId(str(pk)) for pk in result_ids]
    by_project: dict[tuple[ObjectId, ObjectId], list[ObjectId]] = {}
    for doc in results_collection().find({"_id": {"$in": ids}}, {"project_id": 1, "user_id": 1}).sort("_id", 1):
        by_project.setdefault((doc["project_id"], doc["user_id"]), []).append(doc["_id"])
    outcomes = []
    for (project_id, owner_id), selected in by_project.items():
        project = Project.objects.filter(pk=project_id, user_id=owner_id).first()
        if project is None:
            outcomes.append(ReanalyzeOutcome(project_id, error=f"Project {project_id} no longer exists."))
            continue
        outcome = ReanalyzeOutcome(project_id, project.name)
        try:
            outcome.job = analysis_start(
                actor=actor, project=project, result_ids=selected, trigger=AnalysisJob.Trigger.REANALYZE
            )
        except ApplicationError as exc:
            outcome.error = exc.message
        outcomes.append(outcome)
    return outcomes
