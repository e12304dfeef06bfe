"""Each emulator fix against MongoDB's documented semantics, on mongomock-ng directly."""

from __future__ import annotations

import datetime as dt
import re

import mongomock_ng
import pytest
from bson import Binary, Decimal128, Int64, ObjectId, Regex
from mongomock_ng import BulkWriteError, DuplicateKeyError, WriteError

from sentimatrix.db import compat
from sentimatrix.db.jsonschema import validate

compat.install()


@pytest.fixture
def db():
    return mongomock_ng.MongoClient().get_database("compat")


def trunc(db, date: dt.datetime, **spec) -> dt.datetime:
    db.d.delete_many({})
    db.d.insert_one({"at": date})
    return next(db.d.aggregate([{"$project": {"t": {"$dateTrunc": {"date": "$at", **spec}}}}]))["t"]


# Examples from https://www.mongodb.com/docs/manual/reference/operator/aggregation/dateTrunc/
@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"unit": "week"}, dt.datetime(2020, 3, 8)),  # default startOfWeek sunday
        ({"unit": "week", "startOfWeek": "monday"}, dt.datetime(2020, 3, 9)),
        ({"unit": "week", "binSize": 2, "startOfWeek": "monday"}, dt.datetime(2020, 3, 2)),  # bins from 2000-01-03
        ({"unit": "month", "binSize": 6}, dt.datetime(2020, 1, 1)),
        ({"unit": "quarter"}, dt.datetime(2020, 1, 1)),
        ({"unit": "hour", "binSize": 6}, dt.datetime(2020, 3, 12, 12)),
        ({"unit": "day", "timezone": "America/New_York"}, dt.datetime(2020, 3, 12, 4)),  # EDT from 03-08
        ({"unit": "day", "timezone": "+05:30"}, dt.datetime(2020, 3, 11, 18, 30)),
        ({"unit": "year", "binSize": 5}, dt.datetime(2020, 1, 1)),
    ],
)
def test_date_trunc_options(db, spec: dict, expected: dt.datetime) -> None:
    assert trunc(db, dt.datetime(2020, 3, 12, 14, 30), **spec) == expected


def test_date_trunc_documented_example(db) -> None:
    # the dateTrunc page's example: 2-week bins starting Monday in America/Los_Angeles
    got = trunc(db, dt.datetime(2020, 5, 18, 14, 10, 30), unit="week", binSize=2, timezone="America/Los_Angeles",
                startOfWeek="Monday")  # fmt: skip
    assert got == dt.datetime(2020, 5, 11, 7, 0)


def test_date_trunc_week_in_a_timezone_crossing_midnight(db) -> None:
    # Sunday 2026-03-08 23:30 in Berlin is Sunday 22:30 UTC: a Monday-start week in Berlin
    # begins on 2026-03-02 00:00 CET = 2026-03-01 23:00 UTC.
    got = trunc(db, dt.datetime(2026, 3, 8, 22, 30), unit="week", startOfWeek="mon", timezone="Europe/Berlin")
    assert got == dt.datetime(2026, 3, 1, 23, 0)


def test_date_trunc_rejects_unknown_timezone(db) -> None:
    with pytest.raises(mongomock_ng.OperationFailure):
        trunc(db, dt.datetime(2020, 1, 1), unit="day", timezone="Mars/Olympus")


@pytest.mark.parametrize(
    ("value", "alias"),
    [
        (ObjectId(), "objectId"),
        (Decimal128("1.5"), "decimal"),
        (Binary(b"\x00\x01"), "binData"),
        (b"raw", "binData"),
        (Regex("^a"), "regex"),
        (re.compile("^a"), "regex"),
        (Int64(3), "long"),
        (3, "int"),
        ("s", "string"),
        (None, "null"),
    ],
)
def test_type_aliases(db, value, alias: str) -> None:
    db.t.delete_many({})
    db.t.insert_one({"v": value})
    assert next(db.t.aggregate([{"$project": {"k": {"$type": "$v"}}}]))["k"] == alias


