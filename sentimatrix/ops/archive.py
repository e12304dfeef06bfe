"""The portable backup format: one gzip BSON file per collection plus ``manifest.json``.

A backup is a directory::

    sentimatrix-<database>-<YYYYmmddTHHMMSSZ>/
        manifest.json            format, schema version, and per collection: file, count,
                                 sha256 of the file, indexes, collection options (validators)
        <collection>.bson.gz     the documents as concatenated BSON (what mongodump writes,
                                 and what ``bsondump`` and ``mongorestore --dir`` read), gzipped

BSON keeps every type exactly (ObjectId, dates, binary, Int64, Decimal128); the manifest's index
and option documents are MongoDB Extended JSON (canonical) for the same reason. Pure: no Django.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bson
from bson import json_util
from bson.codec_options import CodecOptions

FORMAT = "sentimatrix-portable-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
_JSON_OPTIONS = json_util.JSONOptions(json_mode=json_util.JSONMode.CANONICAL)
# Dates come back naive UTC, as the backend stores and reads them.
DECODE_OPTIONS: CodecOptions = CodecOptions(tz_aware=False)


class ArchiveError(Exception):
    """The archive is missing, damaged or does not match its manifest."""


@dataclass
class CollectionEntry:
    name: str
    file: str
    count: int
    sha256: str
    bytes: int
    indexes: list[dict[str, Any]] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Manifest:
    database: str
    created_at: str
    engine: str
    tool: str
    schema_version: str
    migrations: dict[str, str]
    collections: dict[str, CollectionEntry] = field(default_factory=dict)
    archive: str | None = None  # mongodump: the archive file
    archive_sha256: str | None = None
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    def to_json(self) -> str:
        body = {
            "format": self.format,
            "format_version": self.format_version,
            "database": self.database,
            "created_at": self.created_at,
            "engine": self.engine,
            "tool": self.tool,
            "schema_version": self.schema_version,
            "migrations": self.migrations,
            "archive": self.archive,
            "archive_sha256": self.archive_sha256,
            "collections": {
                name: {
                    "file": entry.file,
                    "count": entry.count,
                    "sha256": entry.sha256,
                    "bytes": entry.bytes,
                    "indexes": json.loads(json_util.dumps(entry.indexes, json_options=_JSON_OPTIONS)),
                    "options": json.loads(json_util.dumps(entry.options, json_options=_JSON_OPTIONS)),
                }
                for name, entry in sorted(self.collections.items())
            },
        }
        return json.dumps(body, indent=2, sort_keys=False)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        try:
            body = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ArchiveError(f"manifest.json is not valid JSON: {exc}") from exc
        if body.get("format") != FORMAT:
            raise ArchiveError(f"not a Sentimatrix backup (format {body.get('format')!r})")
        if body.get("format_version") != FORMAT_VERSION:
            raise ArchiveError(f"unsupported backup format version {body.get('format_version')!r}")
        collections = {
            name: CollectionEntry(
                name=name,
                file=entry["file"],
                count=int(entry["count"]),
                sha256=entry["sha256"],
                bytes=int(entry.get("bytes", 0)),
                indexes=json_util.loads(json.dumps(entry.get("indexes", []))),
                options=json_util.loads(json.dumps(entry.get("options", {}))),
            )
            for name, entry in body.get("collections", {}).items()
        }
        return cls(
            database=body["database"],
            created_at=body["created_at"],
            engine=body.get("engine", ""),
            tool=body.get("tool", "pymongo"),
            schema_version=body["schema_version"],
            migrations=dict(body.get("migrations", {})),
            collections=collections,
            archive=body.get("archive"),
            archive_sha256=body.get("archive_sha256"),
        )


def schema_version(migrations: dict[str, str]) -> str:
    """A short digest of "the latest migration of every app" (equal digests: same schema)."""
    text = "\n".join(f"{app}:{name}" for app, name in sorted(migrations.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_documents(path: Path, documents: Iterable[Any], *, on_document: Any = None) -> int:
    """Write documents (dicts, or ``RawBSONDocument`` whose bytes are copied as they are)."""
    count = 0
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=6) as out:
        for document in documents:
            data = document.raw if hasattr(document, "raw") else bson.encode(document)
            out.write(data)
            count += 1
            if on_document is not None:
                on_document()
    return count


def read_documents(path: Path, *, codec_options: CodecOptions = DECODE_OPTIONS) -> Iterator[Any]:
    with gzip.open(path, "rb") as handle:
        try:
            yield from bson.decode_file_iter(handle, codec_options=codec_options)
        except (bson.errors.InvalidBSON, OSError, EOFError) as exc:
            raise ArchiveError(f"{path.name}: damaged BSON data ({exc})") from exc


def verify_entry(directory: Path, entry: CollectionEntry) -> None:
    """Checksum and document count of one collection file against the manifest."""
    path = directory / entry.file
    if not path.is_file():
        raise ArchiveError(f"{entry.file} is missing from the backup")
    actual = file_sha256(path)
    if actual != entry.sha256:
        raise ArchiveError(f"{entry.file}: checksum mismatch (manifest {entry.sha256[:12]}…, file {actual[:12]}…)")
    count = sum(1 for _ in read_documents(path))
    if count != entry.count:
        raise ArchiveError(f"{entry.file}: {count} documents, the manifest says {entry.count}")


def load_manifest(directory: Path) -> Manifest:
    path = directory / MANIFEST
    if not path.is_file():
        raise ArchiveError(f"{directory} has no {MANIFEST}; is it a backup directory?")
    return Manifest.from_json(path.read_text())
