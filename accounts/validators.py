"""``$jsonSchema`` validator for ``users`` (seeds/000 phase 3), applied by migration 0004.

The migration carries a frozen copy; a test keeps the two equal. It checks what must never be
wrong whoever writes (ORM, a raw ``$inc`` in the quota service, a shell): required fields, types,
enums and non-negative usage counters. Pure data: no Django imports.
"""

from __future__ import annotations

from typing import Any

INT = ["int", "long"]
DATE_OR_NULL = ["date", "null"]
STRING_OR_NULL = ["string", "null"]

USERS_SCHEMA: dict[str, Any] = {
    "bsonType": "object",
    "required": ["email", "password_hash", "name", "role", "plan", "status", "created_at"],
    "properties": {
        "email": {"bsonType": "string", "minLength": 3, "maxLength": 254},
        "password_hash": {"bsonType": "string"},
        "name": {"bsonType": "string", "maxLength": 200},
        "company": {"bsonType": "string", "maxLength": 200},
        "avatar_url": {"bsonType": "string", "maxLength": 500},
        "role": {"enum": ["user", "admin"]},
        "plan": {"enum": ["starter", "standard", "advanced", "enterprise"]},
        "status": {"enum": ["active", "suspended", "deleted"]},
        "settings": {"bsonType": "object"},
        "oauth": {
            "bsonType": "object",
            "properties": {"google_id": {"bsonType": STRING_OR_NULL}, "github_id": {"bsonType": STRING_OR_NULL}},
        },
        "usage": {
            "bsonType": "object",
            "properties": {
                "projects_count": {"bsonType": INT, "minimum": 0},
                "scrapes_this_month": {"bsonType": INT, "minimum": 0},
                "api_calls_this_month": {"bsonType": INT, "minimum": 0},
                "last_reset_at": {"bsonType": DATE_OR_NULL},
            },
        },
        "email_verified": {"bsonType": "bool"},
        "email_verified_at": {"bsonType": DATE_OR_NULL},
        "is_staff": {"bsonType": "bool"},
        "is_superuser": {"bsonType": "bool"},
        "created_at": {"bsonType": "date"},
        "updated_at": {"bsonType": DATE_OR_NULL},
        "last_login_at": {"bsonType": DATE_OR_NULL},
        "deleted_at": {"bsonType": DATE_OR_NULL},
    },
}
