"""Results (collection ``results``) and analysis runs (collection ``analysis_jobs``).

Fields follow seeds/001 ``results``; additions are ``analysis_provenance`` (who wrote each block),
``label_override`` (a human correction, shown next to the model's label and counted in analytics as
the label), ``analysis_status`` / ``analysis_job_id`` (what a resumable analysis run still has to do)
and ``analyzer`` per analysis block (docs/analysis.md section 1).

References to projects, targets and scrape jobs are plain ObjectId columns (``project_id``,
``target_id``, ``scrape_job_id``), not ForeignKeys. Why: results are read through pymongo pipelines
(filters, ``$text``, analytics, exports) that never join, a ForeignKey would add a ``$lookup`` to
every ORM read, and the results migration does not have to wait for the projects and scraping
migrations (they were written in parallel). ``user`` is a real ForeignKey (tenant scoping).
Deleting a project deletes its results through ``results.services.results_delete_for_project``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_mongodb_backend.fields import ArrayField, EmbeddedModelArrayField, EmbeddedModelField, ObjectIdField
from django_mongodb_backend.models import EmbeddedModel

from sentimatrix.db.indexes import MongoIndex, TextIndex

SENTIMENT_LABELS = ("positive", "neutral", "negative")
SENTIMENT5_LABELS = ("very_positive", "positive", "neutral", "negative", "very_negative")


class Content(EmbeddedModel):
    text = models.TextField(default="", blank=True)
    title = models.CharField(max_length=1000, default="", blank=True)
    author = models.CharField(max_length=500, default="", blank=True)
    rating = models.FloatField(null=True, blank=True)
    rating_scale = models.CharField(max_length=16, null=True, blank=True)  # "1-5" | "1-10" | "binary"
    date = models.DateTimeField(null=True, blank=True)
    url = models.CharField(max_length=2000, default="", blank=True)
    platform_id = models.CharField(max_length=500)


class SentimentScores(EmbeddedModel):
    very_positive = models.FloatField(default=0.0)
    positive = models.FloatField(default=0.0)
    neutral = models.FloatField(default=0.0)
    negative = models.FloatField(default=0.0)
    very_negative = models.FloatField(default=0.0)


class SentimentBlock(EmbeddedModel):
    label = models.CharField(max_length=16)
    score = models.FloatField()
    confidence = models.FloatField()
    scores = EmbeddedModelField(SentimentScores, default=SentimentScores)
    analyzer = models.CharField(max_length=200, default="")
    analyzed_at = models.DateTimeField(null=True, blank=True)


class EmotionScore(EmbeddedModel):
    emotion = models.CharField(max_length=32)
    score = models.FloatField()


class EmotionsBlock(EmbeddedModel):
    model = models.CharField(max_length=16)
    primary = models.CharField(max_length=32)
    primary_score = models.FloatField()
    detected = EmbeddedModelArrayField(EmotionScore, default=list)
    analyzer = models.CharField(max_length=200, default="")
    analyzed_at = models.DateTimeField(null=True, blank=True)


class SummaryBlock(EmbeddedModel):
    text = models.TextField(default="", blank=True)
    key_points = ArrayField(models.CharField(max_length=500), default=list)
    analyzer = models.CharField(max_length=200, default="")
    generated_at = models.DateTimeField(null=True, blank=True)


class TopicSentiment(EmbeddedModel):
    topic = models.CharField(max_length=64)
    sentiment = models.FloatField()


class InsightsBlock(EmbeddedModel):
    pros = ArrayField(models.CharField(max_length=500), default=list)
    cons = ArrayField(models.CharField(max_length=500), default=list)
    topics = EmbeddedModelArrayField(TopicSentiment, default=list)
    analyzer = models.CharField(max_length=200, default="")
    extracted_at = models.DateTimeField(null=True, blank=True)


class AnalysisData(EmbeddedModel):
    """A block the project's options switch off is stored as null (docs/analysis.md section 1)."""

    sentiment = EmbeddedModelField(SentimentBlock, null=True, blank=True)
    emotions = EmbeddedModelField(EmotionsBlock, null=True, blank=True)
    summary = EmbeddedModelField(SummaryBlock, null=True, blank=True)
    insights = EmbeddedModelField(InsightsBlock, null=True, blank=True)


