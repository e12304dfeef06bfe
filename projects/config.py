"""Project configuration: validation (field by field, with paths in the error details), deep merge
of overrides onto a preset, and conversion between the embedded ``ProjectConfig`` and plain dicts.

The serializers here validate; ``projects.services`` decides what to do with the result. Errors
are DRF ``ValidationError``s whose ``detail`` nests like the config itself, e.g.
``{"config": {"llm": {"model": ["..."]}}}``, so the API envelope says exactly what to fix.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from bson import ObjectId
from django.db import models
from django_mongodb_backend.fields import EmbeddedModelArrayField, EmbeddedModelField
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from projects import schedule_math
from projects.models import (
    ANALYZERS,
    COMMERCIAL_PROVIDERS,
    EMOTION_MODELS,
    FREQUENCIES,
    PLATFORMS,
    ProjectConfig,
)
from sentimatrix.api.fields import ObjectIdField as _ObjectIdField


@extend_schema_field({"type": "string", "pattern": "^[0-9a-f]{24}$", "example": "65a1b2c3d4e5f60718293a4b"})
class ObjectIdField(_ObjectIdField):
    """The shared ObjectId field, documented as a 24-hex string in the OpenAPI schema."""


# Bounds for config.limits: generous, but a typo (an extra zero) cannot run away with a quota.
MAX_RESULTS_PER_TARGET = 10_000
MAX_RESULTS_PER_JOB = 100_000
MIN_REQUEST_DELAY = 0.1
MAX_REQUEST_DELAY = 60.0
MAX_LLM_TOKENS = 32_000
PLATFORMS_NEEDING_PROVIDER = ("trustpilot", "yelp")

# Fields the server computes; clients may send them back (from a GET) and they are ignored.
SCHEDULE_READ_ONLY = ("next_run_at", "last_run_at", "history")


class StrictSerializer(serializers.Serializer):
    """Rejects unknown keys instead of silently dropping them (a misspelt option must not vanish)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            known = set(self.fields)
            unknown = sorted(str(key) for key in data if key not in known)
            if unknown:
                raise serializers.ValidationError({key: ["Unknown field."] for key in unknown})
        return super().to_internal_value(data)


class CommercialConfigSerializer(StrictSerializer):
    api_key_id = ObjectIdField(allow_null=True, required=False)
    render_js = serializers.BooleanField(required=False)
    country = serializers.RegexField(r"^([A-Za-z]{2})?$", allow_blank=True, required=False, max_length=2)
    premium_proxy = serializers.BooleanField(required=False)


