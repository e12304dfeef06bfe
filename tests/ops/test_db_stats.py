"""db_stats: what the emulated engine can measure, and the real-server path against a stand-in."""

from __future__ import annotations

import datetime as dt
import json

import bson
import pytest
from django.db import connection

from sentimatrix.ops.stats import collection_stat, database_report, report_lines, slow_queries

pytestmark = pytest.mark.django_db


def test_counts_and_bson_sizes_on_the_emulated_engine(run_command) -> None:
    docs = [{"n": i, "text": "x" * i, "at": dt.datetime(2026, 1, 1)} for i in range(7)]
    connection.database["django_admin_log"].insert_many(docs)
    expected_size = sum(len(bson.encode(doc)) for doc in connection.database["django_admin_log"].find())

    code, out, err = run_command("db_stats", "--json", "--collection", "django_admin_log")
    assert code == 0, err
    body = json.loads(out)
    assert body["engine"] == "emulated"
    [stat] = body["collections"]
    assert stat["name"] == "django_admin_log" and stat["count"] == 7
    assert stat["size_bytes"] == expected_size and stat["avg_document_bytes"] == expected_size // 7
    assert stat["total_index_bytes"] is None  # not claimed when not measured
    assert {index["name"] for index in stat["indexes"]} >= {"_id_", "django_admin_log_user_id_c564eba6"}
    assert any("$indexStats" in line for line in body["unavailable"])
    assert "db_stats: 1 collections, 7 documents" in err  # summary on stderr keeps stdout JSON


def test_text_report_says_what_it_cannot_measure(run_command) -> None:
    code, out, _ = run_command("db_stats")
    assert code == 0
    assert "audit_logs" in out and "users" in out
    assert "not measured:" in out and "slow queries (profiler): not available on the emulated engine" in out
    assert out.strip().splitlines()[-1].startswith("db_stats: ")


def test_unknown_collection_fails(run_command) -> None:
    code, _, err = run_command("db_stats", "--collection", "nope")
    assert code == 2 and "no such collection: nope" in err


class FakeCursor(list):
    def sort(self, key, direction):
        return FakeCursor(sorted(self, key=lambda row: row[key], reverse=direction == -1))

    def limit(self, n):
        return FakeCursor(self[:n])


class FakeCollection:
    def __init__(self, name, rows=()):
        self.name = name
        self.rows = list(rows)

    def list_indexes(self):
        return [{"name": "_id_"}, {"name": "by_user"}]

    def aggregate(self, pipeline):
        stage = next(iter(pipeline[0]))
        if stage == "$collStats":
            sizes = {"_id_": 4096, "by_user": 8192}
            storage = {"count": 42, "size": 4200, "storageSize": 8192, "avgObjSize": 100, "totalIndexSize": 12288}
            return iter([{"storageStats": {**storage, "indexSizes": sizes}}])
        if stage == "$indexStats":
            since = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
            return iter([{"name": "_id_", "accesses": {"ops": 5, "since": since}},
                         {"name": "by_user", "accesses": {"ops": 0, "since": since}}])  # fmt: skip
        raise AssertionError(stage)

    def find(self, *args):
        return FakeCursor(self.rows)


class FakeDatabase:
    name = "prod"

    def __init__(self, level):
        self.level = level
        self.profile = FakeCollection(
            "system.profile",
            [{"op": "query", "ns": "prod.results", "millis": ms, "planSummary": "COLLSCAN",
              "command": {"filter": {"project_id": "secret-value", "label": "x"}}} for ms in (120, 900, 300)],
        )  # fmt: skip

    def __getitem__(self, name):
        return self.profile if name == "system.profile" else FakeCollection(name)

    def command(self, name, *args):
        assert name == "profile"
        return {"was": self.level, "slowms": 100}


def test_server_path_reads_collstats_indexstats_and_the_profiler() -> None:
    stat = collection_stat(FakeDatabase(1), "results", server_stats=True)
    assert (stat.count, stat.size_bytes, stat.storage_bytes, stat.total_index_bytes) == (42, 4200, 8192, 12288)
    assert [(i.name, i.size_bytes, i.accesses) for i in stat.indexes] == [("_id_", 4096, 5), ("by_user", 8192, 0)]

    level, rows = slow_queries(FakeDatabase(1), limit=2)
    assert level == 1 and [row["millis"] for row in rows] == [900, 300]
    assert rows[0]["filter_keys"] == ["label", "project_id"]  # the shape, never the values
    assert "secret-value" not in json.dumps(rows)

    report = database_report(FakeDatabase(1), ["results"], server_stats=True, engine="mongodb", slow=5)
    text = "\n".join(report_lines(report))
    assert "results.by_user: 0 ops, 8.0 KiB  UNUSED" in text
    assert "900 ms query prod.results plan=COLLSCAN" in text


def test_server_with_profiling_off_says_how_to_turn_it_on() -> None:
    report = database_report(FakeDatabase(0), ["results"], server_stats=True, engine="mongodb")
    assert report.slow_queries == []
    assert any("profiling is off" in line for line in report.unavailable)
