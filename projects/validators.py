"""``$jsonSchema`` validators for ``projects``, ``targets`` and ``presets`` (seeds/000 phase 3).

Applied by migration 0002 (``SetJSONSchemaValidator``); the migration carries a frozen copy and a
test keeps the two equal. They check what must never be wrong whoever writes (ORM, raw pymongo in
a service, a shell): required fields, types, enums and bounds. Django writes every field on insert,
nullable ones as explicit ``null``; integers are ``long`` (or ``int`` from raw writes), floats
``double``. Pure data: no Django imports.
"""

from __future__ import annotations

from typing import Any

INT = ["int", "long"]
NUMBER = ["int", "long", "double", "decimal"]
DATE_OR_NULL = ["date", "null"]
OID_OR_NULL = ["objectId", "null"]

_PLATFORMS = ["amazon", "steam", "youtube", "reddit", "google", "trustpilot", "yelp"]

CONFIG_SCHEMA: dict[str, Any] = {
    "bsonType": "object",
    "required": ["scrapers", "llm", "analysis", "schedule", "limits"],
    "properties": {
        "scrapers": {
            "bsonType": "object",
            "required": ["platforms"],
            "properties": {
                "platforms": {"bsonType": "array", "items": {"enum": _PLATFORMS}},
                "commercial_provider": {"enum": ["scraperapi", "apify", None]},
            },
        },
        "llm": {
            "bsonType": "object",
            "required": ["provider", "model", "temperature", "max_tokens"],
            "properties": {
                "provider": {"bsonType": "string", "minLength": 1},
                "model": {"bsonType": "string", "minLength": 1},
                "api_key_id": {"bsonType": OID_OR_NULL},
                "temperature": {"bsonType": NUMBER, "minimum": 0, "maximum": 2},
                "max_tokens": {"bsonType": INT, "minimum": 1},
            },
        },
        "analysis": {
            "bsonType": "object",
            "required": ["analyzer", "sentiment_classes", "emotion_model"],
            "properties": {
                "analyzer": {"enum": ["local-fast", "local", "llm"]},
                "sentiment_classes": {"enum": [3, 5]},
                "emotions": {"bsonType": "bool"},
                "emotion_model": {"enum": ["ekman", "goemotions", "plutchik"]},
                "summarize": {"bsonType": "bool"},
                "extract_insights": {"bsonType": "bool"},
            },
        },
        "schedule": {
            "bsonType": "object",
            "required": ["enabled", "frequency", "time", "timezone"],
            "properties": {
                "enabled": {"bsonType": "bool"},
                "frequency": {"enum": ["hourly", "daily", "weekly", "monthly"]},
                "time": {"bsonType": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"},
                "timezone": {"bsonType": "string", "minLength": 1},
                "days_of_week": {"bsonType": "array", "items": {"bsonType": INT, "minimum": 0, "maximum": 6}},
                "day_of_month": {"bsonType": INT + ["null"], "minimum": 1, "maximum": 28},
                "next_run_at": {"bsonType": DATE_OR_NULL},
                "last_run_at": {"bsonType": DATE_OR_NULL},
                "history": {"bsonType": "array"},
            },
        },
        "limits": {
            "bsonType": "object",
            "required": ["max_results_per_target", "max_results_per_job", "request_delay_seconds"],
            "properties": {
                "max_results_per_target": {"bsonType": INT, "minimum": 1},
                "max_results_per_job": {"bsonType": INT, "minimum": 1},
                "request_delay_seconds": {"bsonType": NUMBER, "minimum": 0},
            },
        },
    },
}

PROJECT_SCHEMA: dict[str, Any] = {
    "bsonType": "object",
    "required": ["user_id", "name", "status", "preset", "config", "stats", "created_at"],
    "properties": {
        "_id": {"bsonType": "objectId"},
        "user_id": {"bsonType": "objectId"},
        "name": {"bsonType": "string", "minLength": 1, "maxLength": 200},
        "description": {"bsonType": "string", "maxLength": 2000},
        "status": {"enum": ["active", "paused", "error", "archived"]},
        "preset": {"bsonType": "string", "minLength": 1},
        "preset_ref": {"bsonType": OID_OR_NULL},
        "config": CONFIG_SCHEMA,
        "stats": {
            "bsonType": "object",
            "properties": {
                "total_targets": {"bsonType": INT, "minimum": 0},
                "total_results": {"bsonType": INT, "minimum": 0},
                "total_scrapes": {"bsonType": INT, "minimum": 0},
                "avg_sentiment": {"bsonType": NUMBER + ["null"]},
                "last_scrape_at": {"bsonType": DATE_OR_NULL},
                "last_analysis_at": {"bsonType": DATE_OR_NULL},
            },
        },
        "created_at": {"bsonType": "date"},
        "updated_at": {"bsonType": "date"},
        "archived_at": {"bsonType": DATE_OR_NULL},
    },
}

TARGET_SCHEMA: dict[str, Any] = {
    "bsonType": "object",
    "required": ["project_id", "user_id", "url", "platform", "status", "created_at"],
    "properties": {
        "_id": {"bsonType": "objectId"},
        "project_id": {"bsonType": "objectId"},
        "user_id": {"bsonType": "objectId"},
        "url": {"bsonType": "string", "minLength": 1, "maxLength": 2048},
        "source_url": {"bsonType": "string", "maxLength": 2048},
        "label": {"bsonType": "string", "maxLength": 200},
        "platform": {"enum": _PLATFORMS},
        "detected_type": {"bsonType": "string"},
        "platform_data": {"bsonType": "object"},
        "needs_resolution": {"bsonType": "bool"},
        "options": {"bsonType": "object"},
        "metadata": {"bsonType": "object"},
        "stats": {
            "bsonType": "object",
            "properties": {
                "results_count": {"bsonType": INT, "minimum": 0},
                "last_scraped_at": {"bsonType": DATE_OR_NULL},
                "last_result_date": {"bsonType": DATE_OR_NULL},
            },
        },
        "status": {"enum": ["active", "paused", "error", "blocked"]},
        "error_message": {"bsonType": "string"},
        "created_at": {"bsonType": "date"},
        "updated_at": {"bsonType": "date"},
    },
}

PRESET_SCHEMA: dict[str, Any] = {
    "bsonType": "object",
    "required": ["slug", "name", "is_system", "config"],
    "properties": {
        "_id": {"bsonType": "objectId"},
        "user_id": {"bsonType": OID_OR_NULL},
        "slug": {"bsonType": "string", "minLength": 1, "maxLength": 64},
        "name": {"bsonType": "string", "minLength": 1, "maxLength": 100},
        "description": {"bsonType": "string"},
        "is_system": {"bsonType": "bool"},
        "config": CONFIG_SCHEMA,
    },
}
