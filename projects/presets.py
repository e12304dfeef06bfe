"""System presets: the code's definitions and the idempotent seeding used by the data migration and
``manage.py seed_presets``.

Values come from the original system (issue 4, docs/analysis.md "Temperature and max_tokens from
the preset"). Each preset is a full project config; a project created from it copies the config
and may override it field by field. Seeding never touches custom presets (``is_system=False``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import connections

from projects.config import config_from, deep_merge

_OFFLINE = (
    " Sentiment runs on the built-in offline analyzer (no API key, no cost per review);"
    " the LLM settings below are used only if you switch the analyzer to 'llm'."
)

SYSTEM_PRESETS: dict[str, dict[str, Any]] = {
    "starter": {
        "name": "Starter",
        "description": "Basic 3-class sentiment for Amazon products." + _OFFLINE,
        "config": {
            "scrapers": {"platforms": ["amazon"], "commercial_provider": None},
            "llm": {"provider": "groq", "model": "llama-3.3-70b-versatile", "temperature": 0.3, "max_tokens": 500},
            "analysis": {"analyzer": "local-fast", "sentiment_classes": 3, "emotions": False,
                         "emotion_model": "ekman", "summarize": False, "extract_insights": False},
            "limits": {"max_results_per_target": 50, "max_results_per_job": 100, "request_delay_seconds": 2.0},
            "schedule": {"enabled": False, "frequency": "daily", "time": "09:00", "timezone": "UTC"},
        },
    },
    "standard": {
        "name": "Standard",
        "description": (
            "5-class sentiment and Ekman emotions for Amazon, Steam and YouTube. Sentiment and emotions run on "
            "the offline multilingual analyzer; no API key is needed."
        ),
        "config": {
            "scrapers": {"platforms": ["amazon", "steam", "youtube"], "commercial_provider": None},
            "llm": {"provider": "groq", "model": "llama-3.3-70b-versatile", "temperature": 0.5, "max_tokens": 1000},
            "analysis": {"analyzer": "local", "sentiment_classes": 5, "emotions": True,
                         "emotion_model": "ekman", "summarize": False, "extract_insights": False},
            "limits": {"max_results_per_target": 100, "max_results_per_job": 500, "request_delay_seconds": 1.0},
            "schedule": {"enabled": False, "frequency": "daily", "time": "09:00", "timezone": "UTC"},
        },
    },
    "advanced": {
        "name": "Advanced",
        "description": (
            "Amazon, Steam, YouTube, Reddit and Trustpilot (through ScraperAPI), 5-class sentiment, GoEmotions, "
            "LLM summaries and insights, collected daily at 09:00. Sentiment and emotions run offline; the LLM "
            "(your Groq key) writes the summaries and insights."
        ),
        "config": {
            "scrapers": {"platforms": ["amazon", "steam", "youtube", "reddit", "trustpilot"],
                         "commercial_provider": "scraperapi"},
            "llm": {"provider": "groq", "model": "llama-3.3-70b-versatile", "temperature": 0.7, "max_tokens": 2000},
            "analysis": {"analyzer": "local", "sentiment_classes": 5, "emotions": True,
                         "emotion_model": "goemotions", "summarize": True, "extract_insights": True},
            "limits": {"max_results_per_target": 200, "max_results_per_job": 1000, "request_delay_seconds": 0.5},
            "schedule": {"enabled": True, "frequency": "daily", "time": "09:00", "timezone": "UTC"},
        },
    },
    "budget": {
        "name": "Budget",
        "description": "The cheapest setup: 3-class sentiment for Amazon, small batches." + _OFFLINE,
        "config": {
            "scrapers": {"platforms": ["amazon"], "commercial_provider": None},
            "llm": {"provider": "groq", "model": "llama-3.1-8b-instant", "temperature": 0.3, "max_tokens": 300},
            "analysis": {"analyzer": "local-fast", "sentiment_classes": 3, "emotions": False,
                         "emotion_model": "ekman", "summarize": False, "extract_insights": False},
            "limits": {"max_results_per_target": 25, "max_results_per_job": 50, "request_delay_seconds": 3.0},
            "schedule": {"enabled": False, "frequency": "daily", "time": "09:00", "timezone": "UTC"},
        },
    },
    "enterprise": {
        "name": "Enterprise",
        "description": (
            "Every platform (Trustpilot and Yelp through Apify), 5-class sentiment and emotions by the LLM "
            "(OpenAI gpt-4o-mini with your key), summaries and insights, collected daily. Enterprise plan only."
        ),
        "config": {
            "scrapers": {"platforms": ["amazon", "steam", "youtube", "reddit", "google", "trustpilot", "yelp"],
                         "commercial_provider": "apify"},
            "llm": {"provider": "openai", "model": "gpt-4o-mini", "temperature": 0.5, "max_tokens": 4000},
            "analysis": {"analyzer": "llm", "sentiment_classes": 5, "emotions": True,
                         "emotion_model": "goemotions", "summarize": True, "extract_insights": True},
            "limits": {"max_results_per_target": 500, "max_results_per_job": 5000, "request_delay_seconds": 0.5},
            "schedule": {"enabled": True, "frequency": "daily", "time": "06:00", "timezone": "UTC"},
        },
    },
}  # fmt: skip


@dataclass
class SeedReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    differs: list[str] = field(default_factory=list)  # stored values differ from the code (use --reset)

    def as_dict(self) -> dict[str, list[str]]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged, "differs": self.differs}


def preset_document(slug: str, definition: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The stored form of a system preset's mutable part (name, description, full config)."""
    from projects.models import Preset

    definition = definition or SYSTEM_PRESETS[slug]
    config = config_from(definition["config"])
    prepared = Preset._meta.get_field("config").get_db_prep_save(config, connections["default"])
    return {"name": definition["name"], "description": definition["description"], "config": prepared}


def seed_system_presets(
    *, reset: bool = False, using: str = "default", now: Any = None, dry_run: bool = False
) -> SeedReport:
    """Create missing system presets; add fields the code has and a stored preset lacks.

    Without ``reset``, values already stored are kept (reported in ``differs`` when they are not the
    code's); with ``reset`` the stored presets are rewritten to the code's definitions. ``dry_run``
    reports the same without writing. Works on the raw collection so the data migration and the
    command share it.
    """
    from django.utils import timezone

    from projects.models import Preset

    now = now or timezone.now()
    collection = connections[using].get_collection(Preset._meta.db_table)
    report = SeedReport()
    for slug in SYSTEM_PRESETS:
        wanted = preset_document(slug)
        stored = collection.find_one({"is_system": True, "slug": slug})
        if stored is None:
            if not dry_run:
                collection.insert_one(
                    {"user_id": None, "slug": slug, "is_system": True, "created_at": now, "updated_at": now, **wanted}
                )
            report.created.append(slug)
            continue
        current = {key: stored.get(key) for key in wanted}
        target = wanted if reset else deep_merge(wanted, {k: v for k, v in current.items() if v is not None})
        if target != current:
            if not dry_run:
                collection.update_one({"_id": stored["_id"]}, {"$set": {**target, "updated_at": now}})
            report.updated.append(slug)
        else:
            report.unchanged.append(slug)
        if target != wanted:
            report.differs.append(slug)
    return report