class Provenance(EmbeddedModel):
    """Who wrote one analysis block: an offline analyzer, or a provider and model, under which preset."""

    analyzer = models.CharField(max_length=200)  # versioned string, e.g. "lexicon:vader-3.3.2+patch-v3"
    provider = models.CharField(max_length=64, null=True, blank=True)
    model = models.CharField(max_length=200, null=True, blank=True)
    preset = models.CharField(max_length=64, null=True, blank=True)
    analysis_job_id = ObjectIdField(null=True, blank=True)
    analyzed_at = models.DateTimeField()


class AnalysisProvenance(EmbeddedModel):
    sentiment = EmbeddedModelField(Provenance, null=True, blank=True)
    emotions = EmbeddedModelField(Provenance, null=True, blank=True)
    summary = EmbeddedModelField(Provenance, null=True, blank=True)
    insights = EmbeddedModelField(Provenance, null=True, blank=True)


class LabelOverride(EmbeddedModel):
    """A human correction of the sentiment label; the model's own label stays in ``analysis``."""

    label = models.CharField(max_length=16, choices=[(label, label) for label in SENTIMENT_LABELS])
    previous_label = models.CharField(max_length=16, null=True, blank=True)
    by = ObjectIdField()  # the user who corrected it
    at = models.DateTimeField()
    note = models.CharField(max_length=500, default="", blank=True)


