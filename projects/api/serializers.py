"""Input and output shapes of the projects API (plain serializers; ObjectIds as 24-hex strings)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.plans import allows_preset
from projects.config import (
    ObjectIdField,
    ProjectConfigSerializer,
    ScheduleConfigSerializer,
    ScheduleRunSerializer,
    StrictSerializer,
)
from projects.models import PLATFORMS, Project, Target
from projects.services import BULK_TARGETS_MAX, TargetOptionsSerializer

# --- output -----------------------------------------------------------------------------------


class SentimentDistributionSerializer(serializers.Serializer):
    positive = serializers.IntegerField()
    neutral = serializers.IntegerField()
    negative = serializers.IntegerField()


class ProjectStatsSerializer(serializers.Serializer):
    total_targets = serializers.IntegerField()
    total_results = serializers.IntegerField()
    total_scrapes = serializers.IntegerField()
    avg_sentiment = serializers.FloatField(allow_null=True)
    sentiment_distribution = SentimentDistributionSerializer()
    last_scrape_at = serializers.DateTimeField(allow_null=True)
    last_analysis_at = serializers.DateTimeField(allow_null=True)


class ProjectOutputSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    name = serializers.CharField()
    description = serializers.CharField()
    status = serializers.ChoiceField(choices=Project.Status.choices)
    preset = serializers.CharField()
    preset_id = ObjectIdField(source="preset_ref", allow_null=True)
    config = ProjectConfigSerializer()
    stats = ProjectStatsSerializer()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    archived_at = serializers.DateTimeField(allow_null=True)


class TargetStatsSerializer(serializers.Serializer):
    results_count = serializers.IntegerField()
    last_scraped_at = serializers.DateTimeField(allow_null=True)
    last_result_date = serializers.DateTimeField(allow_null=True)


class TargetOutputSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    project_id = serializers.CharField()
    url = serializers.CharField()
    source_url = serializers.CharField()
    label = serializers.CharField()
    platform = serializers.ChoiceField(choices=PLATFORMS)
    detected_type = serializers.CharField()
    platform_data = serializers.DictField()
    needs_resolution = serializers.BooleanField()
    options = TargetOptionsSerializer()
    metadata = serializers.DictField()
    stats = TargetStatsSerializer()
    status = serializers.ChoiceField(choices=Target.Status.choices)
    error_message = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class PresetOutputSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    is_system = serializers.BooleanField()
    available = serializers.SerializerMethodField(help_text="Whether your plan may use this preset.")
    config = ProjectConfigSerializer()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_available(self, preset: Any) -> bool:
        user = self.context.get("user")
        return not preset.is_system or user is None or allows_preset(user.plan, preset.slug)


class ProjectDeleteOutputSerializer(serializers.Serializer):
    deleted = serializers.DictField(child=serializers.IntegerField())


class BulkTargetResultSerializer(serializers.Serializer):
    url = serializers.CharField()
    status = serializers.ChoiceField(choices=["created", "duplicate", "invalid", "limit_reached"])
    reason = serializers.CharField(required=False)
    target = TargetOutputSerializer(required=False)


class BulkTargetOutputSerializer(serializers.Serializer):
    results = BulkTargetResultSerializer(many=True)
    created = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    invalid = serializers.IntegerField()
    limit_reached = serializers.IntegerField()


class ScheduleOutputSerializer(ScheduleConfigSerializer):
    pass


class ScheduleHistoryOutputSerializer(serializers.Serializer):
    results = ScheduleRunSerializer(many=True)


class UpcomingRunsOutputSerializer(serializers.Serializer):
    timezone = serializers.CharField()
    runs = serializers.ListField(child=serializers.DateTimeField())
    runs_local = serializers.ListField(child=serializers.CharField(), help_text="The same instants, local ISO 8601.")


# --- input ------------------------------------------------------------------------------------


class ProjectCreateInputSerializer(StrictSerializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")
    preset = serializers.CharField(
        max_length=64, required=False, allow_null=True, help_text="A system preset slug or a custom preset id."
    )
    config = ProjectConfigSerializer(required=False, help_text="Overrides of the preset's config, field by field.")


class ProjectUpdateInputSerializer(StrictSerializer):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(max_length=2000, allow_blank=True, required=False)
    status = serializers.ChoiceField(choices=["active", "paused"], required=False)
    config = ProjectConfigSerializer(required=False)


class ProjectDuplicateInputSerializer(StrictSerializer):
    name = serializers.CharField(max_length=200, required=False)
    include_targets = serializers.BooleanField(required=False, default=False)


class TargetCreateInputSerializer(StrictSerializer):
    url = serializers.CharField(max_length=4096)
    label = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")
    options = serializers.DictField(required=False)
    metadata = serializers.DictField(required=False)


class BulkTargetItemSerializer(serializers.Serializer):
    url = serializers.CharField()
    label = serializers.CharField(required=False)


class BulkTargetInputSerializer(StrictSerializer):
    targets = serializers.ListField(
        child=serializers.JSONField(), min_length=1, max_length=BULK_TARGETS_MAX,
        help_text="Links as strings or {url, label} objects.",
    )  # fmt: skip


class TargetUpdateInputSerializer(StrictSerializer):
    label = serializers.CharField(max_length=200, allow_blank=True, required=False)
    options = serializers.DictField(required=False)
    metadata = serializers.DictField(required=False)
    status = serializers.ChoiceField(choices=["active", "paused"], required=False)


class PresetCreateInputSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")
    base = serializers.CharField(max_length=64, required=False, help_text="Preset (slug or id) to start from.")
    config = ProjectConfigSerializer(required=False)


class PresetUpdateInputSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100, required=False)
    description = serializers.CharField(max_length=2000, allow_blank=True, required=False)
    config = ProjectConfigSerializer(required=False)


class PresetDuplicateInputSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100, required=False)


class SchedulePreviewInputSerializer(ScheduleConfigSerializer):
    count = serializers.IntegerField(min_value=1, max_value=50, required=False, default=5)
