"""Retention: what ``cleanup_data`` deletes, in batches, each step safe to interrupt and re-run.

Steps, in order:

1. ``erase_deleted_accounts``: accounts soft-deleted (``status=deleted``) more than
   ``ACCOUNT_DELETION_GRACE_DAYS`` ago are erased with everything that belongs to them: every
   collection with a cascading reference to the user, then the user document last, so an
   interrupted run finds the account again next time and continues.
2. ``expire_results``: results older than the owner's plan retention
   (``accounts.plans.PlanLimits.results_retention_days``), by ``created_at`` (when stored).
3. ``expire_jobs``: scrape and analysis jobs that finished more than ``JOB_RETENTION_DAYS`` ago
   (queued or running jobs are never touched, however old).
4. ``ttl_backstop``: documents past a declared TTL index (a real server's TTL monitor removes
   them within a minute; the emulated engine never does).
5. ``delete_orphans``: documents whose required parent is gone, following every cascading
   foreign key plus the ObjectId references the ORM does not model (``results.project_id``...).

Relations are read from the models (``on_delete=CASCADE``), so a new app's collections are
covered without editing this file. Deletes go by ``_id`` batches through pymongo: one batch is
one ``delete_many``, nothing is half-done when a run stops between batches.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import connections, models

# ObjectIdField references that are required parents but not ForeignKeys (results and analysis
# jobs are read by pipelines that never join; see results/models.py).
EXTRA_PARENTS: dict[str, list[tuple[str, str]]] = {
    "results": [("project_id", "projects"), ("target_id", "targets")],
    "analysis_jobs": [("project_id", "projects")],
}
JOB_COLLECTIONS = ("scrape_jobs", "analysis_jobs")
ACTIVE_JOB_STATUSES = ("queued", "running")
USERS = "users"

Report = Callable[[str], Any]


@dataclass
class CleanupCounts:
    """Deleted (or, on a dry run, matching) documents per step and collection."""

    by_step: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    accounts_erased: list[str] = field(default_factory=list)

    def add(self, step: str, collection: str, count: int) -> None:
        if count:
            self.by_step[step][collection] += count

    @property
    def by_collection(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for counts in self.by_step.values():
            total.update(counts)
        return total

    @property
    def total(self) -> int:
        return sum(self.by_collection.values())

    def as_audit(self) -> dict[str, Any]:
        """For the audit log: pairs, not a mapping, because the audit scrubber redacts mapping keys
        that look like secrets (the collection ``api_keys``)."""
        return {
            "deleted": [[name, count] for name, count in sorted(self.by_collection.items())],
            "total": self.total,
            "accounts_erased": list(self.accounts_erased),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "deleted": dict(sorted(self.by_collection.items())),
            "by_step": {step: dict(sorted(c.items())) for step, c in self.by_step.items() if c},
            "accounts_erased": list(self.accounts_erased),
        }


def cascade_parents() -> dict[str, list[tuple[str, str]]]:
    """collection -> [(column, parent collection)] for every required (cascading) reference."""
    parents: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for model in apps.get_models(include_auto_created=True):
        if not model._meta.managed or model._meta.proxy:
            continue
        for model_field in model._meta.concrete_fields:
            remote = getattr(model_field, "remote_field", None)
            if not (model_field.many_to_one and remote is not None and remote.on_delete is models.CASCADE):
                continue
            pair = (model_field.column, model_field.related_model._meta.db_table)
            if pair not in parents[model._meta.db_table]:
                parents[model._meta.db_table].append(pair)
    for table, pairs in EXTRA_PARENTS.items():
        for pair in pairs:
            if pair not in parents[table]:
                parents[table].append(pair)
    return dict(parents)


class Cleaner:
    def __init__(
        self,
        *,
        alias: str = "default",
        now: dt.datetime | None = None,
        batch_size: int = 500,
        dry_run: bool = False,
        report: Report | None = None,
        on_batch: Callable[[CleanupCounts], Any] | None = None,
    ) -> None:
        self.db = connections[alias].database
        # Stored dates are naive UTC (the backend's convention).
        self.now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(tzinfo=None)
        self.batch_size = batch_size
        self.dry_run = dry_run
        self.report = report or (lambda _line: None)
        self.on_batch = on_batch
        self.counts = CleanupCounts()
        self.existing = set(self.db.list_collection_names())

    # --- the one way anything is deleted ---------------------------------------------------------
    def _delete(self, step: str, collection: str, query: dict[str, Any]) -> int:
        if collection not in self.existing:
            return 0
        coll = self.db[collection]
        if self.dry_run:
            count = coll.count_documents(query)
            self.counts.add(step, collection, count)
            return count
        deleted = 0
        while True:
            ids = [doc["_id"] for doc in coll.find(query, {"_id": 1}).limit(self.batch_size)]
            if not ids:
                break
            # The query is repeated so a document changed since it was read (e.g. a job that a
            # worker just restarted) is not deleted.
            result = coll.delete_many({"$and": [{"_id": {"$in": ids}}, query]})
            deleted += result.deleted_count
            self.counts.add(step, collection, result.deleted_count)
            if self.on_batch:
                self.on_batch(self.counts)
            if result.deleted_count == 0:
                break  # everything read was changed meanwhile; do not spin
        return deleted

    def _line(self, step: str, collection: str, count: int, detail: str = "") -> None:
        verb = "would delete" if self.dry_run else "deleted"
        self.report(f"  {step}: {collection}{detail}: {verb} {count}")

    # --- steps ---------------------------------------------------------------------------------------
    def erase_deleted_accounts(self, grace_days: int) -> None:
        cutoff = self.now - dt.timedelta(days=grace_days)
        users = self.db[USERS]
        doomed = [doc["_id"] for doc in users.find({"status": "deleted", "deleted_at": {"$lt": cutoff}}, {"_id": 1})]
        if not doomed:
            self.report(f"  accounts: none deleted before {cutoff:%Y-%m-%d}")
            return
        user_columns = [
            (collection, column)
            for collection, pairs in cascade_parents().items()
            for column, parent in pairs
            if parent == USERS and collection != USERS
        ]
        for user_id in doomed:
            for collection, column in sorted(user_columns):
                count = self._delete("accounts", collection, {column: user_id})
                if count:
                    self._line("accounts", collection, count, f" of user {user_id}")
            if not self.dry_run:
                users.delete_one({"_id": user_id, "status": "deleted"})
            self.counts.add("accounts", USERS, 1)
            self.counts.accounts_erased.append(str(user_id))
            self.report(f"  accounts: {'would erase' if self.dry_run else 'erased'} user {user_id}")

    def expire_results(self, retention_by_plan: dict[str, int], default_days: int) -> None:
        """``retention_by_plan``: plan -> days; users on other plans get ``default_days``."""
        if "results" not in self.existing:
            return
        users = self.db[USERS]
        for plan, days in sorted(retention_by_plan.items()):
            cutoff = self.now - dt.timedelta(days=days)
            total = 0
            for chunk in _chunks((doc["_id"] for doc in users.find({"plan": plan}, {"_id": 1})), 1000):
                total += self._delete("results", "results", {"user_id": {"$in": chunk}, "created_at": {"$lt": cutoff}})
            self._line("results", "results", total, f" (plan {plan}, stored before {cutoff:%Y-%m-%d})")
        cutoff = self.now - dt.timedelta(days=default_days)
        other = [doc["_id"] for doc in users.find({"plan": {"$nin": sorted(retention_by_plan)}}, {"_id": 1})]
        total = 0
        for chunk in _chunks(iter(other), 1000):
            total += self._delete("results", "results", {"user_id": {"$in": chunk}, "created_at": {"$lt": cutoff}})
        if total:
            self._line("results", "results", total, f" (unknown plan, stored before {cutoff:%Y-%m-%d})")

    def expire_jobs(self, days: int) -> None:
        cutoff = self.now - dt.timedelta(days=days)
        for collection in JOB_COLLECTIONS:
            count = self._delete(
                "jobs", collection, {"created_at": {"$lt": cutoff}, "status": {"$nin": list(ACTIVE_JOB_STATUSES)}}
            )
            self._line("jobs", collection, count, f" (created before {cutoff:%Y-%m-%d})")

    def ttl_backstop(self, ttl_indexes: dict[str, list[tuple[str, int, dict[str, Any]]]]) -> None:
        for collection, specs in sorted(ttl_indexes.items()):
            for path, seconds, partial in specs:
                cutoff = self.now - dt.timedelta(seconds=seconds)
                # A partial TTL index only expires the documents its filter covers.
                count = self._delete("ttl", collection, {"$and": [{path: {"$lt": cutoff}}, partial]})
                if count:
                    self._line("ttl", collection, count, f" ({path} before {cutoff:%Y-%m-%d})")

    def delete_orphans(self) -> None:
        for collection, pairs in sorted(cascade_parents().items()):
            if collection not in self.existing:
                continue
            for column, parent in pairs:
                missing = self._missing_parents(collection, column, parent)
                total = 0
                for chunk in _chunks(iter(missing), 1000):
                    total += self._delete("orphans", collection, {column: {"$in": chunk}})
                if total:
                    self._line("orphans", collection, total, f" ({column} -> missing {parent})")

    def _missing_parents(self, collection: str, column: str, parent: str) -> list[Any]:
        referenced = [value for value in self.db[collection].distinct(column) if value is not None]
        if not referenced:
            return []
        if parent not in self.existing:
            return referenced
        present: set[Any] = set()
        for chunk in _chunks(iter(referenced), 1000):
            present.update(doc["_id"] for doc in self.db[parent].find({"_id": {"$in": chunk}}, {"_id": 1}))
        return [value for value in referenced if value not in present]


def _chunks(values: Iterator[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for value in values:
        chunk.append(value)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def ttl_indexes(alias: str = "default") -> dict[str, list[tuple[str, int, dict[str, Any]]]]:
    """collection -> [(path, seconds, partial filter)] from the declared TTL indexes."""
    from sentimatrix.ops.schema import declared_indexes

    out: dict[str, list[tuple[str, int, dict[str, Any]]]] = {}
    for collection, specs in declared_indexes(alias, source="models").items():
        for spec in specs:
            seconds = spec.create_options.get("expireAfterSeconds")
            if seconds is not None and len(spec.key) == 1:
                partial = dict(spec.create_options.get("partialFilterExpression") or {})
                out.setdefault(collection, []).append((spec.key[0][0], int(seconds), partial))
    return out
