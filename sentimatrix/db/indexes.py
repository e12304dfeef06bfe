"""Index kinds the ORM cannot declare (sparse, TTL, text, raw key specs), as ``Index`` subclasses.

They live in ``Meta.indexes`` and migrations like any other index: the schema editor calls
``get_pymongo_index_model`` and ``RemoveIndex`` drops by name (django-mongodb-backend
``schema.py``). ``makemigrations`` detects them through ``deconstruct``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Index
from pymongo import IndexModel


class MongoIndex(Index):
    """An index given as a raw MongoDB key spec plus ``IndexModel`` options."""

    def __init__(
        self, *, spec: Sequence[tuple[str, Any]], mongo_options: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        self.spec = [(path, kind) for path, kind in spec]
        self.mongo_options = dict(mongo_options or {})
        # Index() insists on fields=; use the top-level field of each path.
        kwargs.setdefault("fields", sorted({path.partition(".")[0] for path, _ in self.spec}))
        super().__init__(**kwargs)

    def deconstruct(self) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        path, args, kwargs = super().deconstruct()
        kwargs.pop("fields", None)
        kwargs["spec"] = self.spec
        if self.mongo_options:
            kwargs["mongo_options"] = self.mongo_options
        return path, args, kwargs

    def get_pymongo_index_model(
        self, model: Any, schema_editor: Any = None, field: Any = None, unique: bool = False, column_prefix: str = ""
    ) -> IndexModel:
        keys = [(column_prefix + self._column(model, path), kind) for path, kind in self.spec]
        return IndexModel(keys, name=self.name, **self.mongo_options)

    @staticmethod
    def _column(model: Any, path: str) -> str:
        # "user" (a ForeignKey) is stored as "user_id"; dotted paths into embedded fields are
        # written with their stored names already.
        head, dot, rest = path.partition(".")
        try:
            column = model._meta.get_field(head).column
        except Exception:  # noqa: BLE001 - a path that is not a model field is used verbatim
            column = head
        return column + dot + rest

    def __eq__(self, other: object) -> bool:
        return (
            super().__eq__(other)
            and isinstance(other, MongoIndex)
            and other.spec == self.spec
            and (other.mongo_options == self.mongo_options)
        )

    __hash__ = Index.__hash__


class SparseIndex(MongoIndex):
    def __init__(self, *, field: str, name: str, order: int = 1, **kwargs: Any) -> None:
        kwargs.pop("spec", None)
        kwargs.pop("mongo_options", None)
        super().__init__(spec=[(field, order)], mongo_options={"sparse": True}, name=name, **kwargs)

    def deconstruct(self) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        path, args, kwargs = Index.deconstruct(self)
        kwargs.pop("fields", None)
        kwargs["field"] = self.spec[0][0]
        if self.spec[0][1] != 1:
            kwargs["order"] = self.spec[0][1]
        return path, args, kwargs


class TTLIndex(MongoIndex):
    """Documents expire ``expire_after_seconds`` after the date in ``field`` (real servers only)."""

    def __init__(self, *, field: str, expire_after_seconds: int, name: str, **kwargs: Any) -> None:
        kwargs.pop("spec", None)
        kwargs.pop("mongo_options", None)
        self.expire_after_seconds = expire_after_seconds
        super().__init__(
            spec=[(field, 1)], mongo_options={"expireAfterSeconds": expire_after_seconds}, name=name, **kwargs
        )

    def deconstruct(self) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        path, args, kwargs = Index.deconstruct(self)
        kwargs.pop("fields", None)
        kwargs["field"] = self.spec[0][0]
        kwargs["expire_after_seconds"] = self.expire_after_seconds
        return path, args, kwargs


class TextIndex(MongoIndex):
    """A text index over several string paths (one per collection, MongoDB's rule)."""

    def __init__(
        self, *, paths: Sequence[str], name: str, weights: dict[str, int] | None = None,
        default_language: str = "none", **kwargs: Any,
    ) -> None:  # fmt: skip
        kwargs.pop("spec", None)
        kwargs.pop("mongo_options", None)
        self.paths = list(paths)
        self.weights = dict(weights or {})
        self.default_language = default_language
        options: dict[str, Any] = {"default_language": default_language}
        if self.weights:
            options["weights"] = self.weights
        super().__init__(spec=[(path, "text") for path in self.paths], mongo_options=options, name=name, **kwargs)

    def deconstruct(self) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        path, args, kwargs = Index.deconstruct(self)
        kwargs.pop("fields", None)
        kwargs["paths"] = self.paths
        if self.weights:
            kwargs["weights"] = self.weights
        if self.default_language != "none":
            kwargs["default_language"] = self.default_language
        return path, args, kwargs
