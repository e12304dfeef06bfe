"""$jsonSchema validator for ``users`` (frozen copy of accounts/validators.py at this migration).

``moderate``: documents stored before the validator existed stay writable (MongoDB semantics).
"""

from django.db import migrations

from sentimatrix.db.operations import SetJSONSchemaValidator

SCHEMA = {
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
            "properties": {
                "google_id": {"bsonType": ["string", "null"]},
                "github_id": {"bsonType": ["string", "null"]},
            },
        },
        "usage": {
            "bsonType": "object",
            "properties": {
                "projects_count": {"bsonType": ["int", "long"], "minimum": 0},
                "scrapes_this_month": {"bsonType": ["int", "long"], "minimum": 0},
                "api_calls_this_month": {"bsonType": ["int", "long"], "minimum": 0},
                "last_reset_at": {"bsonType": ["date", "null"]},
            },
        },
        "email_verified": {"bsonType": "bool"},
        "email_verified_at": {"bsonType": ["date", "null"]},
        "is_staff": {"bsonType": "bool"},
        "is_superuser": {"bsonType": "bool"},
        "created_at": {"bsonType": "date"},
        "updated_at": {"bsonType": ["date", "null"]},
        "last_login_at": {"bsonType": ["date", "null"]},
        "deleted_at": {"bsonType": ["date", "null"]},
    },
}


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_support_group")]

    operations = [SetJSONSchemaValidator("users", SCHEMA, level="moderate")]
