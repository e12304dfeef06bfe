"""The users $jsonSchema validator: the migration's frozen copy matches the code; the database enforces it."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection
from pymongo.errors import WriteError

from accounts.models import User
from accounts.validators import USERS_SCHEMA
from sentimatrix.db.operations import collection_validator
from tests.factories_accounts import UserFactory

pytestmark = pytest.mark.django_db


def test_migration_carries_the_current_schema() -> None:
    migration = importlib.import_module("accounts.migrations.0004_users_validator")
    assert migration.SCHEMA == USERS_SCHEMA
    assert collection_validator(connection.database, "users") == USERS_SCHEMA


def test_orm_writes_pass_and_bad_raw_writes_are_refused() -> None:
    user = UserFactory(plan=User.Plan.ADVANCED)
    user.name = "Renamed"
    user.save()
    users = connection.database["users"]
    with pytest.raises(WriteError) as caught:
        users.update_one({"_id": user.pk}, {"$set": {"plan": "platinum"}})
    assert caught.value.code == 121
    with pytest.raises(WriteError):
        users.update_one({"_id": user.pk}, {"$inc": {"usage.projects_count": -1}})  # counters never go negative
    with pytest.raises(WriteError):
        users.insert_one({"email": "raw@example.com", "name": "Raw"})  # no password, role, plan, status
    stored = users.find_one({"_id": user.pk})
    assert (stored["plan"], stored["usage"]["projects_count"], stored["name"]) == ("advanced", 0, "Renamed")
