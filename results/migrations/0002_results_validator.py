"""$jsonSchema validator for ``results`` (frozen copy of results/validators.py at this migration)."""

from django.db import migrations

from sentimatrix.db.operations import SetJSONSchemaValidator

SCHEMA = {
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
                "rating": {"bsonType": ["number", "null"], "minimum": 0},
                "date": {"bsonType": ["date", "null"]},
                "url": {"bsonType": "string"},
                "platform_id": {"bsonType": "string", "minLength": 1},
            },
        },
        "analysis": {
            "bsonType": ["object", "null"],
            "properties": {
                "sentiment": {
                    "bsonType": ["object", "null"],
                    "required": ["label", "score", "confidence"],
                    "properties": {
                        "label": {"enum": ["positive", "neutral", "negative"]},
                        "score": {"bsonType": "number", "minimum": -1, "maximum": 1},
                        "confidence": {"bsonType": "number", "minimum": 0, "maximum": 1},
                        "scores": {
                            "bsonType": ["object", "null"],
                            "properties": {
                                "very_positive": {"bsonType": "number", "minimum": 0, "maximum": 1},
                                "positive": {"bsonType": "number", "minimum": 0, "maximum": 1},
                                "neutral": {"bsonType": "number", "minimum": 0, "maximum": 1},
                                "negative": {"bsonType": "number", "minimum": 0, "maximum": 1},
                                "very_negative": {"bsonType": "number", "minimum": 0, "maximum": 1},
                            },
                        },
                        "analyzer": {"bsonType": "string"},
                        "analyzed_at": {"bsonType": ["date", "null"]},
                    },
                },
                "emotions": {
                    "bsonType": ["object", "null"],
                    "required": ["model", "primary", "primary_score"],
                    "properties": {
                        "model": {"enum": ["ekman", "goemotions", "plutchik"]},
                        "primary": {"bsonType": "string"},
                        "primary_score": {"bsonType": "number", "minimum": 0, "maximum": 1},
                        "detected": {
                            "bsonType": "array",
                            "items": {
                                "bsonType": "object",
                                "required": ["emotion", "score"],
                                "properties": {
                                    "emotion": {"bsonType": "string"},
                                    "score": {"bsonType": "number", "minimum": 0, "maximum": 1},
                                },
                            },
                        },
                    },
                },
                "summary": {"bsonType": ["object", "null"]},
                "insights": {
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
                                    "sentiment": {"bsonType": "number", "minimum": -1, "maximum": 1},
                                },
                            },
                        },
                    },
                },
            },
        },
        "analysis_provenance": {"bsonType": ["object", "null"]},
        "label_override": {
            "bsonType": ["object", "null"],
            "properties": {"label": {"enum": ["positive", "neutral", "negative"]}, "by": {"bsonType": "objectId"}},
        },
        "analysis_status": {"enum": ["pending", "queued", "done", "failed"]},
        "platform": {"bsonType": "string", "minLength": 1},
        "language": {"bsonType": ["string", "null"]},
        "word_count": {"bsonType": "number", "minimum": 0},
        "created_at": {"bsonType": "date"},
        "updated_at": {"bsonType": ["date", "null"]},
    },
}


class Migration(migrations.Migration):
    dependencies = [("results", "0001_initial")]

    operations = [SetJSONSchemaValidator("results", SCHEMA)]
