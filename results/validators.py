"""``$jsonSchema`` validator of the ``results`` collection (seeds/000 phase 3), applied by migration.

It checks what a broken writer could corrupt: the references and their types, the content the
unique index relies on, label enums and score ranges. It matches what both writers produce: the ORM
(nullable fields written as explicit null, integers as long) and ``results.services`` (raw pymongo
``insert_many`` and ``$set``). Pure: no Django imports. Changing it needs a new migration that
passes the new schema to ``SetJSONSchemaValidator``.
"""

from __future__ import annotations

from typing import Any

_NUMBER = "number"  # MongoDB alias: int, long, double, decimal
_UNIT = {"bsonType": _NUMBER, "minimum": 0, "maximum": 1}
_DATE_OR_NULL = {"bsonType": ["date", "null"]}
_STR_OR_NULL = {"bsonType": ["string", "null"]}

_SENTIMENT = {
    "bsonType": ["object", "null"],
    "required": ["label", "score", "confidence"],
    "properties": {
        "label": {"enum": ["positive", "neutral", "negative"]},
        "score": {"bsonType": _NUMBER, "minimum": -1, "maximum": 1},
        "confidence": _UNIT,
        "scores": {
            "bsonType": ["object", "null"],
            "properties": {key: _UNIT for key in ("very_positive", "positive", "neutral", "negative", "very_negative")},
        },
        "analyzer": {"bsonType": "string"},
        "analyzed_at": _DATE_OR_NULL,
    },
}

_EMOTIONS = {
    "bsonType": ["object", "null"],
    "required": ["model", "primary", "primary_score"],
    "properties": {
        "model": {"enum": ["ekman", "goemotions", "plutchik"]},
        "primary": {"bsonType": "string"},
        "primary_score": _UNIT,
        "detected": {
            "bsonType": "array",
            "items": {
                "bsonType": "object",
                "required": ["emotion", "score"],
                "properties": {"emotion": {"bsonType": "string"}, "score": _UNIT},
            },
        },
    },
}

_INSIGHTS = {
    "bsonType": ["object", "null"],
    "properties": {
        "pros": {"bsonType": "array", "items": {"bsonType": "string"}},
        "cons": {"bsonType": "array", "items": {"bsonType": "string"}},
        "topics": {
            "bsonType": "array",
            "items": {
                "bsonType": "object",
                "required": ["topic", "sentiment"],
                "properties": {
                    "topic": {"bsonType": "string"},
                    "sentiment": {"bsonType": _NUMBER, "minimum": -1, "maximum": 1},
                },
            },
        },
    },
}

RESULTS_SCHEMA: dict[str, Any] = {
    "bsonType": "object",
    "required": ["user_id", "project_id", "target_id", "content", "platform", "analysis_status", "created_at"],
    "properties": {
        "user_id": {"bsonType": "objectId"},
        "project_id": {"bsonType": "objectId"},
        "target_id": {"bsonType": "objectId"},
        "scrape_job_id": {"bsonType": ["objectId", "null"]},
        "analysis_job_id": {"bsonType": ["objectId", "null"]},
        "content": {
            "bsonType": "object",
            "required": ["text", "platform_id"],
            "properties": {
                "text": {"bsonType": "string"},
                "title": {"bsonType": "string"},
                "author": {"bsonType": "string"},
                "rating": {"bsonType": [_NUMBER, "null"], "minimum": 0},
                "date": _DATE_OR_NULL,
                "url": {"bsonType": "string"},
                "platform_id": {"bsonType": "string", "minLength": 1},
            },
        },
        "analysis": {
            "bsonType": ["object", "null"],
            "properties": {
                "sentiment": _SENTIMENT,
                "emotions": _EMOTIONS,
                "summary": {"bsonType": ["object", "null"]},
                "insights": _INSIGHTS,
            },
        },
        "analysis_provenance": {"bsonType": ["object", "null"]},
        "label_override": {
            "bsonType": ["object", "null"],
            "properties": {"label": {"enum": ["positive", "neutral", "negative"]}, "by": {"bsonType": "objectId"}},
        },
        "analysis_status": {"enum": ["pending", "queued", "done", "failed"]},
        "platform": {"bsonType": "string", "minLength": 1},
        "language": _STR_OR_NULL,
        "word_count": {"bsonType": _NUMBER, "minimum": 0},
        "created_at": {"bsonType": "date"},
        "updated_at": _DATE_OR_NULL,
    },
}
