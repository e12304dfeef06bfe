"""SetJSONSchemaValidator: applied and reversed on the engine, enforced with the server's code 121."""

from __future__ import annotations

import pytest
from django.db import connection
from pymongo.errors import WriteError

from sentimatrix.db.operations import SetJSONSchemaValidator, collection_validator

pytestmark = pytest.mark.django_db

SCHEMA = {
    "bsonType": "object",
    "required": ["name", "status"],
    "properties": {"name": {"bsonType": "string"}, "status": {"enum": ["active", "paused"]}},
}


@pytest.fixture
def collection():
    name = "op_validator_probe"
    yield name
    connection.database.drop_collection(name)


def test_forwards_enforces_and_backwards_removes(collection: str) -> None:
    operation = SetJSONSchemaValidator(collection, SCHEMA)
    with connection.schema_editor() as editor:
        operation.database_forwards("tests", editor, None, None)
    assert collection_validator(connection.database, collection) == SCHEMA
    target = connection.database[collection]
    target.insert_one({"name": "ok", "status": "active"})
    with pytest.raises(WriteError) as caught:
        target.insert_one({"name": "bad", "status": "deleted"})
    assert caught.value.code == 121
    assert target.count_documents({}) == 1

    with connection.schema_editor() as editor:
        operation.database_backwards("tests", editor, None, None)
    assert collection_validator(connection.database, collection) is None
    target.insert_one({"name": "now allowed", "status": "deleted"})
    assert target.count_documents({}) == 2


def test_deconstruct_round_trips_and_rejects_bad_levels() -> None:
    operation = SetJSONSchemaValidator("things", SCHEMA, level="moderate")
    name, args, kwargs = operation.deconstruct()
    assert (name, args) == ("SetJSONSchemaValidator", [])
    assert SetJSONSchemaValidator(*args, **kwargs).level == "moderate"
    assert operation.migration_name_fragment == "things_validator"
    with pytest.raises(ValueError, match="validationLevel"):
        SetJSONSchemaValidator("things", SCHEMA, level="loose")
