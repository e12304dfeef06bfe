"""What the schema should be (from the migrations and the models) and what the database has.

The declared indexes are computed by the backend's own schema editor, so they are exactly what
``migrate`` creates: field indexes and uniques (with their ``$type`` partial filters), embedded
model indexes with dotted paths, ``unique_together``, ``Meta.constraints`` and ``Meta.indexes``
(including ``sentimatrix.db.indexes``' TTL, sparse and text kinds). The editor is given a
recording collection instead of the real one, so nothing is written while computing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, router
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from sentimatrix.ops.indexes import (
    ID_INDEX,
    CollectionDrift,
    IndexSpec,
    creation_key,
    diff_collection,
    spec_from_index_document,
)


class _RecordingCollection:
    def __init__(self, name: str, sink: dict[str, list[IndexSpec]]) -> None:
        self.name = name
        self.sink = sink

    def create_indexes(self, models: Iterable[Any], **_: Any) -> None:
        for model in models:
            self.sink[self.name].append(spec_from_index_document(model.document))

    def create_index(self, keys: Any, **kwargs: Any) -> None:
        self.sink[self.name].append(spec_from_index_document({"key": keys, **kwargs}))

    def create_search_index(self, *_: Any, **__: Any) -> None:
        """Atlas Search indexes are managed by Atlas, not compared here."""


def _managed_models(models: Iterable[Any], alias: str) -> list[Any]:
    return [
        model
        for model in models
        if model._meta.managed
        and not model._meta.proxy
        and not model._meta.swapped
        and router.allow_migrate_model(alias, model)
    ]


def _declared_for(models: Iterable[Any], alias: str) -> dict[str, list[IndexSpec]]:
    connection = connections[alias]
    sink: dict[str, list[IndexSpec]] = defaultdict(list)
    editor = connection.SchemaEditorClass(connection, collect_sql=False)
    editor.get_collection = lambda name: _RecordingCollection(name, sink)  # type: ignore[method-assign]
    for model in _managed_models(models, alias):
        sink.setdefault(model._meta.db_table, [])
        editor._create_model_indexes(model)
    return dict(sink)


def declared_indexes(alias: str = "default", *, source: str = "migrations") -> dict[str, list[IndexSpec]]:
    """Collection name -> declared indexes, from the migrations on disk or from the current models."""
    if source == "migrations":
        loader = MigrationLoader(connections[alias], ignore_no_migrations=True)
        models = loader.project_state().apps.get_models(include_auto_created=True)
    elif source == "models":
        from django.apps import apps

        models = apps.get_models(include_auto_created=True)
    else:
        raise ValueError(f"source must be 'migrations' or 'models', not {source!r}")
    return _declared_for(models, alias)


def actual_indexes(database: Any, collection: str) -> list[IndexSpec]:
    return [spec_from_index_document(document) for document in database[collection].list_indexes()]


def collection_names(database: Any) -> list[str]:
    return sorted(name for name in database.list_collection_names() if not name.startswith("system."))


@dataclass
class DriftReport:
    collections: list[CollectionDrift]
    #: indexes the models declare differently from the migrations (makemigrations is pending)
    pending: list[str] = field(default_factory=list)
    #: collections in the database that no model manages (reported, never touched)
    unmanaged: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return all(drift.clean for drift in self.collections) and not self.pending

    def lines(self) -> list[str]:
        out = [line for drift in self.collections for line in drift.lines()]
        out += [f"pending: {line}" for line in self.pending]
        return out


def index_drift(alias: str = "default", *, collections: Iterable[str] | None = None) -> DriftReport:
    database = connections[alias].database
    declared = declared_indexes(alias, source="migrations")
    from_models = declared_indexes(alias, source="models")
    existing = set(collection_names(database))
    wanted = sorted(collections) if collections else sorted(declared)
    report = DriftReport(collections=[])
    for name in wanted:
        if name not in declared:
            raise ValueError(f"no model manages a collection named {name!r}")
        exists = name in existing
        actual = actual_indexes(database, name) if exists else []
        report.collections.append(diff_collection(name, declared[name], actual, exists=exists))
    for name in sorted(set(declared) | set(from_models)):
        if collections and name not in wanted:
            continue
        by_migration = {spec.name: spec for spec in declared.get(name, [])}
        by_model = {spec.name: spec for spec in from_models.get(name, [])}
        for index_name in sorted(set(by_migration) | set(by_model)):
            a, b = by_migration.get(index_name), by_model.get(index_name)
            if a is None:
                report.pending.append(f"{name}: {index_name} is in the models but in no migration (makemigrations)")
            elif b is None:
                report.pending.append(f"{name}: {index_name} is in the migrations but no longer in the models")
            elif not a.same_definition(b):
                report.pending.append(f"{name}: {index_name} differs between the models and the migrations")
    report.unmanaged = sorted(existing - set(declared) - {MigrationRecorder.Migration._meta.db_table})
    return report


@dataclass(frozen=True)
class IndexAction:
    verb: str  # "create" | "drop"
    collection: str
    spec: IndexSpec

    def describe(self) -> str:
        return f"{self.verb} {self.collection}.{self.spec.describe()}"


def plan_actions(report: DriftReport, *, drop_undeclared: bool = True) -> list[IndexAction]:
    """Drops first (a changed index is dropped and recreated; one text index per collection)."""
    drops: list[IndexAction] = []
    creates: list[IndexAction] = []
    for drift in report.collections:
        for declared, actual in drift.changed:
            drops.append(IndexAction("drop", drift.collection, actual))
            creates.append(IndexAction("create", drift.collection, declared))
        if drop_undeclared:
            drops += [IndexAction("drop", drift.collection, spec) for spec in drift.undeclared]
        creates += [IndexAction("create", drift.collection, spec) for spec in drift.missing]
    return drops + creates


def apply_action(database: Any, action: IndexAction) -> None:
    collection = database[action.collection]
    if action.verb == "drop":
        if action.spec.name == ID_INDEX:
            raise ValueError("refusing to drop the _id index")
        collection.drop_index(action.spec.name)
    else:
        collection.create_index(creation_key(action.spec), name=action.spec.name, **action.spec.create_options)
