"""backup_db / restore_db with the portable format: a round trip loses nothing."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from bson import Binary, Decimal128, Int64, ObjectId, json_util
from bson.binary import UUID_SUBTYPE
from bson.json_util import CANONICAL_JSON_OPTIONS as CANONICAL
from django.db import connection

from audit.models import AuditLog
from sentimatrix.ops.archive import MANIFEST
from sentimatrix.ops.backup import tool_argv
from tests.factories_accounts import UserFactory

pytestmark = pytest.mark.django_db

DRILL_DB = "ops_restore_drill"


@pytest.fixture
def drill_db():
    client = connection.database.client
    client.drop_database(DRILL_DB)
    yield client[DRILL_DB]
    client.drop_database(DRILL_DB)


@pytest.fixture
def sample_data():
    """Real rows through the ORM plus a raw collection holding every awkward BSON type."""
    UserFactory.create_batch(3)
    tricky = [
        {
            "_id": ObjectId(),
            "ref": ObjectId(),
            "at": dt.datetime(2026, 3, 1, 12, 30, 45, 123000),
            "blob": Binary(bytes(range(256))),
            "uuid": Binary(b"\x01" * 16, UUID_SUBTYPE),
            "long": Int64(2**40),
            "small": 7,
            "money": Decimal128(Decimal("12.34")),
            "nested": {"list": [1, "two", {"three": None}], "flag": True, "f": 0.1},
            "unicode": "Grüße 🌍",
        }
        for _ in range(5)
    ]
    connection.database["ops_types"].insert_many(tricky)
    yield
    connection.database.drop_collection("ops_types")


def canonical(document) -> str:
    """Type-exact text of a document: canonical Extended JSON tells Int64 from int, a date from a
    string, keeps binary subtypes; key order is normalised (a server puts _id first)."""
    return json.dumps(json.loads(json_util.dumps(document, json_options=CANONICAL)), sort_keys=True)


def snapshot(database, names):
    return {name: sorted(canonical(doc) for doc in database[name].find({})) for name in names}


def the_backup(tmp_path: Path) -> Path:
    [directory] = [p for p in tmp_path.iterdir() if p.is_dir()]
    return directory


def test_round_trip_into_an_empty_database_is_identical(run_command, sample_data, drill_db, tmp_path) -> None:
    source = connection.database
    names = sorted(n for n in source.list_collection_names() if not n.startswith("system."))

    before = snapshot(source, names)
    code, out, err = run_command("backup_db", "--output", str(tmp_path))
    assert code == 0, err
    directory = the_backup(tmp_path)
    manifest = json.loads((directory / MANIFEST).read_text())
    assert manifest["tool"] == "portable" and manifest["engine"] == "emulated"
    assert manifest["collections"]["users"]["count"] == 3
    assert manifest["collections"]["ops_types"]["count"] == 5
    assert manifest["migrations"]["audit"] == "0001_initial"
    assert len(manifest["schema_version"]) == 16
    assert "backup_db: " in out.splitlines()[-1]

    code, out, err = run_command("restore_db", str(directory), "--target-db", DRILL_DB)
    assert code == 0, err
    after = snapshot(drill_db, names)
    assert before == after
    assert sum(len(docs) for docs in after.values()) > 20  # users, permissions, content types, ...
    # equality alone would accept int for Int64 and str for ObjectId: check the types too
    restored = drill_db["ops_types"].find_one({})
    assert isinstance(restored["_id"], ObjectId) and isinstance(restored["ref"], ObjectId)
    assert isinstance(restored["long"], Int64) and restored["long"] == 2**40
    assert restored["at"] == dt.datetime(2026, 3, 1, 12, 30, 45, 123000)
    assert bytes(restored["blob"]) == bytes(range(256)) and restored["uuid"].subtype == UUID_SUBTYPE
    assert restored["money"] == Decimal128(Decimal("12.34"))
    # indexes and validators come back as well
    for name in ("users", "audit_logs", "projects"):
        if name in names:
            assert drill_db[name].index_information() == source[name].index_information(), name
            assert drill_db[name].options() == source[name].options(), name

    entry = AuditLog.objects.get(event_type="ops.backup_restored")
    assert entry.metadata["actor"] == "system" and entry.metadata["target_db"] == DRILL_DB
    assert entry.metadata["documents"] == sum(len(docs) for docs in before.values())
    assert AuditLog.objects.filter(event_type="ops.backup_created").count() == 1


def test_restore_refuses_a_non_empty_target_and_drop_replaces(run_command, sample_data, tmp_path) -> None:
    run_command("backup_db", "--output", str(tmp_path))
    directory = the_backup(tmp_path)
    code, _, err = run_command("restore_db", str(directory))
    assert code == 1 and "is not empty" in err and "users" in err

    # change the live data, then put the backup's users back
    UserFactory.create_batch(2)
    connection.database["users"].update_many({}, {"$set": {"name": "changed"}})
    code, out, err = run_command("restore_db", str(directory), "--collection", "users", "--drop")
    assert code == 0, err
    assert connection.database["users"].count_documents({}) == 3
    assert connection.database["users"].count_documents({"name": "changed"}) == 0
    assert "restored 1 collections, 3 documents" in out


def test_only_named_collections_are_restored(run_command, sample_data, drill_db, tmp_path) -> None:
    run_command("backup_db", "--output", str(tmp_path))
    code, _, err = run_command(
        "restore_db", str(the_backup(tmp_path)), "--target-db", DRILL_DB, "--collection", "ops_types"
    )
    assert code == 0, err
    assert drill_db.list_collection_names() == ["ops_types"]
    code, _, err = run_command("restore_db", str(the_backup(tmp_path)), "--collection", "nope", "--target-db", DRILL_DB)
    assert code == 1 and "not in this backup: nope" in err


def test_dry_runs_write_nothing(run_command, sample_data, drill_db, tmp_path) -> None:
    code, out, _ = run_command("backup_db", "--output", str(tmp_path), "--dry-run")
    assert code == 0 and "would back up users: 3 documents" in out and "[dry run]" in out
    assert list(tmp_path.iterdir()) == []
    run_command("backup_db", "--output", str(tmp_path))
    code, out, _ = run_command("restore_db", str(the_backup(tmp_path)), "--target-db", DRILL_DB, "--dry-run")
    assert code == 0 and "would restore users: 3 documents" in out
    assert drill_db.list_collection_names() == []
    assert not AuditLog.objects.filter(event_type="ops.backup_restored").exists()


def test_a_damaged_file_is_rejected_before_anything_is_written(run_command, sample_data, drill_db, tmp_path) -> None:
    run_command("backup_db", "--output", str(tmp_path))
    directory = the_backup(tmp_path)
    data = bytearray((directory / "users.bson.gz").read_bytes())
    data[-12] ^= 0xFF
    (directory / "users.bson.gz").write_bytes(bytes(data))
    code, _, err = run_command("restore_db", str(directory), "--target-db", DRILL_DB)
    assert code == 1 and "users.bson.gz: checksum mismatch" in err
    assert drill_db.list_collection_names() == []
    failed = AuditLog.objects.get(event_type="ops.backup_restored")
    assert failed.success is False and "checksum mismatch" in failed.metadata["error"]


def test_a_count_that_disagrees_with_the_manifest_is_rejected(run_command, sample_data, drill_db, tmp_path) -> None:
    run_command("backup_db", "--output", str(tmp_path))
    directory = the_backup(tmp_path)
    manifest = json.loads((directory / MANIFEST).read_text())
    manifest["collections"]["users"]["count"] = 4
    (directory / MANIFEST).write_text(json.dumps(manifest))
    code, _, err = run_command("restore_db", str(directory), "--target-db", DRILL_DB)
    assert code == 1 and "users.bson.gz: 3 documents, the manifest says 4" in err


def test_schema_mismatch_is_refused_unless_forced(run_command, sample_data, drill_db, tmp_path) -> None:
    run_command("backup_db", "--output", str(tmp_path))
    directory = the_backup(tmp_path)
    manifest = json.loads((directory / MANIFEST).read_text())
    manifest["migrations"]["accounts"] = "0099_from_the_future"
    (directory / MANIFEST).write_text(json.dumps(manifest))
    code, _, err = run_command("restore_db", str(directory), "--target-db", DRILL_DB)
    assert code == 1 and "schema version differs" in err
    assert "accounts: backup at 0099_from_the_future" in err
    code, _, err = run_command("restore_db", str(directory), "--target-db", DRILL_DB, "--force")
    assert code == 0, err
    assert AuditLog.objects.get(event_type="ops.backup_restored", success=True).metadata["forced"] is True


def test_not_a_backup_directory(run_command, tmp_path) -> None:
    code, _, err = run_command("restore_db", str(tmp_path))
    assert code == 1 and "has no manifest.json" in err


def test_keep_prunes_old_backups(run_command, tmp_path) -> None:
    name = connection.database.name
    for stamp in ("20260101T000000Z", "20260102T000000Z", "20260103T000000Z"):
        old = tmp_path / f"sentimatrix-{name}-{stamp}"
        old.mkdir()
        (old / MANIFEST).write_text("{}")
    code, out, _ = run_command("backup_db", "--output", str(tmp_path), "--keep", "2")
    assert code == 0
    left = sorted(p.name for p in tmp_path.iterdir())
    assert len(left) == 2 and left[0].endswith("20260103T000000Z")
    assert "deleted old backup" in out


def test_keep_never_prunes_another_databases_backups(run_command, tmp_path) -> None:
    name = connection.database.name
    ours = [f"sentimatrix-{name}-2026010{day}T000000Z" for day in (1, 2, 3)]
    # a database whose name starts with ours, and one differing only where a regex "." would match
    theirs = [f"sentimatrix-{name}-eu-2026010{day}T000000Z" for day in (1, 2, 3)]
    theirs += [f"sentimatrix-{name}-20260101T000000Z-old", f"sentimatrix-{name}x20260101T000000Z"]
    for directory in ours + theirs:
        (tmp_path / directory).mkdir()
        (tmp_path / directory / MANIFEST).write_text("{}")
    code, out, _ = run_command("backup_db", "--output", str(tmp_path), "--keep", "1")
    assert code == 0, out
    left = {p.name for p in tmp_path.iterdir()}
    assert set(theirs) <= left
    assert not left & set(ours) and len(left - set(theirs)) == 1  # only the backup just made is kept


def test_mongodump_is_refused_on_the_emulated_engine(run_command, tmp_path) -> None:
    code, _, err = run_command("backup_db", "--output", str(tmp_path), "--tool", "mongodump")
    assert code == 1 and "mongodump cannot read the emulated" in err


def test_tool_command_lines_never_carry_the_uri() -> None:
    dump = tool_argv("mongodump", config_file=Path("/tmp/c.yaml"), archive=Path("/b/dump.archive.gz"),
                     database="sentimatrix", uri_has_db=True)  # fmt: skip
    assert dump == ["mongodump", "--config=/tmp/c.yaml", "--archive=/b/dump.archive.gz", "--gzip"]
    restore = tool_argv(
        "mongorestore", config_file=Path("/tmp/c.yaml"), archive=Path("/b/dump.archive.gz"), database="sentimatrix",
        uri_has_db=False, collections=["users"], target_db="drill", drop=True,
    )  # fmt: skip
    assert restore == [
        "mongorestore", "--config=/tmp/c.yaml", "--archive=/b/dump.archive.gz", "--gzip",
        "--nsInclude=sentimatrix.users", "--nsFrom=sentimatrix.*", "--nsTo=drill.*", "--drop",
    ]  # fmt: skip
