"""Index drift: compare the indexes a collection should have with those it has. Pure: no Django.

Both sides are reduced to an ``IndexSpec``: the key (paths and directions) plus the options that
change what an index does (unique, sparse, TTL, partial filter, text weights and language,
collation). Options that only describe how an index was built (``v``, ``ns``, ``background``)
are ignored.

Text indexes need care: a real server reports every text index as ``{_fts: "text", _ftsx: 1}``
plus a ``weights`` document, while the declaration lists the paths; both become
``(("$text", ((path, weight), ...)),)``. The emulated engine keeps the key paths but drops
``weights`` and ``default_language``, so those two are compared only when the database
reports them (``IndexSpec.text_options_known``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bson import json_util

ID_INDEX = "_id_"
_TEXT_META = {"_fts", "_ftsx"}
_TEXT_OPTIONS = ("weights", "default_language", "language_override", "textIndexVersion")
# Options compared (besides the key); everything else a server reports is build metadata.
_COMPARED = ("unique", "sparse", "expireAfterSeconds", "partialFilterExpression", "collation", "hidden")


def _canonical(value: Any) -> str:
    """A stable text form of a BSON value (key order of filter documents does not matter)."""
    return json.dumps(json.loads(json_util.dumps(value)), sort_keys=True)


@dataclass(frozen=True)
class IndexSpec:
    name: str
    key: tuple[tuple[str, Any], ...]
    options: tuple[tuple[str, str], ...] = ()
    text_weights: tuple[tuple[str, int], ...] | None = None
    default_language: str | None = None
    text_options_known: bool = True
    #: the create_index keyword arguments that recreate this index (for --apply)
    create_options: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_text(self) -> bool:
        return bool(self.key) and self.key[0][0] == "$text"

    def same_definition(self, other: IndexSpec) -> bool:
        """Same key and behaviour; names are compared separately."""
        if self.key != other.key or self.options != other.options:
            return False
        if self.is_text and self.text_options_known and other.text_options_known:
            return self.text_weights == other.text_weights and self.default_language == other.default_language
        return True

    def describe(self) -> str:
        if self.is_text:
            paths = ", ".join(f"{path}:{weight}" for path, weight in self.text_weights or self.key[0][1])
            key = f"text({paths})"
        else:
            key = ", ".join(f"{path}:{direction}" for path, direction in self.key)
        opts = "".join(f" {name}={value}" for name, value in self.options)
        return f"{self.name} {{{key}}}{opts}"


def spec_from_index_document(document: Mapping[str, Any]) -> IndexSpec:
    """An ``IndexSpec`` from one ``list_indexes()`` document or a declared ``IndexModel.document``.

    ``key`` may be a mapping or a list of pairs (``index_information`` gives pairs).
    """
    raw_key = document["key"]
    pairs = list(raw_key.items()) if isinstance(raw_key, Mapping) else [tuple(pair) for pair in raw_key]
    text_paths = [path for path, kind in pairs if kind == "text"]
    has_text_meta = any(path in _TEXT_META for path, _ in pairs)
    weights: tuple[tuple[str, int], ...] | None = None
    language = document.get("default_language")
    known = True
    if text_paths or has_text_meta:
        declared_weights = dict(document.get("weights") or {})
        if has_text_meta:  # a server's form: the paths are only in weights
            paths = sorted(declared_weights)
        else:
            paths = sorted(text_paths)
        all_paths = sorted(set(paths) | set(declared_weights))
        weights = tuple((path, int(declared_weights.get(path, 1))) for path in all_paths)
        # Non-text keys of a compound text index keep their place (prefix/suffix); for drift
        # purposes their set and directions are what matters.
        others = tuple((path, _direction(kind)) for path, kind in pairs if kind != "text" and path not in _TEXT_META)
        key: tuple[tuple[str, Any], ...] = (("$text", tuple(path for path, _ in weights)), *others)
        known = has_text_meta or "weights" in document or "default_language" in document
        language = language or "english"
    else:
        key = tuple((path, _direction(kind)) for path, kind in pairs)
    options: list[tuple[str, str]] = []
    for name in _COMPARED:
        if name not in document:
            continue
        value = document[name]
        if name in ("unique", "sparse", "hidden"):
            if not value:
                continue
            value = True
        elif name == "expireAfterSeconds":
            value = int(value)
        options.append((name, _canonical(value)))
    create = {name: document[name] for name in (*_COMPARED, *_TEXT_OPTIONS[:3]) if name in document}
    return IndexSpec(
        name=str(document.get("name", "")),
        key=key,
        options=tuple(options),
        text_weights=weights,
        default_language=language if weights is not None else None,
        text_options_known=known,
        create_options=create,
    )


def _direction(kind: Any) -> Any:
    # Servers may report 1.0 or Int64(1); "2dsphere", "hashed" stay strings.
    if isinstance(kind, (int, float)) and not isinstance(kind, bool):
        return int(kind)
    return kind


def creation_key(spec: IndexSpec) -> list[tuple[str, Any]]:
    """The key list ``create_index`` needs to build ``spec``."""
    if spec.is_text:
        return [*((path, "text") for path in spec.key[0][1]), *spec.key[1:]]
    return list(spec.key)


@dataclass
class CollectionDrift:
    collection: str
    missing: list[IndexSpec] = field(default_factory=list)  # declared, not in the database
    undeclared: list[IndexSpec] = field(default_factory=list)  # in the database, not declared
    changed: list[tuple[IndexSpec, IndexSpec]] = field(default_factory=list)  # (declared, actual), same name
    collection_missing: bool = False

    @property
    def clean(self) -> bool:
        return not (self.missing or self.undeclared or self.changed or self.collection_missing)

    def lines(self) -> list[str]:
        out: list[str] = []
        if self.collection_missing:
            out.append(f"{self.collection}: collection does not exist")
        out += [f"{self.collection}: missing    {spec.describe()}" for spec in self.missing]
        out += [f"{self.collection}: undeclared {spec.describe()}" for spec in self.undeclared]
        for declared, actual in self.changed:
            out.append(f"{self.collection}: changed    {declared.name}: declared {declared.describe()}")
            out.append(f"{self.collection}:            database {actual.describe()}")
        return out


def diff_collection(
    collection: str, declared: Iterable[IndexSpec], actual: Iterable[IndexSpec], *, exists: bool = True
) -> CollectionDrift:
    """What differs between the declared and actual indexes of one collection (``_id_`` ignored)."""
    drift = CollectionDrift(collection=collection, collection_missing=not exists)
    wanted = {spec.name: spec for spec in declared if spec.name != ID_INDEX}
    present = {spec.name: spec for spec in actual if spec.name != ID_INDEX}
    for name, spec in sorted(wanted.items()):
        current = present.get(name)
        if current is None:
            drift.missing.append(spec)
        elif not spec.same_definition(current):
            drift.changed.append((spec, current))
    drift.undeclared = [spec for name, spec in sorted(present.items()) if name not in wanted]
    return drift
