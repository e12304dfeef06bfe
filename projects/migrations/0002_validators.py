"""$jsonSchema validators for projects, targets and presets (frozen copy of projects/validators.py)."""

from django.db import migrations

from sentimatrix.db.operations import SetJSONSchemaValidator

PROJECT_SCHEMA = {
    "bsonType": "object",
    "required": ["user_id", "name", "status", "preset", "config", "stats", "created_at"],
    "properties": {
        "_id": {"bsonType": "objectId"},
        "user_id": {"bsonType": "objectId"},
        "name": {"bsonType": "string", "minLength": 1, "maxLength": 200},
        "description": {"bsonType": "string", "maxLength": 2000},
        "status": {"enum": ["active", "paused", "error", "archived"]},
        "preset": {"bsonType": "string", "minLength": 1},
        "preset_ref": {"bsonType": ["objectId", "null"]},
        "config": {
            "bsonType": "object",
            "required": ["scrapers", "llm", "analysis", "schedule", "limits"],
            "properties": {
                "scrapers": {
                    "bsonType": "object",
                    "required": ["platforms"],
                    "properties": {
                        "platforms": {
                            "bsonType": "array",
                            "items": {"enum": ["amazon", "steam", "youtube", "reddit", "google", "trustpilot", "yelp"]},
                        },
                        "commercial_provider": {"enum": ["scraperapi", "apify", None]},
                    },
                },
                "llm": {
                    "bsonType": "object",
                    "required": ["provider", "model", "temperature", "max_tokens"],
                    "properties": {
                        "provider": {"bsonType": "string", "minLength": 1},
                        "model": {"bsonType": "string", "minLength": 1},
                        "api_key_id": {"bsonType": ["objectId", "null"]},
                        "temperature": {"bsonType": ["int", "long", "double", "decimal"], "minimum": 0, "maximum": 2},
                        "max_tokens": {"bsonType": ["int", "long"], "minimum": 1},
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
                        "days_of_week": {
                            "bsonType": "array",
                            "items": {"bsonType": ["int", "long"], "minimum": 0, "maximum": 6},
                        },
                        "day_of_month": {"bsonType": ["int", "long", "null"], "minimum": 1, "maximum": 28},
                        "next_run_at": {"bsonType": ["date", "null"]},
                        "last_run_at": {"bsonType": ["date", "null"]},
                        "history": {"bsonType": "array"},
                    },
                },
                "limits": {
                    "bsonType": "object",
                    "required": ["max_results_per_target", "max_results_per_job", "request_delay_seconds"],
                    "properties": {
                        "max_results_per_target": {"bsonType": ["int", "long"], "minimum": 1},
                        "max_results_per_job": {"bsonType": ["int", "long"], "minimum": 1},
                        "request_delay_seconds": {"bsonType": ["int", "long", "double", "decimal"], "minimum": 0},
                    },
                },
            },
        },
        "stats": {
            "bsonType": "object",
            "properties": {
                "total_targets": {"bsonType": ["int", "long"], "minimum": 0},
                "total_results": {"bsonType": ["int", "long"], "minimum": 0},
                "total_scrapes": {"bsonType": ["int", "long"], "minimum": 0},
                "avg_sentiment": {"bsonType": ["int", "long", "double", "decimal", "null"]},
                "last_scrape_at": {"bsonType": ["date", "null"]},
                "last_analysis_at": {"bsonType": ["date", "null"]},
            },
        },
        "created_at": {"bsonType": "date"},
        "updated_at": {"bsonType": "date"},
        "archived_at": {"bsonType": ["date", "null"]},
    },
}

