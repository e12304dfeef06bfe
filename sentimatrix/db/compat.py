"""Fixes for places where mongomock-ng answers differently from a real MongoDB server.

Each fix is written from MongoDB's documented semantics (linked per fix), installed by
``install()`` when the emulated engine loads, and pinned by a test in ``tests/db/``. Fixes are
reversible (``disabled(name)``) so the tests can show that each one is needed.

Only the emulated engine imports this module; nothing here runs against a real server.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bson import Binary, Decimal128, Int64, ObjectId, Regex, Timestamp
from mongomock_ng import BulkWriteError as mm_BulkWriteError
from mongomock_ng import DuplicateKeyError as mm_DuplicateKeyError
from mongomock_ng import OperationFailure, WriteError
from mongomock_ng import aggregate as mm_aggregate
from mongomock_ng import collection as mm_collection
from mongomock_ng import filtering as mm_filtering
from mongomock_ng import helpers as mm_helpers

from sentimatrix.db import jsonschema as mongo_jsonschema


@dataclass
class _Patch:
    target: Any
    attribute: str
    replacement: Any
    original: Any = None
    installed: bool = False

    # ``target`` is a module or class (patched attribute) or a dict (patched key, e.g. the
    # pipeline-stage handler table, which holds its own references to the functions).
    def _get(self) -> Any:
        return self.target[self.attribute] if isinstance(self.target, dict) else getattr(self.target, self.attribute)

    def _set(self, value: Any) -> None:
        if isinstance(self.target, dict):
            self.target[self.attribute] = value
        else:
            setattr(self.target, self.attribute, value)

    def install(self) -> None:
        if not self.installed:
            self.original = self._get()
            self._set(self.replacement)
            self.installed = True

    def uninstall(self) -> None:
        if self.installed:
            self._set(self.original)
            self.installed = False


_FIXES: dict[str, list[_Patch]] = {}


def _fix(name: str, target: Any, attribute: str) -> Callable[[Any], Any]:
    def register(replacement: Any) -> Any:
        _FIXES.setdefault(name, []).append(_Patch(target, attribute, replacement))
        return replacement

    return register


# --- 1. $getField with an expression as input ---------------------------------------------
# https://www.mongodb.com/docs/manual/reference/operator/aggregation/getField/
# "input: any valid expression that resolves to an object". mongomock-ng only evaluates a
# string input; a dict input (the backend passes {"$arrayElemAt": [...]}) was used as a literal,
# so count() silently returned 0.

_original_field_operator = mm_aggregate._Parser._handle_field_operator


@_fix("getfield_expression_input", mm_aggregate._Parser, "_handle_field_operator")
def _handle_field_operator(self: Any, operator: str, values: Any) -> Any:
    if operator == "$getField" and isinstance(values, dict) and "input" in values:
        field_name = self.parse(values.get("field", ""))
        if not isinstance(field_name, str):
            raise OperationFailure(f"$getField requires field to be a string, got {type(field_name).__name__}")
        document = self.parse(values["input"])
        if not isinstance(document, dict):
            # input resolving to null or missing returns null (documented); other types error on
            # a server but never occur in the backend's pipelines.
            return None
        return document.get(field_name, mm_aggregate.NOTHING)
    return _original_field_operator(self, operator, values)


# --- 2. $type of BSON types mongomock-ng does not name ---------------------------------------
# https://www.mongodb.com/docs/manual/reference/operator/aggregation/type/ ("Available Types")

_original_type_operator = mm_aggregate._Parser._handle_type_operator


def bson_type_alias(value: Any) -> str | None:
    """The $type alias of the types mongomock-ng does not map itself."""
    if isinstance(value, ObjectId):
        return "objectId"
    if isinstance(value, (Decimal128, Decimal)):
        return "decimal"
    if isinstance(value, (bytes, Binary)):
        return "binData"
    if isinstance(value, (re.Pattern, Regex)):
        return "regex"
    if isinstance(value, Timestamp):
        return "timestamp"
    if isinstance(value, Int64):
        return "long"
    return None


@_fix("type_bson_aliases", mm_aggregate._Parser, "_handle_type_operator")
def _handle_type_operator(self: Any, operator: str, values: Any) -> Any:
    if operator == "$type":
        parsed = self.parse(values)
        alias = bson_type_alias(parsed)
        if alias is not None:
            return alias
    return _original_type_operator(self, operator, values)


# --- 3. $dateTrunc with startOfWeek, timezone and binSize ------------------------------------
# https://www.mongodb.com/docs/manual/reference/operator/aggregation/dateTrunc/
# - truncation happens in `timezone` (Olson name or +/-HH:MM offset), the result is UTC;
# - weeks start on `startOfWeek` (default "sunday");
# - `binSize` groups units into bins counted from a reference date 2000-01-01T00:00 in the
#   timezone (for week: the first startOfWeek day on or after that date).

_WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "wednesday": 2, "wed": 2, "thursday": 3, "thu": 3,
    "friday": 4, "fri": 4, "saturday": 5, "sat": 5, "sunday": 6, "sun": 6,
}  # fmt: skip
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})?$")
_UNITS = ("millisecond", "second", "minute", "hour", "day", "week", "month", "quarter", "year")


def _zone(name: str | None) -> dt.tzinfo:
    if not name or name in ("UTC", "GMT", "Z"):
        return dt.UTC
    match = _OFFSET.match(name)
    if match:
        sign = -1 if match.group(1) == "-" else 1
        return dt.timezone(sign * dt.timedelta(hours=int(match.group(2)), minutes=int(match.group(3) or 0)))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise OperationFailure(f'unrecognized time zone identifier: "{name}"') from exc


def date_trunc(
    date: dt.datetime, unit: str, *, bin_size: int = 1, timezone: str | None = None, start_of_week: str = "sunday"
) -> dt.datetime:
    """MongoDB's $dateTrunc on one value; naive datetimes are UTC (as BSON dates are)."""
    if unit not in _UNITS:
        raise OperationFailure(f'{unit} is not a valid value for the "unit" field in $dateTrunc')
    if not isinstance(bin_size, int) or bin_size < 1:
        raise OperationFailure("$dateTrunc requires 'binSize' to be a positive integer")
    try:
        week_start = _WEEKDAYS[start_of_week.lower()]
    except KeyError as exc:
        raise OperationFailure(f"unknown startOfWeek value: {start_of_week}") from exc
    zone = _zone(timezone)
    aware = date if date.tzinfo else date.replace(tzinfo=dt.UTC)
    local = aware.astimezone(zone).replace(tzinfo=None)  # wall-clock time in the zone
    reference = dt.datetime(2000, 1, 1)  # noqa: DTZ001 - wall-clock arithmetic; zone applied in _to_utc

    if unit in ("millisecond", "second", "minute", "hour", "day"):
        step = {
            "millisecond": dt.timedelta(milliseconds=1), "second": dt.timedelta(seconds=1),
            "minute": dt.timedelta(minutes=1), "hour": dt.timedelta(hours=1), "day": dt.timedelta(days=1),
        }[unit] * bin_size  # fmt: skip
        truncated_local = reference + ((local - reference) // step) * step
        if unit == "day":
            return _to_utc(truncated_local, zone)
        # Within a day keep the instant's own UTC offset, so the two 01:00 hours of a DST
        # fall-back stay distinct buckets.
        offset = aware.astimezone(zone).utcoffset() or dt.timedelta(0)
        return (truncated_local - offset).replace(tzinfo=None)
    if unit == "week":
        first = reference + dt.timedelta(days=(week_start - reference.weekday()) % 7)
        step = dt.timedelta(weeks=bin_size)
        day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        bins = (day_start - first) // step
        return _to_utc(first + bins * step, zone)
    months_per_unit = {"month": 1, "quarter": 3, "year": 12}[unit] * bin_size
    months = (local.year - reference.year) * 12 + (local.month - 1)
    start = (months // months_per_unit) * months_per_unit
    truncated = dt.datetime(reference.year + start // 12, start % 12 + 1, 1)  # noqa: DTZ001 - wall-clock arithmetic
    return _to_utc(truncated, zone)


def _to_utc(local_wall: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    return local_wall.replace(tzinfo=zone).astimezone(dt.UTC).replace(tzinfo=None)


@_fix("datetrunc_options", mm_aggregate, "_handle_date_trunc_operator")
def _handle_date_trunc_operator(values: Any, out_value: dict[str, Any]) -> dt.datetime | None:
    if not isinstance(values, dict) or not {"date", "unit"} <= set(values):
        raise OperationFailure('$dateTrunc operator must correspond a dict that has "unit" and "date" fields.')
    date = out_value.get("date")
    if date is None or date is mm_aggregate.NOTHING or mm_aggregate._is_nat(date):
        return None
    if not isinstance(date, dt.datetime):
        raise OperationFailure("$dateTrunc requires 'date' to be a date")
    return date_trunc(
        date,
        out_value["unit"],
        bin_size=out_value.get("binSize", 1),
        timezone=out_value.get("timezone"),
        start_of_week=out_value.get("startOfWeek", "sunday"),
    )


# --- 4. $addFields / $set with a nested object of field specifications -----------------------
# https://www.mongodb.com/docs/manual/reference/operator/aggregation/addFields/#adding-fields-to-an-embedded-document
# "{a: {b: expr}}" sets a.b and keeps a's other fields; an object whose first key starts with
# "$" is an expression (e.g. {"$literal": ...}) and replaces the field.


def _is_field_spec_object(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and not any(str(key).startswith("$") for key in value)


def _merge_specs(root: dict, out_doc: dict, spec: dict, user_vars: Any) -> None:
    """Set each path of ``spec`` in ``out_doc``; expressions evaluate against the input ``root``."""
    for key, value in spec.items():
        parts = key.split(".")
        target = out_doc
        for part in parts[:-1]:
            if not isinstance(target.get(part), dict):
                target[part] = {}
            target = target[part]
        last = parts[-1]
        if _is_field_spec_object(value):
            if not isinstance(target.get(last), dict):
                target[last] = {}
            _merge_specs(root, target[last], value, user_vars)
            continue
        evaluated = mm_aggregate._parse_expression(value, root, user_vars=user_vars)
        if evaluated is not mm_aggregate.NOTHING:
            target[last] = evaluated


@_fix("addfields_nested_specs", mm_aggregate._PIPELINE_HANDLERS, "$addFields")
@_fix("addfields_nested_specs", mm_aggregate._PIPELINE_HANDLERS, "$set")
def _handle_add_fields_stage(in_collection: list, unused_database: Any, options: dict, user_vars: Any) -> list:
    if not options:
        raise OperationFailure("Invalid $addFields :: caused by :: specification must have at least one field")
    out_collection = []
    for in_doc in in_collection:
        out_doc = _deepcopy(in_doc)
        _merge_specs(in_doc, out_doc, options, user_vars)
        out_collection.append(out_doc)
    return out_collection


def _deepcopy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _deepcopy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_deepcopy(item) for item in value]
    return value


# --- 5. $jsonSchema validators ---------------------------------------------------------------
# https://www.mongodb.com/docs/manual/core/schema-validation/specify-json-schema/
# mongomock-ng raises NotImplementedError on every write to a collection with a $jsonSchema
# validator. Evaluate it instead and raise the server's WriteError code 121.

_original_validate = mm_collection.validate_against_validator


@_fix("jsonschema_validator", mm_collection, "validate_against_validator")
def _validate_against_validator(document: dict, options: dict) -> None:
    validator = options.get("validator")
    level = options.get("validationLevel", "strict")
    action = options.get("validationAction", "error")
    if not validator or level == "off" or action == "warn":
        return
    schema = validator.get("$jsonSchema") if isinstance(validator, dict) else None
    if schema is None:
        _original_validate(document, options)
        return
    errors = mongo_jsonschema.validate(schema, document)
    if errors:
        raise WriteError(
            "Document failed validation",
            code=121,
            details={"errmsg": "Document failed validation", "errInfo": {"details": errors[:10]}},
        )
    rest = {key: value for key, value in validator.items() if key != "$jsonSchema"}
    if rest:
        _original_validate(document, {**options, "validator": rest})


# --- 6. unique-index violations: the server's message, and a cheap scan ---------------------
# https://www.mongodb.com/docs/manual/core/index-unique/ ; the server reports
# "E11000 duplicate key error collection: <ns> index: <name> dup key: {...}". The backend turns a
# BulkWriteError into IntegrityError only when that lower-case text is in the message
# (django_mongodb_backend/query.py wrap_database_errors); mongomock-ng says "Duplicate Key Error",
# so a duplicate in bulk_create/create surfaced as a raw BulkWriteError.
# Also: mongomock-ng evaluated each unique index's partialFilterExpression on every stored
# document before comparing keys (quadratic bulk inserts); comparing keys first gives the same
# answer for a fraction of the work.


# An update that leaves a document's unique keys as they were cannot create a duplicate, yet
# mongomock scanned the whole collection for every updated document (bulk updates were
# quadratic). The snapshot it takes just before applying the update tells us the old keys.
_update_snapshot = threading.local()
_original_clone_document = mm_collection._clone_document
_original_update_documents = mm_collection.Collection._update_documents


@_fix("duplicate_key_error", mm_collection, "_clone_document")
def _clone_document(document: Any) -> Any:
    clone = _original_clone_document(document)
    if getattr(_update_snapshot, "active", False) and isinstance(document, dict) and "_id" in document:
        _update_snapshot.document = clone
    return clone


@_fix("duplicate_key_error", mm_collection.Collection, "_update_documents")
def _update_documents(self: Any, *args: Any, **kwargs: Any) -> Any:
    _update_snapshot.active, _update_snapshot.document = True, None
    try:
        return _original_update_documents(self, *args, **kwargs)
    finally:
        _update_snapshot.active, _update_snapshot.document = False, None


def _snapshot_of(new_data: dict) -> dict | None:
    snapshot = getattr(_update_snapshot, "document", None) if getattr(_update_snapshot, "active", False) else None
    if snapshot is None or snapshot is new_data or snapshot.get("_id") != new_data.get("_id"):
        return None
    return snapshot


@_fix("duplicate_key_error", mm_collection.Collection, "_ensure_uniques")
def _ensure_uniques(self: Any, new_data: dict) -> None:
    if getattr(self, "_sm_uniques_checked", False):
        return  # the batch insert below already checked this document
    before = _snapshot_of(new_data)
    for name, index in self._store.indexes.items():
        if not index.get("unique"):
            continue
        keys = index.get("key")
        sparse = index.get("sparse")
        partial = index.get("partialFilterExpression")
        if partial is not None and not mm_filtering.filter_applies(partial, new_data):
            continue  # a document outside the partial filter is not in the index at all
        new_entries = self._compute_index_entries(new_data, keys, sparse)
        if new_entries is None:
            continue
        if before is not None and new_entries == self._compute_index_entries(before, keys, sparse):
            if partial is None or mm_filtering.filter_applies(partial, before):
                continue  # same index entries as before the update: it was unique then, it is now
        for doc in self._store.documents:
            if doc["_id"] == new_data.get("_id"):
                continue
            doc_entries = self._compute_index_entries(doc, keys, sparse)
            if doc_entries is None or not self._entries_overlap(new_entries, doc_entries):
                continue
            if partial is not None and not mm_filtering.filter_applies(partial, doc):
                continue
            key_value = {key: mm_helpers.get_value_by_dot(new_data, key) for key, _ in keys}
            raise mm_DuplicateKeyError(
                f"E11000 duplicate key error collection: {self.full_name} index: {name} dup key: {key_value}",
                11000,
                {"keyPattern": dict(keys), "keyValue": key_value},
            )


def _unique_indexes(collection: Any) -> list[tuple[str, Any, Any, Any]]:
    return [
        (name, index.get("key"), index.get("sparse"), index.get("partialFilterExpression"))
        for name, index in collection._store.indexes.items()
        if index.get("unique")
    ]


def _index_entries(collection: Any, doc: dict, keys: Any, sparse: Any, partial: Any) -> list | None:
    if partial is not None and not mm_filtering.filter_applies(partial, doc):
        return None
    return collection._compute_index_entries(doc, keys, sparse)


_original_insert = mm_collection.Collection._insert


@_fix("duplicate_key_error", mm_collection.Collection, "_insert")
def _insert(self: Any, data: Any, session: Any = None, ordered: bool = True, validate: bool = True) -> Any:
    """insert_many: check unique keys against one set per index (linear), not a scan per document."""
    if isinstance(data, dict) or not self._store.is_created:
        return _original_insert(self, data, session=session, ordered=ordered, validate=validate)
    items = list(data)
    indexes = _unique_indexes(self)
    try:
        seen = []
        for _name, keys, sparse, partial in indexes:
            entries: set = set()
            for doc in self._store.documents:
                entries.update(_index_entries(self, doc, keys, sparse, partial) or ())
            seen.append(entries)
        planned = [
            [_index_entries(self, item, keys, sparse, partial) for _n, keys, sparse, partial in indexes]
            for item in items
        ]
        for per_index in planned:
            for entries in per_index:
                set(entries or ())  # unhashable values (arrays of documents...) take the slow path
    except TypeError:
        return _original_insert(self, items, session=session, ordered=ordered, validate=validate)

    results, write_errors, inserted = [], [], 0
    for position, (item, per_index) in enumerate(zip(items, planned, strict=True)):
        clash = next((i for i, entries in enumerate(per_index) if entries and seen[i].intersection(entries)), None)
        try:
            if clash is not None:
                name, keys = indexes[clash][0], indexes[clash][1]
                key_value = {key: mm_helpers.get_value_by_dot(item, key) for key, _ in keys}
                raise mm_DuplicateKeyError(
                    f"E11000 duplicate key error collection: {self.full_name} index: {name} dup key: {key_value}",
                    11000,
                    {"keyPattern": dict(keys), "keyValue": key_value},
                )
            self._sm_uniques_checked = True
            try:
                results.append(_original_insert(self, item, session=session, validate=validate))
            finally:
                self._sm_uniques_checked = False
        except WriteError as error:
            write_errors.append({"index": position, "code": error.code, "errmsg": str(error), "op": item})
            if ordered:
                break
            continue
        for i, entries in enumerate(per_index):
            seen[i].update(entries or ())
        inserted += 1
    if write_errors:
        raise mm_BulkWriteError({"writeErrors": write_errors, "nInserted": inserted})
    return results


# --- 7. single-document writes are atomic ----------------------------------------------------
# https://www.mongodb.com/docs/manual/core/write-operations-atomicity/ ("a write operation is
# atomic on the level of a single document"). mongomock-ng finds the document, then changes it,
# with nothing in between stopping another thread: two concurrent conditional
# find_one_and_update claims could both win, and two inserts of one unique key could both pass
# the unique check. One process-wide lock around every public write method gives the server's
# guarantee (stronger than it: writes to different documents serialise too, harmless here).

_WRITE_LOCK = threading.RLock()
_WRITE_METHODS = (
    "insert_one", "insert_many", "update_one", "update_many", "replace_one", "find_one_and_update",
    "find_one_and_replace", "find_one_and_delete", "delete_one", "delete_many", "bulk_write",
)  # fmt: skip


def _serialised(method_name: str) -> Callable[..., Any]:
    original = getattr(mm_collection.Collection, method_name)

    @functools.wraps(original)
    def locked(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _WRITE_LOCK:
            return original(self, *args, **kwargs)

    return locked


for _method_name in _WRITE_METHODS:
    _fix("single_document_atomicity", mm_collection.Collection, _method_name)(_serialised(_method_name))


# --- 8. $lookup whose input is a stream (a $lookup nested in another's pipeline) --------------
# https://www.mongodb.com/docs/manual/reference/operator/aggregation/lookup/ : $lookup passes on
# every input document with the joined array added. mongomock-ng iterates its input and then
# returns that same input; a nested pipeline feeds it a generator, which is exhausted by then, so
# the inner $lookup returned nothing (Django's ModelBackend group permissions query did this).

_original_lookup_stage = mm_aggregate._PIPELINE_HANDLERS["$lookup"]


@_fix("lookup_stream_input", mm_aggregate._PIPELINE_HANDLERS, "$lookup")
def _handle_lookup_stage(in_collection: Any, database: Any, options: dict, user_vars: Any) -> Any:
    return _original_lookup_stage(list(in_collection), database, options, user_vars)


# --- installation ------------------------------------------------------------------------------


def fix_names() -> list[str]:
    return sorted(_FIXES)


def install() -> None:
    for patches in _FIXES.values():
        for patch in patches:
            patch.install()


@contextlib.contextmanager
def disabled(name: str) -> Iterator[None]:
    """Run a block with one fix removed (tests use it to show the fix is needed)."""
    patches = _FIXES[name]
    was_installed = [patch.installed for patch in patches]
    for patch in patches:
        patch.uninstall()
    try:
        yield
    finally:
        for patch, installed in zip(patches, was_installed, strict=True):
            if installed:
                patch.install()
