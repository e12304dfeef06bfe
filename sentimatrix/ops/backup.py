"""Backups and restores of the whole database, with ``mongodump`` or the portable format.

``mongodump``/``mongorestore`` are used when they are installed and the engine is a real server
(they are the standard tools and the fastest). Otherwise the portable format in
``sentimatrix.ops.archive`` is written with pymongo. Either way ``manifest.json`` records the
document counts, checksums and the schema version: the latest applied migration of every app.

A backup is consistent per collection, not across collections (each collection is read with one
cursor). For point-in-time backups of a busy replica set use ``mongodump --oplog`` or the
hosting's snapshots (Atlas continuous backup); see the README's operations section.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from sentimatrix.db.capabilities import is_emulated
from sentimatrix.ops.archive import (
    MANIFEST,
    ArchiveError,
    CollectionEntry,
    Manifest,
    file_sha256,
    load_manifest,
    read_documents,
    schema_version,
    verify_entry,
    write_documents,
)

MIGRATIONS_COLLECTION = MigrationRecorder.Migration._meta.db_table
INSERT_BATCH = 1000


# --- schema version -------------------------------------------------------------------------------
def applied_migrations(database: Any) -> dict[str, str]:
    """App label -> the latest applied migration (by name: migrations are numbered)."""
    latest: dict[str, str] = {}
    for row in database[MIGRATIONS_COLLECTION].find({}, {"app": 1, "name": 1}):
        app, name = row.get("app"), row.get("name")
        if app and name and name > latest.get(app, ""):
            latest[app] = name
    return latest


def code_migrations(alias: str = "default") -> dict[str, str]:
    """App label -> the latest migration on disk (what this code expects)."""
    loader = MigrationLoader(connections[alias], ignore_no_migrations=True, load=True)
    latest: dict[str, str] = {}
    for app, name in loader.graph.leaf_nodes():
        if name > latest.get(app, ""):
            latest[app] = name
    return latest


def schema_differences(backup: dict[str, str], code: dict[str, str]) -> list[str]:
    out = []
    for app in sorted(set(backup) | set(code)):
        if backup.get(app) != code.get(app):
            out.append(f"{app}: backup at {backup.get(app) or 'nothing'}, this code at {code.get(app) or 'nothing'}")
    return out


# --- tools ----------------------------------------------------------------------------------------
def mongo_tool(name: str) -> str | None:
    return shutil.which(name)


def tool_choice(requested: str, alias: str) -> str:
    """``auto`` picks mongodump when installed and the engine is a real server."""
    if requested == "portable":
        return "portable"
    emulated = is_emulated(alias)
    if requested == "mongodump":
        if emulated:
            raise ArchiveError("mongodump cannot read the emulated in-process engine; use --tool portable")
        if mongo_tool("mongodump") is None:
            raise ArchiveError("mongodump is not installed (MongoDB Database Tools); use --tool portable")
        return "mongodump"
    return "mongodump" if not emulated and mongo_tool("mongodump") else "portable"


def tool_argv(
    tool: str,
    *,
    config_file: Path,
    archive: Path,
    database: str,
    uri_has_db: bool,
    collections: list[str] | None = None,
    target_db: str | None = None,
    drop: bool = False,
) -> list[str]:
    """The command line for mongodump/mongorestore. The URI (with any password) goes in the
    ``--config`` file, never on the command line where ``ps`` would show it."""
    argv = [tool, f"--config={config_file}", f"--archive={archive}", "--gzip"]
    if tool == "mongodump":
        if not uri_has_db:
            argv.append(f"--db={database}")
        return argv
    for name in collections or []:
        argv.append(f"--nsInclude={database}.{name}")
    if target_db and target_db != database:
        argv += [f"--nsFrom={database}.*", f"--nsTo={target_db}.*"]
    if drop:
        argv.append("--drop")
    return argv


def _run_tool(argv: list[str], uri: str) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        handle.write(f"uri: {json.dumps(uri)}\n")  # a JSON string is a valid YAML scalar
        config = Path(handle.name)
    config.chmod(0o600)
    try:
        argv = [arg.replace("--config=CONFIG", f"--config={config}") for arg in argv]
        completed = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
    finally:
        config.unlink(missing_ok=True)
    if completed.returncode != 0:
        tail = (completed.stderr or completed.stdout).strip().splitlines()[-3:]
        raise ArchiveError(f"{argv[0]} failed ({completed.returncode}): {' | '.join(tail)}")


# --- backup ---------------------------------------------------------------------------------------
def backup_directory(output: Path, database: str, now: dt.datetime) -> Path:
    return output / f"sentimatrix-{database}-{now:%Y%m%dT%H%M%SZ}"


def _backup_name(database: str) -> re.Pattern[str]:
    """The names ``backup_directory`` gives ``database``'s backups, and no other database's: a glob on
    ``sentimatrix-{database}-*`` would also match ``sentimatrix-{database}-eu-<stamp>``."""
    return re.compile(rf"sentimatrix-{re.escape(database)}-\d{{8}}T\d{{6}}Z")


@dataclass
class BackupResult:
    directory: Path
    manifest: Manifest

    @property
    def documents(self) -> int:
        return sum(entry.count for entry in self.manifest.collections.values())


def _collection_names(database: Any) -> list[str]:
    return sorted(name for name in database.list_collection_names() if not name.startswith("system."))


def backup(
    *,
    alias: str,
    output: Path,
    tool: str = "auto",
    exclude: tuple[str, ...] = (),
    now: dt.datetime | None = None,
    progress: Callable[[str, int], Any] | None = None,
) -> BackupResult:
    connection = connections[alias]
    database = connection.database
    chosen = tool_choice(tool, alias)
    now = now or dt.datetime.now(dt.UTC)
    directory = backup_directory(output, database.name, now)
    if directory.exists():
        raise ArchiveError(f"{directory} already exists")
    partial = directory.with_name(directory.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    migrations = applied_migrations(database)
    manifest = Manifest(
        database=database.name,
        created_at=now.isoformat(),
        engine="emulated" if is_emulated(alias) else "mongodb",
        tool=chosen,
        schema_version=schema_version(migrations),
        migrations=migrations,
    )
    names = [name for name in _collection_names(database) if name not in exclude]
    try:
        if chosen == "mongodump":
            archive = partial / "dump.archive.gz"
            uri = connection.settings_dict["HOST"]
            argv = tool_argv(
                "mongodump", config_file=Path("CONFIG"), archive=archive, database=database.name,
                uri_has_db=bool(urlsplit(uri).path.strip("/")),
            )  # fmt: skip
            for name in exclude:
                argv.append(f"--excludeCollection={name}")
            _run_tool(argv, uri)
            manifest.archive = archive.name
            manifest.archive_sha256 = file_sha256(archive)
            for name in names:  # counts at dump time, for the restore's check
                manifest.collections[name] = CollectionEntry(
                    name=name, file=archive.name, count=database[name].estimated_document_count(),
                    sha256="", bytes=0, indexes=list(database[name].list_indexes()),
                    options=dict(database[name].options()),
                )  # fmt: skip
        else:
            raw = not is_emulated(alias)  # a server hands over raw BSON: copied byte for byte
            for name in names:
                collection = database[name]
                if raw:
                    collection = collection.with_options(codec_options=CodecOptions(document_class=RawBSONDocument))
                path = partial / f"{name}.bson.gz"
                count = write_documents(path, collection.find({}, sort=[("_id", 1)]))
                manifest.collections[name] = CollectionEntry(
                    name=name, file=path.name, count=count, sha256=file_sha256(path), bytes=path.stat().st_size,
                    indexes=[dict(index) for index in database[name].list_indexes()],
                    options=dict(database[name].options()),
                )  # fmt: skip
                if progress:
                    progress(name, count)
        (partial / MANIFEST).write_text(manifest.to_json())
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    partial.rename(directory)  # a directory without .partial is always complete
    return BackupResult(directory=directory, manifest=manifest)


def prune_backups(output: Path, database: str, keep: int, *, dry_run: bool = False) -> list[Path]:
    """Delete all but the newest ``keep`` complete backups of ``database`` in ``output``."""
    name = _backup_name(database)
    backups = sorted(
        (
            path
            for path in output.iterdir()
            if name.fullmatch(path.name) and path.is_dir() and (path / MANIFEST).exists()
        ),
        key=lambda path: path.name,
    )
    doomed = backups[:-keep] if keep > 0 else []
    if not dry_run:
        for path in doomed:
            shutil.rmtree(path)
    return doomed


# --- restore --------------------------------------------------------------------------------------
@dataclass
class RestorePlan:
    manifest: Manifest
    directory: Path
    target: Any  # pymongo/mongomock database
    collections: list[str]
    non_empty: list[str]
    schema_problems: list[str]


def plan_restore(
    *, alias: str, directory: Path, target_db: str | None, collections: list[str] | None,
    verify: Callable[[str], Any] | None = None,
) -> RestorePlan:  # fmt: skip
    """Read and verify the backup (every checksum and count) and check the target. Writes nothing."""
    manifest = load_manifest(directory)
    connection = connections[alias]
    target = connection.database.client[target_db] if target_db else connection.database
    wanted = collections or sorted(manifest.collections)
    unknown = sorted(set(wanted) - set(manifest.collections))
    if unknown:
        raise ArchiveError(f"not in this backup: {', '.join(unknown)}")
    if manifest.tool == "mongodump":
        if manifest.archive is None or not (directory / manifest.archive).is_file():
            raise ArchiveError("the mongodump archive named in the manifest is missing")
        if file_sha256(directory / manifest.archive) != manifest.archive_sha256:
            raise ArchiveError(f"{manifest.archive}: checksum mismatch")
    else:
        for name in wanted:
            verify_entry(directory, manifest.collections[name])
            if verify:
                verify(name)
    existing = set(target.list_collection_names())
    non_empty = [name for name in wanted if name in existing and target[name].estimated_document_count() > 0]
    return RestorePlan(
        manifest=manifest,
        directory=directory,
        target=target,
        collections=wanted,
        non_empty=non_empty,
        schema_problems=schema_differences(manifest.migrations, code_migrations(alias)),
    )


def restore(plan: RestorePlan, *, alias: str, drop: bool, progress: Callable[[str, int], Any] | None = None) -> int:
    """Restore the planned collections; returns the number of documents written."""
    target = plan.target
    if plan.non_empty and not drop:
        raise ArchiveError(f"not empty: {', '.join(plan.non_empty)} (use --drop to replace them)")
    if plan.manifest.tool == "mongodump":
        connection = connections[alias]
        argv = tool_argv(
            "mongorestore", config_file=Path("CONFIG"), archive=plan.directory / plan.manifest.archive,
            database=plan.manifest.database, uri_has_db=False, collections=plan.collections,
            target_db=target.name, drop=drop,
        )  # fmt: skip
        _run_tool(argv, connection.settings_dict["HOST"])
        written = sum(plan.manifest.collections[name].count for name in plan.collections)
    else:
        written = 0
        for name in plan.collections:
            written += _restore_collection(target, plan.directory, plan.manifest.collections[name], drop=drop)
            if progress:
                progress(name, plan.manifest.collections[name].count)
    mismatched = [
        f"{name}: {target[name].count_documents({})} documents, backup has {plan.manifest.collections[name].count}"
        for name in plan.collections
        if target[name].count_documents({}) != plan.manifest.collections[name].count
    ]
    if mismatched:
        raise ArchiveError("restored counts differ: " + "; ".join(mismatched))
    return written


def _restore_collection(target: Any, directory: Path, entry: CollectionEntry, *, drop: bool) -> int:
    if drop:
        target.drop_collection(entry.name)
    options = {key: value for key, value in entry.options.items() if key != "autoIndexId"}
    if entry.name not in target.list_collection_names():
        target.create_collection(entry.name, **options)
    collection = target[entry.name]
    written = 0
    batch: list[Any] = []
    # Stored documents are written as they were, even those an added "moderate" validator
    # would reject today (mongorestore does the same).
    for document in read_documents(directory / entry.file):
        batch.append(document)
        if len(batch) >= INSERT_BATCH:
            collection.insert_many(batch, ordered=True, bypass_document_validation=True)
            written += len(batch)
            batch = []
    if batch:
        collection.insert_many(batch, ordered=True, bypass_document_validation=True)
        written += len(batch)
    for index in entry.indexes:
        if index.get("name") == "_id_":
            continue
        spec = dict(index)
        key = list(spec.pop("key").items())
        name = spec.pop("name")
        for meta in ("v", "ns", "background"):
            spec.pop(meta, None)
        if any(path in ("_fts", "_ftsx") for path, _ in key):  # a server's text index form
            weights = spec.get("weights", {})
            key = [(path, "text") for path in weights] + [(p, d) for p, d in key if p not in ("_fts", "_ftsx")]
        collection.create_index(key, name=name, **spec)
    return written