def test_get_field_with_an_expression_input(db) -> None:
    db.g.insert_many([{"n": 1}, {"n": 2}, {"n": 3}])
    pipeline = [
        {"$facet": {"group": [{"$group": {"_id": None, "total": {"$sum": "$n"}}}]}},
        {"$addFields": {"total": {"$getField": {"input": {"$arrayElemAt": ["$group", 0]}, "field": "total"}}}},
        {"$project": {"total": 1, "missing": {"$getField": {"input": {"$literal": {}}, "field": "x"}}}},
    ]
    (row,) = db.g.aggregate(pipeline)
    assert row["total"] == 6
    assert "missing" not in row  # a missing field is missing, not null


def test_add_fields_nested_specs_keep_other_fields(db) -> None:
    db.a.insert_one({"_id": 1, "rel": {"_id": 9, "a": 1, "b": 2}, "x": 5})
    (row,) = db.a.aggregate([{"$addFields": {"rel": {"a": {"$add": ["$rel.a", 10]}, "c": "$x"}, "y.z": 1}}])
    assert row == {"_id": 1, "rel": {"_id": 9, "a": 11, "b": 2, "c": 5}, "x": 5, "y": {"z": 1}}
    (row,) = db.a.aggregate([{"$set": {"rel": {"$literal": {"only": True}}}}])
    assert row["rel"] == {"only": True}  # an expression object replaces the field


def test_json_schema_validator_enforced_with_code_121(db) -> None:
    db.create_collection("v")
    schema = {
        "bsonType": "object",
        "required": ["status", "owner_id"],
        "properties": {
            "status": {"enum": ["active", "paused"]},
            "owner_id": {"bsonType": "objectId"},
            "score": {"bsonType": ["double", "null"], "minimum": -1, "maximum": 1},
        },
    }
    db.command("collMod", "v", validator={"$jsonSchema": schema}, validationLevel="strict")
    db.v.insert_one({"status": "active", "owner_id": ObjectId(), "score": 0.5})
    with pytest.raises(WriteError) as excinfo:
        db.v.insert_one({"status": "deleted", "owner_id": ObjectId()})
    assert excinfo.value.code == 121
    with pytest.raises(WriteError):
        db.v.insert_one({"status": "active", "owner_id": "not-an-id"})
    with pytest.raises(WriteError):
        db.v.update_one({"status": "active"}, {"$set": {"score": 2.0}})
    assert db.v.count_documents({}) == 1
    assert db.v.find_one()["score"] == 0.5  # the rejected update changed nothing


def test_json_schema_dialect() -> None:
    schema = {
        "bsonType": "object",
        "additionalProperties": False,
        "properties": {
            "_id": {"bsonType": "objectId"},
            "tags": {"bsonType": "array", "items": {"bsonType": "string"}, "maxItems": 2},
            "n": {"bsonType": "number"},
            "at": {"bsonType": "date"},
        },
    }
    assert validate(schema, {"_id": ObjectId(), "tags": ["a"], "n": Int64(3), "at": dt.datetime(2026, 1, 1)}) == []
    assert validate(schema, {"n": 1.5}) == []
    assert validate(schema, {"tags": ["a", 1]})  # item of the wrong type
    assert validate(schema, {"tags": ["a", "b", "c"]})  # too many items
    assert validate(schema, {"other": 1})  # additional property


def test_duplicate_key_message_and_partial_unique_index(db) -> None:
    db.u.create_index(
        [("email", 1)], unique=True, name="email_1", partialFilterExpression={"email": {"$type": "string"}}
    )
    db.u.insert_one({"email": "a@x"})
    with pytest.raises(DuplicateKeyError, match="E11000 duplicate key error collection: compat.u index: email_1"):
        db.u.insert_one({"email": "a@x"})
    with pytest.raises(BulkWriteError) as excinfo:
        db.u.insert_many([{"email": "b@x"}, {"email": "b@x"}, {"email": "c@x"}])
    assert "E11000 duplicate key error" in str(excinfo.value)
    assert excinfo.value.details["nInserted"] == 1
    # documents outside the partial filter are not in the index: several nulls may coexist
    db.u.insert_many([{"email": None}, {"email": None}])
    assert db.u.count_documents({}) == 4