class ScrapersConfigSerializer(StrictSerializer):
    platforms = serializers.ListField(
        child=serializers.ChoiceField(choices=PLATFORMS), max_length=len(PLATFORMS), required=False
    )
    commercial_provider = serializers.ChoiceField(choices=COMMERCIAL_PROVIDERS, allow_null=True, required=False)
    commercial_config = CommercialConfigSerializer(required=False)

    def validate_platforms(self, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise serializers.ValidationError("List each platform once.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        needing = [p for p in attrs.get("platforms", []) if p in PLATFORMS_NEEDING_PROVIDER]
        if needing and not attrs.get("commercial_provider"):
            raise serializers.ValidationError(
                {"commercial_provider": [f"{', '.join(needing)} can only be collected through a commercial provider "
                                         f"({' or '.join(COMMERCIAL_PROVIDERS)}); choose one."]}
            )  # fmt: skip
        return attrs


class LLMConfigSerializer(StrictSerializer):
    provider = serializers.CharField(max_length=32, required=False)
    model = serializers.CharField(max_length=128, required=False)
    api_key_id = ObjectIdField(allow_null=True, required=False)
    temperature = serializers.FloatField(min_value=0.0, max_value=2.0, required=False)
    max_tokens = serializers.IntegerField(min_value=1, max_value=MAX_LLM_TOKENS, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        from integrations.catalogue import get_catalogue

        if "provider" not in attrs or "model" not in attrs:
            return attrs  # partial section (an override); the merged config is validated whole
        catalogue = get_catalogue(_price_overrides())
        provider = catalogue.llm_providers.get(attrs["provider"])
        if provider is None:
            known = ", ".join(sorted(catalogue.llm_providers))
            raise serializers.ValidationError({"provider": [f"Unknown LLM provider; use one of: {known}."]})
        model = provider.models.get(attrs["model"])
        if model is None or model.status == "retired":
            usable = ", ".join(m.id for m in provider.models.values() if m.status != "retired")
            reason = "is retired" if model is not None else "is not offered"
            raise serializers.ValidationError(
                {"model": [f"'{attrs['model']}' {reason} by {provider.id}; use one of: {usable}."]}
            )
        if "max_tokens" in attrs and attrs["max_tokens"] > model.max_output:
            raise serializers.ValidationError(
                {"max_tokens": [f"{model.id} answers with at most {model.max_output} tokens."]}
            )
        return attrs


class AnalysisConfigSerializer(StrictSerializer):
    sentiment = serializers.BooleanField(required=False)
    analyzer = serializers.ChoiceField(choices=ANALYZERS, required=False)
    sentiment_classes = serializers.ChoiceField(choices=[3, 5], required=False)
    emotions = serializers.BooleanField(required=False)
    emotion_model = serializers.ChoiceField(choices=EMOTION_MODELS, required=False)
    summarize = serializers.BooleanField(required=False)
    extract_insights = serializers.BooleanField(required=False)


class ScheduleRunSerializer(serializers.Serializer):
    job_id = ObjectIdField(allow_null=True, read_only=True)
    started_at = serializers.DateTimeField(allow_null=True, read_only=True)
    status = serializers.CharField(read_only=True)
    results_count = serializers.IntegerField(read_only=True)
    error = serializers.CharField(read_only=True)


class ScheduleConfigSerializer(StrictSerializer):
    """``days_of_week``: 0 = Monday .. 6 = Sunday. ``time`` is local HH:MM (hourly uses the minutes)."""

    enabled = serializers.BooleanField(required=False)
    frequency = serializers.ChoiceField(choices=FREQUENCIES, required=False)
    time = serializers.CharField(max_length=5, required=False)
    timezone = serializers.CharField(max_length=64, required=False)
    days_of_week = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6), max_length=7, required=False
    )
    day_of_month = serializers.IntegerField(min_value=1, max_value=28, allow_null=True, required=False)
    next_run_at = serializers.DateTimeField(read_only=True, allow_null=True)
    last_run_at = serializers.DateTimeField(read_only=True, allow_null=True)
    history = ScheduleRunSerializer(many=True, read_only=True)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            data = {key: value for key, value in data.items() if key not in SCHEDULE_READ_ONLY}
        return super().to_internal_value(data)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not {"frequency", "time", "timezone"} <= set(attrs):
            return attrs  # partial section; the merged config is validated whole
        rule = rule_from(attrs)
        attrs["days_of_week"] = list(rule.days_of_week)
        attrs["day_of_month"] = rule.day_of_month
        return attrs


class LimitsConfigSerializer(StrictSerializer):
    max_results_per_target = serializers.IntegerField(min_value=1, max_value=MAX_RESULTS_PER_TARGET, required=False)
    max_results_per_job = serializers.IntegerField(min_value=1, max_value=MAX_RESULTS_PER_JOB, required=False)
    request_delay_seconds = serializers.FloatField(
        min_value=MIN_REQUEST_DELAY, max_value=MAX_REQUEST_DELAY, required=False
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        per_target, per_job = attrs.get("max_results_per_target"), attrs.get("max_results_per_job")
        if per_target is not None and per_job is not None and per_job < per_target:
            raise serializers.ValidationError({"max_results_per_job": ["Must be at least max_results_per_target."]})
        return attrs


class ProjectConfigSerializer(StrictSerializer):
    scrapers = ScrapersConfigSerializer(required=False)
    llm = LLMConfigSerializer(required=False)
    analysis = AnalysisConfigSerializer(required=False)
    schedule = ScheduleConfigSerializer(required=False)
    limits = LimitsConfigSerializer(required=False)


def rule_from(schedule: Mapping[str, Any]) -> schedule_math.ScheduleRule:
    """The ``ScheduleRule`` of a schedule mapping; a ``ValidationError`` naming the field otherwise."""
    try:
        return schedule_math.validate_rule(
            schedule.get("frequency"),  # type: ignore[arg-type]
            schedule.get("time"),  # type: ignore[arg-type]
            schedule.get("timezone") or "UTC",
            days_of_week=schedule.get("days_of_week") or [],
            day_of_month=schedule.get("day_of_month"),
        )
    except schedule_math.ScheduleError as exc:
        raise serializers.ValidationError({exc.field: [exc.message]}) from None


def _price_overrides() -> Any:
    from django.conf import settings

    return getattr(settings, "LLM_PRICE_OVERRIDES", None) or None


# --- dict <-> embedded model -----------------------------------------------------------------


def to_dict(instance: models.Model | None) -> dict[str, Any] | None:
    """An embedded model instance as a plain (deep) dict, keyed by field name."""
    if instance is None:
        return None
    out: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.primary_key:
            continue
        value = getattr(instance, field.attname)
        if isinstance(field, EmbeddedModelArrayField):
            out[field.name] = [to_dict(item) for item in value or []]
        elif isinstance(field, EmbeddedModelField):
            out[field.name] = to_dict(value)
        else:
            out[field.name] = copy.deepcopy(value)
    return out


def from_dict(model: type[models.Model], data: Mapping[str, Any] | None) -> Any:
    """Build an embedded model instance (recursively) from a dict; missing keys get field defaults."""
    kwargs: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or data is None or field.name not in data:
            continue
        value = data[field.name]
        if isinstance(field, EmbeddedModelArrayField):
            value = [from_dict(field.embedded_model, item) for item in value or []]
        elif isinstance(field, EmbeddedModelField):
            value = from_dict(field.embedded_model, value) if value is not None else None
        elif isinstance(value, str) and field.get_internal_type() == "ObjectIdField":
            value = ObjectId(value)
        kwargs[field.name] = value
    return model(**kwargs)


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``override`` laid over it; nested mappings merge key by key, lists replace."""
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def validate_override(override: Any) -> dict[str, Any]:
    """Shape-check a partial config (unknown keys, types, bounds) before it is merged."""
    serializer = ProjectConfigSerializer(data=override, partial=True)
    if not serializer.is_valid():
        raise serializers.ValidationError({"config": serializer.errors})
    return _plain(serializer.validated_data)


def validate_full(config: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a complete (merged) config dict; return it normalized. Errors nest under ``config``."""
    data = {key: value for key, value in config.items()}
    schedule = dict(data.get("schedule") or {})
    data["schedule"] = {k: v for k, v in schedule.items() if k not in SCHEDULE_READ_ONLY}
    serializer = ProjectConfigSerializer(data=_jsonable(data))
    if not serializer.is_valid():
        raise serializers.ValidationError({"config": serializer.errors})
    clean = _plain(serializer.validated_data)
    for key in SCHEDULE_READ_ONLY:  # keep what the server computed; callers recompute next_run_at
        if key in schedule:
            clean.setdefault("schedule", {})[key] = schedule[key]
    return clean


def config_from(data: Mapping[str, Any]) -> ProjectConfig:
    return from_dict(ProjectConfig, data)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _jsonable(value: Any) -> Any:
    """ObjectIds to strings so serializer fields accept stored values."""
    if isinstance(value, Mapping):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, ObjectId):
        return str(value)
    return value
