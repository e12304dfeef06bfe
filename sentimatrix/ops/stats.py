"""Collection statistics: counts and sizes everywhere, index usage and slow queries on a server.

A real server answers ``$collStats`` (storage statistics, index sizes), ``$indexStats`` (how often
each index was used since the server started) and the profiler (``system.profile``, when the
profiling level is above 0). The emulated engine has none of these, so there the data size is
measured by encoding every document as BSON (the same number a server reports as ``size``) and
the report says plainly what could not be measured.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import bson


@dataclass
class IndexStat:
    name: str
    size_bytes: int | None = None
    accesses: int | None = None
    accesses_since: str | None = None


@dataclass
class CollectionStat:
    name: str
    count: int
    size_bytes: int | None = None
    storage_bytes: int | None = None
    avg_document_bytes: int | None = None
    total_index_bytes: int | None = None
    indexes: list[IndexStat] = field(default_factory=list)


@dataclass
class DatabaseReport:
    database: str
    engine: str
    collections: list[CollectionStat]
    slow_queries: list[dict[str, Any]] = field(default_factory=list)
    profiling_level: int | None = None
    unavailable: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _measured_size(collection: Any) -> tuple[int, int]:
    count = 0
    total = 0
    for document in collection.find({}):
        count += 1
        total += len(bson.encode(document))
    return count, total


def collection_stat(database: Any, name: str, *, server_stats: bool) -> CollectionStat:
    collection = database[name]
    index_names = [index["name"] for index in collection.list_indexes()]
    if not server_stats:
        count, size = _measured_size(collection)
        return CollectionStat(
            name=name,
            count=count,
            size_bytes=size,
            avg_document_bytes=size // count if count else 0,
            indexes=[IndexStat(name=index_name) for index_name in index_names],
        )
    storage = next(iter(collection.aggregate([{"$collStats": {"storageStats": {}}}])), {}).get("storageStats", {})
    usage = {
        row["name"]: row.get("accesses", {})
        for row in collection.aggregate([{"$indexStats": {}}])  # per index, since the server started
    }
    sizes = storage.get("indexSizes", {})
    return CollectionStat(
        name=name,
        count=int(storage["count"]) if "count" in storage else collection.estimated_document_count(),
        size_bytes=_int(storage.get("size")),
        storage_bytes=_int(storage.get("storageSize")),
        avg_document_bytes=_int(storage.get("avgObjSize")),
        total_index_bytes=_int(storage.get("totalIndexSize")),
        indexes=[
            IndexStat(
                name=index_name,
                size_bytes=_int(sizes.get(index_name)),
                accesses=_int(usage.get(index_name, {}).get("ops")),
                accesses_since=_iso(usage.get(index_name, {}).get("since")),
            )
            for index_name in index_names
        ],
    )


def slow_queries(database: Any, *, limit: int) -> tuple[int | None, list[dict[str, Any]]]:
    """The profiling level and the slowest profiled operations (empty when profiling is off)."""
    level = int(database.command("profile", -1).get("was", 0))
    if level == 0:
        return level, []
    rows = database["system.profile"].find(
        {}, {"op": 1, "ns": 1, "millis": 1, "ts": 1, "planSummary": 1, "command": 1, "docsExamined": 1, "nreturned": 1}
    )
    rows = rows.sort("millis", -1).limit(limit)
    out = []
    for row in rows:
        command = row.get("command") or {}
        out.append(
            {
                "op": row.get("op"),
                "ns": row.get("ns"),
                "millis": row.get("millis"),
                "at": _iso(row.get("ts")),
                "plan": row.get("planSummary"),
                "docs_examined": row.get("docsExamined"),
                "returned": row.get("nreturned"),
                # the shape, not the values: filters may hold user data
                "filter_keys": sorted((command.get("filter") or {}).keys()),
            }
        )
    return level, out


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _iso(value: Any) -> str | None:
    return value.isoformat() if hasattr(value, "isoformat") else (None if value is None else str(value))


EMULATED_LIMITS = [
    "index sizes ($collStats): not available on the emulated engine",
    "index usage ($indexStats): not available on the emulated engine",
    "slow queries (profiler): not available on the emulated engine",
    "storage size on disk: the emulated engine keeps data in memory; size is the BSON size of the documents",
]


def database_report(
    database: Any, names: list[str], *, server_stats: bool, engine: str, slow: int = 10
) -> DatabaseReport:
    report = DatabaseReport(
        database=database.name,
        engine=engine,
        collections=[collection_stat(database, name, server_stats=server_stats) for name in names],
    )
    if server_stats:
        try:
            report.profiling_level, report.slow_queries = slow_queries(database, limit=slow)
        except Exception as exc:  # noqa: BLE001 - e.g. no privilege for `profile`; the rest still helps
            report.unavailable.append(f"slow queries: {type(exc).__name__}: {exc}")
        if report.profiling_level == 0:
            report.unavailable.append(
                "slow queries: profiling is off (db.setProfilingLevel(1, {slowms: 100}) turns it on)"
            )
    else:
        report.unavailable = list(EMULATED_LIMITS)
    return report


def human_bytes(value: int | None) -> str:
    if value is None:
        return "-"
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{value} B"  # pragma: no cover


def report_lines(report: DatabaseReport) -> list[str]:
    lines = [f"database {report.database} ({report.engine})", ""]
    header = f"{'collection':<28} {'documents':>10} {'data':>11} {'storage':>11} {'indexes':>11}"
    lines += [header, "-" * len(header)]
    for stat in report.collections:
        lines.append(
            f"{stat.name:<28} {stat.count:>10} {human_bytes(stat.size_bytes):>11} "
            f"{human_bytes(stat.storage_bytes):>11} {human_bytes(stat.total_index_bytes):>11}"
        )
    usage_known = any(index.accesses is not None for stat in report.collections for index in stat.indexes)
    if usage_known:
        lines += ["", "index usage since server start (unused indexes cost writes and memory):"]
        for stat in report.collections:
            for index in stat.indexes:
                flag = "  UNUSED" if index.accesses == 0 and index.name != "_id_" else ""
                lines.append(f"  {stat.name}.{index.name}: {index.accesses} ops, {human_bytes(index.size_bytes)}{flag}")
    if report.slow_queries:
        lines += ["", f"slowest profiled operations (profiling level {report.profiling_level}):"]
        for row in report.slow_queries:
            lines.append(
                f"  {row['millis']} ms {row['op']} {row['ns']} plan={row['plan']} "
                f"examined={row['docs_examined']} returned={row['returned']} filter={row['filter_keys']}"
            )
    if report.unavailable:
        lines += ["", "not measured:"] + [f"  {item}" for item in report.unavailable]
    return lines