def test_unordered_bulk_insert_keeps_going(db) -> None:
    db.w.create_index([("k", 1)], unique=True, name="k_1")
    with pytest.raises(BulkWriteError) as excinfo:
        db.w.insert_many([{"k": 1}, {"k": 1}, {"k": 2}], ordered=False)
    assert excinfo.value.details["nInserted"] == 2
    assert sorted(doc["k"] for doc in db.w.find()) == [1, 2]


def _race_claims(db, monkeypatch) -> int:
    """Two threads claim the same 40 documents with a conditional find_one_and_update; count the wins."""
    import threading
    import time

    from mongomock_ng import filtering

    db.jobs.delete_many({})
    db.jobs.insert_many([{"_id": n, "owner": None} for n in range(40)])
    original_applies = filtering.filter_applies

    def slow_applies(*args, **kwargs):  # widen the read-then-write window so a race shows every time
        time.sleep(0.0005)
        return original_applies(*args, **kwargs)

    monkeypatch.setattr(filtering, "filter_applies", slow_applies)
    wins: list[int] = []
    barrier = threading.Barrier(2)

    def claim(worker: str) -> None:
        barrier.wait()
        for n in range(40):
            if db.jobs.find_one_and_update({"_id": n, "owner": None}, {"$set": {"owner": worker}}) is not None:
                wins.append(n)

    threads = [threading.Thread(target=claim, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    monkeypatch.undo()
    return len(wins)


def test_conditional_claims_are_atomic_per_document(db, monkeypatch) -> None:
    # A real server applies each single-document write atomically: every document is claimed once.
    assert _race_claims(db, monkeypatch) == 40
    with compat.disabled("single_document_atomicity"):
        # Without the fix both threads win some documents; a loaded machine may serialise one
        # attempt by chance, so a few attempts are allowed before calling the fix unneeded.
        assert any(_race_claims(db, monkeypatch) > 40 for _ in range(5))


def test_lookup_nested_in_a_lookup_pipeline_returns_its_documents(db) -> None:
    db.users.insert_one({"_id": 1, "name": "ann"})
    db.memberships.insert_many([{"_id": 10, "user": 1, "group": 100}, {"_id": 11, "user": 1, "group": 101}])
    db.groups.insert_many([{"_id": 100, "name": "support"}, {"_id": 101, "name": "ops"}])
    pipeline = [
        {
            "$lookup": {
                "from": "memberships",
                "localField": "_id",
                "foreignField": "user",
                "as": "memberships",
                "pipeline": [{"$lookup": {"from": "groups", "localField": "group", "foreignField": "_id", "as": "g"}}],
            }
        }
    ]
    (user,) = db.users.aggregate(pipeline)
    assert sorted(m["g"][0]["name"] for m in user["memberships"]) == ["ops", "support"]
    with compat.disabled("lookup_stream_input"):
        (user,) = db.users.aggregate(pipeline)
        assert user["memberships"] == []  # the emulator's answer without the fix


def test_update_keeping_unique_keys_skips_the_scan_but_a_changed_key_is_still_checked(db) -> None:
    db.r.create_index([("target", 1), ("pid", 1)], unique=True)
    db.r.insert_many([{"target": 1, "pid": n, "label": None} for n in range(300)])
    assert db.r.update_many({}, {"$set": {"label": "positive"}}).modified_count == 300
    assert db.r.count_documents({"label": "positive"}) == 300
    with pytest.raises(DuplicateKeyError, match="E11000"):
        db.r.update_one({"pid": 5}, {"$set": {"pid": 6}})
    assert db.r.count_documents({"pid": 5}) == 1  # the failed update left the document as it was
