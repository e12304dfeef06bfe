"""Behaviour only a real server shows. Run with TEST_MONGODB_URI=mongodb://host/db?replicaSet=rs0."""

from __future__ import annotations

import json
import os
import uuid

import pytest
from pymongo import MongoClient
from pymongo.errors import DuplicateKeyError

pytestmark = pytest.mark.real_mongodb


@pytest.fixture
def collection():
    client = MongoClient(os.environ["TEST_MONGODB_URI"], serverSelectionTimeoutMS=5000)
    database = client.get_default_database(default="sentimatrix_real_tests")
    coll = database[f"t_{uuid.uuid4().hex[:8]}"]
    yield coll
    coll.drop()
    client.close()


def test_unique_index_is_enforced(collection) -> None:
    collection.create_index([("target_id", 1), ("platform_id", 1)], unique=True, name="uniq")
    collection.insert_one({"target_id": 1, "platform_id": "a"})
    with pytest.raises(DuplicateKeyError):
        collection.insert_one({"target_id": 1, "platform_id": "a"})


def test_partial_index_is_used_for_due_schedules(collection) -> None:
    collection.create_index(
        [("config.schedule.next_run_at", 1)],
        name="due",
        partialFilterExpression={"config.schedule.enabled": True},
    )
    collection.insert_many([{"config": {"schedule": {"enabled": i % 2 == 0, "next_run_at": i}}} for i in range(200)])
    plan = collection.find({"config.schedule.enabled": True, "config.schedule.next_run_at": {"$lte": 50}}).explain()
    assert "due" in json.dumps(plan["queryPlanner"]["winningPlan"], default=str)
