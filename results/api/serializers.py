"""Serializers for results and analysis jobs. Results are raw documents (dicts) from ``results.selectors``."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from results.models import SENTIMENT_LABELS
from sentimatrix.api.fields import ObjectIdField


class SentimentScoresSerializer(serializers.Serializer):
    very_positive = serializers.FloatField()
    positive = serializers.FloatField()
    neutral = serializers.FloatField()
    negative = serializers.FloatField()
    very_negative = serializers.FloatField()


class SentimentSerializer(serializers.Serializer):
    label = serializers.ChoiceField(choices=SENTIMENT_LABELS)
    score = serializers.FloatField()
    confidence = serializers.FloatField()
    scores = SentimentScoresSerializer(allow_null=True)
    analyzer = serializers.CharField()
    analyzed_at = serializers.DateTimeField(allow_null=True)


class EmotionScoreSerializer(serializers.Serializer):
    emotion = serializers.CharField()
    score = serializers.FloatField()


class EmotionsSerializer(serializers.Serializer):
    model = serializers.CharField()
    primary = serializers.CharField()
    primary_score = serializers.FloatField()
    detected = EmotionScoreSerializer(many=True)
    analyzer = serializers.CharField()
    analyzed_at = serializers.DateTimeField(allow_null=True)


class SummarySerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True)
    key_points = serializers.ListField(child=serializers.CharField())
    analyzer = serializers.CharField()
    generated_at = serializers.DateTimeField(allow_null=True)


class TopicSerializer(serializers.Serializer):
    topic = serializers.CharField()
    sentiment = serializers.FloatField()


class InsightsSerializer(serializers.Serializer):
    pros = serializers.ListField(child=serializers.CharField())
    cons = serializers.ListField(child=serializers.CharField())
    topics = TopicSerializer(many=True)
    analyzer = serializers.CharField()
    extracted_at = serializers.DateTimeField(allow_null=True)


class AnalysisSerializer(serializers.Serializer):
    sentiment = SentimentSerializer(allow_null=True)
    emotions = EmotionsSerializer(allow_null=True)
    summary = SummarySerializer(allow_null=True)
    insights = InsightsSerializer(allow_null=True)


class ProvenanceSerializer(serializers.Serializer):
    analyzer = serializers.CharField()
    provider = serializers.CharField(allow_null=True)
    model = serializers.CharField(allow_null=True)
    preset = serializers.CharField(allow_null=True)
    analysis_job_id = ObjectIdField(allow_null=True)
    analyzed_at = serializers.DateTimeField()


class AnalysisProvenanceSerializer(serializers.Serializer):
    sentiment = ProvenanceSerializer(allow_null=True)
    emotions = ProvenanceSerializer(allow_null=True)
    summary = ProvenanceSerializer(allow_null=True)
    insights = ProvenanceSerializer(allow_null=True)


class LabelOverrideSerializer(serializers.Serializer):
    label = serializers.ChoiceField(choices=SENTIMENT_LABELS)
    previous_label = serializers.CharField(allow_null=True)
    by = ObjectIdField()
    at = serializers.DateTimeField()
    note = serializers.CharField(allow_blank=True)


class ContentSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True)
    title = serializers.CharField(allow_blank=True)
    author = serializers.CharField(allow_blank=True)
    rating = serializers.FloatField(allow_null=True)
    date = serializers.DateTimeField(allow_null=True)
    url = serializers.CharField(allow_blank=True)
    platform_id = serializers.CharField()


def _get(doc: Any, key: str, default: Any = None) -> Any:
    return doc.get(key, default) if isinstance(doc, dict) else getattr(doc, key, default)


class ResultSerializer(serializers.Serializer):
    id = ObjectIdField(source="_id", read_only=True)
    project_id = ObjectIdField()
    target_id = ObjectIdField()
    scrape_job_id = ObjectIdField(allow_null=True)
    content = ContentSerializer()
    analysis = AnalysisSerializer()
    analysis_provenance = AnalysisProvenanceSerializer(allow_null=True)
    label_override = LabelOverrideSerializer(allow_null=True)
    label = serializers.SerializerMethodField(help_text="Effective label: the human correction when there is one.")
    analysis_status = serializers.CharField()
    platform = serializers.CharField()
    language = serializers.CharField(allow_null=True)
    word_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField(allow_null=True)

    def get_label(self, doc: Any) -> str | None:
        override = _get(doc, "label_override")
        if override:
            return override.get("label")
        sentiment = (_get(doc, "analysis") or {}).get("sentiment")
        return sentiment.get("label") if sentiment else None

    def to_representation(self, instance: Any) -> dict[str, Any]:
        # Documents written before a field existed may lack it; render them as null, not as errors.
        if isinstance(instance, dict):
            instance = {
                "scrape_job_id": None, "analysis_provenance": None, "label_override": None, "language": None,
                "updated_at": None, "word_count": 0, "analysis_status": "pending", **instance,
            }  # fmt: skip
            analysis = {"sentiment": None, "emotions": None, "summary": None, "insights": None}
            analysis.update(instance.get("analysis") or {})
            instance["analysis"] = analysis
        return super().to_representation(instance)


class LabelOverrideInputSerializer(serializers.Serializer):
    label = serializers.ChoiceField(
        choices=SENTIMENT_LABELS, allow_null=True, help_text="The corrected label; null removes the correction."
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ResultPatchSerializer(serializers.Serializer):
    label_override = LabelOverrideInputSerializer(allow_null=True)


class AnalysisJobSerializer(serializers.Serializer):
    id = ObjectIdField(read_only=True)
    project_id = ObjectIdField()
    scrape_job_id = ObjectIdField(allow_null=True)
    trigger = serializers.CharField()
    status = serializers.CharField()
    analyzer = serializers.CharField()
    provider = serializers.CharField(allow_null=True)
    model = serializers.CharField(allow_null=True)
    preset = serializers.CharField(allow_null=True)
    options = serializers.DictField()
    queued = serializers.IntegerField()
    analyzed = serializers.IntegerField()
    failed = serializers.IntegerField()
    requests = serializers.IntegerField()
    tokens_in = serializers.IntegerField()
    tokens_out = serializers.IntegerField()
    tokens_cached = serializers.IntegerField()
    cost_usd = serializers.FloatField()
    attempts = serializers.IntegerField()
    error_code = serializers.CharField(allow_null=True)
    error_message = serializers.CharField(allow_null=True)
    errors = serializers.ListField(child=serializers.DictField())
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)


class AnalyzeInputSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(default=False, help_text="Only return the cost estimate.")
    result_ids = serializers.ListField(child=ObjectIdField(), required=False, max_length=10000)
    filters = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        help_text="Same keys as the results list query (sentiment, platform, date_from, q, ...).",
    )


class EstimateSerializer(serializers.Serializer):
    results = serializers.IntegerField()
    analyzer = serializers.CharField()
    provider = serializers.CharField(allow_null=True)
    model = serializers.CharField(allow_null=True)
    requests = serializers.IntegerField()
    input_tokens = serializers.IntegerField()
    output_tokens = serializers.IntegerField()
    cost_usd = serializers.FloatField(allow_null=True)
    priced = serializers.BooleanField()


class BulkDeleteSerializer(serializers.Serializer):
    deleted = serializers.IntegerField()
