"""Does a declared index serve a MongoDB query? Equality-sort-range analysis without a server.

A real server's ``explain()`` is not available here, so the rules the query planner follows are applied
to the filter and sort the code really builds (``docs/mongodb.md``, "Index coverage without a server"):

- the query's top-level conjunction is split into *equality* fields (a value, ``$eq``, ``$in``), *range*
  fields (``$gt``/``$gte``/``$lt``/``$lte``) and the rest (``$ne``, ``$regex``, ``$text``...);
  ``$or`` branches are analysed one by one with the outer conjunction added (each branch needs its own
  index for an OR plan);
- an index serves the query when its keys are: a run of the query's equality fields, then the sort
  keys in order (all in the index's direction or all reversed; a sort key fixed by equality may be
  skipped), then optionally range fields. Keys bound that way are the *bounded* fields; a sort that the
  index does not give in full is a *blocking sort* (in memory, capped at 100 MB on a real server);
- a partial index only serves queries whose filter implies its ``partialFilterExpression``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

RANGE_OPS = frozenset({"$gt", "$gte", "$lt", "$lte"})


@dataclass(frozen=True)
class DeclaredIndex:
    name: str
    keys: tuple[tuple[str, int], ...]
    partial: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Shape:
    equality: dict[str, Any] = field(default_factory=dict)  # field -> value (or {"$in": [...]})
    ranges: set[str] = field(default_factory=set)
    other: set[str] = field(default_factory=set)
    ors: list[list[Mapping[str, Any]]] = field(default_factory=list)


@dataclass(frozen=True)
class Plan:
    index: str
    bounded: tuple[str, ...]
    sort_served: bool

    def __str__(self) -> str:
        return f"{self.index} bounds {list(self.bounded)}, sort {'served' if self.sort_served else 'BLOCKING'}"


def shape_of(query: Mapping[str, Any]) -> Shape:
    shape = Shape()
    _collect(query, shape)
    return shape


def _collect(query: Mapping[str, Any], shape: Shape) -> None:
    for key, value in query.items():
        if key == "$and":
            for clause in value:
                _collect(clause, shape)
        elif key == "$or":
            shape.ors.append(list(value))
        elif key.startswith("$"):
            shape.other.add(key)
        elif isinstance(value, Mapping) and value and all(str(k).startswith("$") for k in value):
            ops = set(value)
            if ops == {"$eq"}:
                shape.equality[key] = value["$eq"]
            elif ops == {"$in"}:
                shape.equality[key] = {"$in": list(value["$in"])}
            elif ops <= RANGE_OPS:
                shape.ranges.add(key)
            else:
                shape.other.add(key)
        else:
            shape.equality[key] = value


def _implies_partial(shape: Shape, partial: Mapping[str, Any]) -> bool:
    for key, condition in partial.items():
        if key not in shape.equality:
            return False
        value = shape.equality[key]
        if isinstance(condition, Mapping) and "$in" in condition:
            values = value["$in"] if isinstance(value, Mapping) else [value]
            if not set(map(str, values)) <= set(map(str, condition["$in"])):
                return False
        elif isinstance(condition, Mapping) and "$eq" in condition:
            if value != condition["$eq"]:
                return False
        elif value != condition:
            return False
    return True


def plan(index: DeclaredIndex, shape: Shape, sort: Sequence[tuple[str, int]]) -> Plan | None:
    """How ``index`` serves a query of ``shape`` sorted by ``sort``; None when it cannot be used."""
    if index.partial and not _implies_partial(shape, index.partial):
        return None
    keys = list(index.keys)
    bounded: list[str] = []
    position = 0
    while position < len(keys) and keys[position][0] in shape.equality:
        bounded.append(keys[position][0])
        position += 1
    # The sort must continue the index from here (keys fixed by equality can be skipped).
    wanted = [(f, d) for f, d in sort if f not in shape.equality]
    sort_served = True
    direction = None
    for sort_field, sort_dir in wanted:
        if position < len(keys) and keys[position][0] == sort_field:
            relative = 1 if keys[position][1] == sort_dir else -1
            if direction is None:
                direction = relative
            if relative != direction:
                sort_served = False
                break
            if sort_field in shape.ranges:
                bounded.append(sort_field)
            position += 1
        else:
            sort_served = False
            break
    if sort_served:
        # Range fields right after the sort keys bound the scan too.
        while position < len(keys) and keys[position][0] in shape.ranges:
            bounded.append(keys[position][0])
            position += 1
    elif not bounded and keys and keys[0][0] in shape.ranges:
        bounded.append(keys[0][0])
    if not bounded and not (sort_served and wanted):
        return None  # neither narrows the scan nor gives the order: a collection scan is as good
    return Plan(index.name, tuple(bounded), sort_served)


def best_plans(
    indexes: Iterable[DeclaredIndex], query: Mapping[str, Any], sort: Sequence[tuple[str, int]]
) -> list[Plan]:
    shape = shape_of(query)
    plans = [p for p in (plan(index, shape, sort) for index in indexes) if p is not None]
    return sorted(plans, key=lambda p: (not p.sort_served, -len(p.bounded)))


def covered(
    indexes: Sequence[DeclaredIndex],
    query: Mapping[str, Any],
    sort: Sequence[tuple[str, int]],
    must_bound: Iterable[str],
) -> tuple[bool, str]:
    """(ok, explanation): some index bounds every ``must_bound`` field and serves the sort.

    A ``must_bound`` field that the query only constrains inside an ``$or`` needs every branch of that
    ``$or`` served by an index bounding it (with the outer conjunction), as an OR plan does.
    """
    must = set(must_bound)
    shape = shape_of(query)
    plain = must & (set(shape.equality) | shape.ranges)
    in_or = must - plain
    for candidate in best_plans(indexes, query, sort):
        if plain <= set(candidate.bounded) and candidate.sort_served and not in_or:
            return True, str(candidate)
    if in_or:
        outer = {k: v for k, v in query.items() if k != "$or"}
        if "$and" in query:
            outer = {"$and": [c for c in query["$and"] if "$or" not in c]}
        problems = []
        for branches in shape.ors:
            for branch in branches:
                branch_query = {"$and": [outer, branch]}
                branch_fields = set(shape_of(branch).equality) | shape_of(branch).ranges
                # A branch must bound one of its own fields: one that only bounds the outer prefix
                # scans everything under it, which is no better than leaving the $or as a filter.
                results = [covered(indexes, branch_query, sort, plain | {f}) for f in sorted(branch_fields)]
                if not any(ok for ok, _ in results):
                    detail = results[0][1] if results else "branch has no field of its own"
                    problems.append(f"$or branch {sorted(branch_fields)}: {detail}")
        if not problems:
            return True, "every $or branch is served"
        return False, "; ".join(problems)
    plans = best_plans(indexes, query, sort)
    return False, (
        f"no index bounds {sorted(must)} and serves sort {list(sort)}; "
        f"best: {[str(p) for p in plans[:3]] or 'none (collection scan)'}"
    )


def declared_indexes(model: Any) -> list[DeclaredIndex]:
    """``Meta.indexes`` and unique constraints of a model, as stored key specs (column names)."""
    from sentimatrix.db.indexes import MongoIndex

    found: list[DeclaredIndex] = [DeclaredIndex("_id_", (("_id", 1),))]
    for index in model._meta.indexes:
        if isinstance(index, MongoIndex):
            spec = tuple((MongoIndex._column(model, path), kind) for path, kind in index.spec)
            if isinstance(spec[0][1], str):  # text index: no equality/sort use
                continue
            found.append(DeclaredIndex(index.name, spec, dict(index.mongo_options.get("partialFilterExpression", {}))))
        else:
            keys = []
            for name in index.fields:
                descending = name.startswith("-")
                column = model._meta.get_field(name.lstrip("-")).column
                keys.append((column, -1 if descending else 1))
            partial = {}
            if index.condition is not None:
                partial = _condition_to_mql(model, index.condition)
            found.append(DeclaredIndex(index.name, tuple(keys), partial))
    for constraint in getattr(model._meta, "constraints", []):
        fields = getattr(constraint, "fields", None)
        if fields:
            keys = tuple((model._meta.get_field(f).column, 1) for f in fields)
            partial = _condition_to_mql(model, constraint.condition) if constraint.condition is not None else {}
            found.append(DeclaredIndex(constraint.name, keys, partial))
    return found


def _condition_to_mql(model: Any, condition: Any) -> dict[str, Any]:
    result = {}
    for child in condition.children:
        name, value = child
        result[model._meta.get_field(name.split("__")[0]).column] = value
    return result


def queryset_mql(queryset: Any) -> tuple[dict[str, Any], list[tuple[str, int]]]:
    """The ``$match`` filter and sort django-mongodb-backend sends for ``queryset``."""
    compiler = queryset.query.get_compiler(queryset.db)
    compiler.pre_sql_setup()
    query = compiler.build_query()
    return dict(query.match_mql or {}), [(k, v) for k, v in (query.ordering or {}).items()]