class Result(models.Model):
    class AnalysisStatus(models.TextChoices):
        PENDING = "pending"  # stored, never analyzed
        QUEUED = "queued"  # claimed by analysis_job_id, not analyzed yet (a resumed job picks it up)
        DONE = "done"
        FAILED = "failed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    project_id = ObjectIdField()
    target_id = ObjectIdField()
    scrape_job_id = ObjectIdField(null=True, blank=True)
    content = EmbeddedModelField(Content)
    analysis = EmbeddedModelField(AnalysisData, default=AnalysisData)
    analysis_provenance = EmbeddedModelField(AnalysisProvenance, default=AnalysisProvenance)
    label_override = EmbeddedModelField(LabelOverride, null=True, blank=True)
    analysis_status = models.CharField(max_length=16, choices=AnalysisStatus.choices, default=AnalysisStatus.PENDING)
    analysis_job_id = ObjectIdField(null=True, blank=True)
    analysis_error = models.CharField(max_length=500, null=True, blank=True)
    platform = models.CharField(max_length=32)
    language = models.CharField(max_length=16, null=True, blank=True)  # ISO 639-1 or "und"; null before analysis
    word_count = models.IntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)  # when scraped
    updated_at = models.DateTimeField(default=timezone.now)  # when analysis (or an override) last changed it

    class Meta:
        db_table = "results"
        ordering = ["-created_at"]
        indexes = [
            # seeds/000 2.4. The list indexes end in _id ("id", stored as _id) because ORDERINGS sort by
            # (key, _id): the tie-breaker keeps skip/limit pages stable (a bulk ingest stores many results
            # in the same millisecond), and with _id in the index the sort is read from the index instead
            # of a blocking in-memory sort of the whole project.
            MongoIndex(spec=[("project_id", 1), ("created_at", -1), ("id", -1)], name="results_project_created"),
            MongoIndex(spec=[("target_id", 1), ("created_at", -1), ("id", -1)], name="results_target_created"),
            MongoIndex(
                spec=[("project_id", 1), ("analysis.sentiment.label", 1), ("created_at", -1), ("id", -1)],
                name="results_project_label",
            ),
            # The sentiment filter is $or[{label_override.label: $in}, {label_override: null,
            # analysis.sentiment.label: $in}]: an OR plan needs an index per branch, and this one serves
            # the corrected-label branch (results_project_label serves the other). One index is a
            # smaller change than storing an effective label kept in step by every analysis write.
            MongoIndex(
                spec=[("project_id", 1), ("label_override.label", 1), ("created_at", -1), ("id", -1)],
                name="results_project_override_label",
            ),
            TextIndex(paths=["content.text", "content.title"], name="results_text"),
            MongoIndex(spec=[("scrape_job_id", 1)], name="results_scrape_job"),
            # A re-run of the same target adds only reviews it has not stored yet.
            MongoIndex(
                spec=[("target_id", 1), ("content.platform_id", 1)],
                mongo_options={"unique": True},
                name="results_target_pid_uniq",
            ),
            # seeds/001 extras the API uses: tenant scans, date-range filters, the analysis queue.
            MongoIndex(spec=[("user_id", 1), ("created_at", -1)], name="results_user_created"),
            MongoIndex(spec=[("project_id", 1), ("content.date", -1), ("id", -1)], name="results_project_date"),
            # The worker takes find({analysis_job_id, analysis_status: queued}).sort(_id).limit(batch):
            # with _id last each batch reads the next keys instead of a top-k sort of the whole queue.
            MongoIndex(spec=[("analysis_job_id", 1), ("analysis_status", 1), ("id", 1)], name="results_analysis_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.platform}:{self.content.platform_id if self.content else '?'}"

    @property
    def effective_label(self) -> str | None:
        if self.label_override is not None:
            return self.label_override.label
        sentiment = self.analysis.sentiment if self.analysis else None
        return sentiment.label if sentiment else None


class AnalysisJob(models.Model):
    """One analysis run (seeds/000 ``analysis_jobs``) with token and cost totals."""

    class Trigger(models.TextChoices):
        AFTER_SCRAPE = "after_scrape"
        REANALYZE = "reanalyze"
        MANUAL = "manual"

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        COMPLETED = "completed"
        PARTIAL = "partial"  # finished, some results failed
        FAILED = "failed"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    project_id = ObjectIdField()
    scrape_job_id = ObjectIdField(null=True, blank=True)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.MANUAL)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    analyzer = models.CharField(max_length=16)  # local-fast | local | llm
    provider = models.CharField(max_length=64, null=True, blank=True)
    model = models.CharField(max_length=200, null=True, blank=True)
    preset = models.CharField(max_length=64, null=True, blank=True)
    options = models.JSONField(default=dict, blank=True)  # the AnalysisOptions the run used
    queued = models.IntegerField(default=0)
    analyzed = models.IntegerField(default=0)
    failed = models.IntegerField(default=0)
    requests = models.IntegerField(default=0)
    tokens_in = models.IntegerField(default=0)
    tokens_out = models.IntegerField(default=0)
    tokens_cached = models.IntegerField(default=0)
    cost_usd = models.FloatField(default=0.0)
    attempts = models.IntegerField(default=0)
    error_code = models.CharField(max_length=64, null=True, blank=True)
    error_message = models.CharField(max_length=1000, null=True, blank=True)
    errors = models.JSONField(default=list, blank=True)  # bounded list of {code, message, at, count}
    usage_records = models.JSONField(default=list, blank=True)  # per provider call, bounded
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "analysis_jobs"
        ordering = ["-created_at"]
        indexes = [
            MongoIndex(spec=[("project_id", 1), ("created_at", -1)], name="ajobs_project_created"),
            MongoIndex(spec=[("user_id", 1), ("created_at", -1)], name="ajobs_user_created"),
            MongoIndex(
                spec=[("status", 1)],
                mongo_options={"partialFilterExpression": {"status": {"$in": ["queued", "running"]}}},
                name="ajobs_active",
            ),
        ]

    def __str__(self) -> str:
        return f"analysis {self.pk} ({self.status})"