TARGET_SCHEMA = {
    "bsonType": "object",
    "required": ["project_id", "user_id", "url", "platform", "status", "created_at"],
    "properties": {
        "_id": {"bsonType": "objectId"},
        "project_id": {"bsonType": "objectId"},
        "user_id": {"bsonType": "objectId"},
        "url": {"bsonType": "string", "minLength": 1, "maxLength": 2048},
        "source_url": {"bsonType": "string", "maxLength": 2048},
        "label": {"bsonType": "string", "maxLength": 200},
        "platform": {"enum": ["amazon", "steam", "youtube", "reddit", "google", "trustpilot", "yelp"]},
        "detected_type": {"bsonType": "string"},
        "platform_data": {"bsonType": "object"},
        "needs_resolution": {"bsonType": "bool"},
        "options": {"bsonType": "object"},
        "metadata": {"bsonType": "object"},
        "stats": {
            "bsonType": "object",
            "properties": {
                "results_count": {"bsonType": ["int", "long"], "minimum": 0},
                "last_scraped_at": {"bsonType": ["date", "null"]},
                "last_result_date": {"bsonType": ["date", "null"]},
            },
        },
        "status": {"enum": ["active", "paused", "error", "blocked"]},
        "error_message": {"bsonType": "string"},
        "created_at": {"bsonType": "date"},
        "updated_at": {"bsonType": "date"},
    },
}

PRESET_SCHEMA = {
    "bsonType": "object",
    "required": ["slug", "name", "is_system", "config"],
    "properties": {
        "_id": {"bsonType": "objectId"},
        "user_id": {"bsonType": ["objectId", "null"]},
        "slug": {"bsonType": "string", "minLength": 1, "maxLength": 64},
        "name": {"bsonType": "string", "minLength": 1, "maxLength": 100},
        "description": {"bsonType": "string"},
        "is_system": {"bsonType": "bool"},
        "config": {
            "bsonType": "object",
            "required": ["scrapers", "llm", "analysis", "schedule", "limits"],
            "properties": {
                "scrapers": {
                    "bsonType": "object",
                    "required": ["platforms"],
                    "properties": {
                        "platforms": {
                            "bsonType": "array",
                            "items": {"enum": ["amazon", "steam", "youtube", "reddit", "google", "trustpilot", "yelp"]},
                        },
                        "commercial_provider": {"enum": ["scraperapi", "apify", None]},
                    },
                },
                "llm": {
                    "bsonType": "object",
                    "required": ["provider", "model", "temperature", "max_tokens"],
                    "properties": {
                        "provider": {"bsonType": "string", "minLength": 1},
                        "model": {"bsonType": "string", "minLength": 1},
                        "api_key_id": {"bsonType": ["objectId", "null"]},
                        "temperature": {"bsonType": ["int", "long", "double", "decimal"], "minimum": 0, "maximum": 2},
                        "max_tokens": {"bsonType": ["int", "long"], "minimum": 1},
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
                        "days_of_week": {
                            "bsonType": "array",
                            "items": {"bsonType": ["int", "long"], "minimum": 0, "maximum": 6},
                        },
                        "day_of_month": {"bsonType": ["int", "long", "null"], "minimum": 1, "maximum": 28},
                        "next_run_at": {"bsonType": ["date", "null"]},
                        "last_run_at": {"bsonType": ["date", "null"]},
                        "history": {"bsonType": "array"},
                    },
                },
                "limits": {
                    "bsonType": "object",
                    "required": ["max_results_per_target", "max_results_per_job", "request_delay_seconds"],
                    "properties": {
                        "max_results_per_target": {"bsonType": ["int", "long"], "minimum": 1},
                        "max_results_per_job": {"bsonType": ["int", "long"], "minimum": 1},
                        "request_delay_seconds": {"bsonType": ["int", "long", "double", "decimal"], "minimum": 0},
                    },
                },
            },
        },
    },
}


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial")]

    operations = [
        SetJSONSchemaValidator("projects", PROJECT_SCHEMA),
        SetJSONSchemaValidator("targets", TARGET_SCHEMA),
        SetJSONSchemaValidator("presets", PRESET_SCHEMA),
    ]
