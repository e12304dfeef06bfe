"""Input and output shapes of the scrape-jobs API (plain serializers; ObjectIds as 24-hex strings)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers

from scraping.models import JobTarget, ScrapeJob
from scraping.services import OPTION_KEYS


class NullableIdField(serializers.CharField):
    def to_representation(self, value: Any) -> str | None:
        return None if value is None else str(value)


# --- input ------------------------------------------------------------------------------------


class ScrapeOptionsInputSerializer(serializers.Serializer):
    max_results = serializers.IntegerField(
        required=False, min_value=1, max_value=settings.SCRAPING_MAX_RESULTS_CAP, help_text="Reviews per target."
    )
    include_replies = serializers.BooleanField(required=False)
    date_from = serializers.DateTimeField(required=False, allow_null=True)
    date_to = serializers.DateTimeField(required=False, allow_null=True)
    language = serializers.CharField(required=False, allow_null=True, max_length=32)


class ScrapeJobStartInputSerializer(serializers.Serializer):
    target_ids = serializers.ListField(
        child=serializers.RegexField(r"^[0-9a-f]{24}$", error_messages={"invalid": "Not a valid target id."}),
        required=False,
        allow_empty=False,
        max_length=500,
        help_text="Targets to scrape; leave out to scrape every active target of the project.",
    )
    options = ScrapeOptionsInputSerializer(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(getattr(self, "initial_data", {}) or {}) - {"target_ids", "options"})
        if unknown:
            raise serializers.ValidationError(f"Unknown field(s): {', '.join(unknown)}. Allowed: target_ids, options.")
        options = self.initial_data.get("options") if isinstance(self.initial_data, dict) else None
        unknown = sorted(set(options) - set(OPTION_KEYS)) if isinstance(options, dict) else []
        if unknown:
            raise serializers.ValidationError(
                {"options": [f"Unknown option(s): {', '.join(unknown)}. Allowed: {', '.join(OPTION_KEYS)}."]}
            )
        return attrs


# --- output -----------------------------------------------------------------------------------


class JobTargetSerializer(serializers.Serializer):
    target_id = serializers.CharField()
    platform = serializers.CharField()
    url = serializers.CharField()
    status = serializers.ChoiceField(choices=JobTarget.Status.choices)
    progress = serializers.IntegerField()
    results_count = serializers.IntegerField()
    fetched_count = serializers.IntegerField()
    pages = serializers.IntegerField()
    requests_made = serializers.IntegerField()
    error = serializers.CharField(allow_null=True)
    error_code = serializers.CharField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)


class JobOptionsSerializer(serializers.Serializer):
    max_results = serializers.IntegerField(allow_null=True)
    include_replies = serializers.BooleanField()
    date_from = serializers.DateTimeField(allow_null=True)
    date_to = serializers.DateTimeField(allow_null=True)
    language = serializers.CharField(allow_null=True)


class JobStatsSerializer(serializers.Serializer):
    targets_total = serializers.IntegerField()
    targets_completed = serializers.IntegerField()
    targets_failed = serializers.IntegerField()
    results_total = serializers.IntegerField()
    reviews_fetched = serializers.IntegerField()
    requests_made = serializers.IntegerField()
    errors_count = serializers.IntegerField()


class ScrapeJobListSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    project_id = serializers.CharField()
    status = serializers.ChoiceField(choices=ScrapeJob.Status.choices)
    progress = serializers.IntegerField()
    trigger = serializers.ChoiceField(choices=ScrapeJob.Trigger.choices)
    triggered_by = NullableIdField(source="triggered_by_id", allow_null=True)
    retry_of = NullableIdField(allow_null=True)
    options = JobOptionsSerializer()
    stats = JobStatsSerializer()
    started_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    duration_seconds = serializers.FloatField(allow_null=True)
    error_message = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()


class ScrapeJobSerializer(ScrapeJobListSerializer):
    targets = JobTargetSerializer(many=True)
    attempts = serializers.IntegerField()
    recoveries = serializers.IntegerField()
    updated_at = serializers.DateTimeField()


class JobTargetProgressSerializer(serializers.Serializer):
    target_id = serializers.CharField()
    status = serializers.ChoiceField(choices=JobTarget.Status.choices)
    progress = serializers.IntegerField()
    results_count = serializers.IntegerField()
    error = serializers.CharField(allow_null=True)


class ScrapeJobProgressSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=ScrapeJob.Status.choices)
    progress = serializers.IntegerField()
    stats = JobStatsSerializer()
    targets = JobTargetProgressSerializer(many=True)
    updated_at = serializers.DateTimeField()


class JobLogEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    level = serializers.CharField()
    event = serializers.CharField()
    target_id = NullableIdField(allow_null=True)
    message = serializers.CharField()


class ScrapeJobLogSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=ScrapeJob.Status.choices)
    entries = JobLogEntrySerializer(many=True)
