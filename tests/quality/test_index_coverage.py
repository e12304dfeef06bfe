"""Every hot query is served by a declared index, in equality-sort-range order (issue 9, gate 4).

Each query is the one the code really sends: Django selectors are compiled by django-mongodb-backend
(``queryset_mql``), the results list filter comes from ``ResultFilter.to_mongo`` and ``ORDERINGS``, and
raw pymongo paths (due schedules, stuck jobs) are recorded while the real function runs on the
emulated engine. ``index_coverage.covered`` then checks the model's declared ``Meta.indexes``.

Known gaps found by this gate are ``xfail(strict=True)`` with the reason: the gate stays red-on-fix
(an XPASS fails), so the marker has to be removed once the index or the query is corrected.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import mongomock_ng.collection as mongomock_collection
import pytest
from bson import ObjectId

from tests.quality.index_coverage import covered, declared_indexes, queryset_mql

pytestmark = pytest.mark.django_db


@contextmanager
def recorded_finds():
    """Record (collection, filter, sort) of every ``find`` the code under test issues."""
    calls: list[dict[str, Any]] = []
    real_find = mongomock_collection.Collection.find
    real_sort = mongomock_collection.Cursor.sort

    def find(self, filter=None, *args, **kwargs):  # noqa: A002 - pymongo's parameter name
        cursor = real_find(self, filter, *args, **kwargs)
        entry = {"collection": self.name, "filter": filter or {}, "sort": list(kwargs.get("sort") or [])}
        calls.append(entry)
        cursor._recorded_entry = entry
        return cursor

    def sort(self, key_or_list, direction=None):
        entry = getattr(self, "_recorded_entry", None)
        if entry is not None:
            entry["sort"] = [(key_or_list, direction or 1)] if isinstance(key_or_list, str) else list(key_or_list)
        return real_sort(self, key_or_list, direction) if direction is not None else real_sort(self, key_or_list)

    mongomock_collection.Collection.find = find
    mongomock_collection.Cursor.sort = sort
    try:
        yield calls
    finally:
        mongomock_collection.Collection.find = real_find
        mongomock_collection.Cursor.sort = real_sort


def assert_covered(model: Any, query: dict, sort: list, must_bound: list[str]) -> None:
    ok, why = covered(declared_indexes(model), query, sort, must_bound)
    assert ok, f"{model._meta.db_table}: {query} sorted {sort}: {why}"


# ----------------------------------------------------------------------------------------- results


def _result_query(**params: Any) -> tuple[dict, list]:
    from results.selectors import ORDERINGS, ResultFilter

    class _User:
        pk = ObjectId()
        settings = None

    class _Project:
        pk = ObjectId()

    ordering = params.pop("ordering", "-created_at")
    flt = ResultFilter.from_params(params, user=_User(), project=_Project())
    return flt.to_mongo(), ORDERINGS[ordering]


def test_results_by_project_newest_first() -> None:
    from results.models import Result

    query, sort = _result_query()
    assert_covered(Result, query, [sort[0]], ["project_id"])


def test_results_list_sort_with_tie_breaker_is_served() -> None:
    from results.models import Result

    query, sort = _result_query()
    assert_covered(Result, query, sort, ["project_id"])


def test_results_by_project_and_sentiment() -> None:
    from results.models import Result

    query, sort = _result_query(sentiment="negative")
    assert_covered(Result, query, [sort[0]], ["project_id", "analysis.sentiment.label"])


def test_results_by_project_and_date_range() -> None:
    from results.models import Result

    query, sort = _result_query(date_from="2026-01-01", date_to="2026-06-30", ordering="-date")
    assert_covered(Result, query, [sort[0]], ["project_id", "content.date"])
    query, sort = _result_query(date_from="2026-01-01", date_to="2026-06-30")
    assert_covered(Result, query, [sort[0]], ["project_id"])


def test_results_by_target() -> None:
    from results.models import Result

    query, sort = _result_query(target=str(ObjectId()))
    assert_covered(Result, query, [sort[0]], ["target_id"])


def test_results_of_a_scrape_job() -> None:
    from results.models import Result
    from results.selectors import ResultFilter

    flt = ResultFilter(user_id=ObjectId(), project_id=ObjectId(), scrape_job_id=ObjectId())
    assert_covered(Result, flt.to_mongo(), [], ["scrape_job_id"])


def test_analysis_queue_batches() -> None:
    from results.models import Result

    # results/services.py: results_collection().find(queue).sort("_id", 1).limit(batch_size)
    query = {"analysis_job_id": ObjectId(), "analysis_status": Result.AnalysisStatus.QUEUED}
    assert_covered(Result, query, [("_id", 1)], ["analysis_job_id", "analysis_status"])


# ------------------------------------------------------------------------------------ jobs, projects


def test_scrape_jobs_by_project() -> None:
    from scraping.models import ScrapeJob
    from scraping.selectors import job_list

    query, sort = queryset_mql(job_list(user=ObjectId(), project=ObjectId()))
    assert sort == [("created_at", -1)]
    assert_covered(ScrapeJob, query, sort, ["project_id"])


def test_analysis_jobs_by_project() -> None:
    from results.models import AnalysisJob
    from results.selectors import analysis_job_list

    class _Project:
        pk = ObjectId()

    query, sort = queryset_mql(analysis_job_list(user=ObjectId(), project=_Project()))
    assert_covered(AnalysisJob, query, sort, ["project_id"])


def test_active_jobs_for_the_stuck_job_sweep() -> None:
    from scraping.models import ScrapeJob
    from scraping.services import scrape_jobs_requeue_stuck

    with recorded_finds() as calls:
        scrape_jobs_requeue_stuck(now=datetime.now(UTC), dry_run=True)
    finds = [c for c in calls if c["collection"] == ScrapeJob._meta.db_table]
    assert len(finds) >= 2, calls
    for call in finds:
        assert_covered(ScrapeJob, call["filter"], call["sort"], ["status"])


def test_due_schedules() -> None:
    from projects.models import Project
    from projects.services import schedules_claim_due

    with recorded_finds() as calls:
        schedules_claim_due(now=datetime.now(UTC) + timedelta(minutes=1))
    finds = [c for c in calls if c["collection"] == Project._meta.db_table]
    assert finds and finds[0]["sort"] == [("config.schedule.next_run_at", 1)], calls
    assert_covered(Project, finds[0]["filter"], finds[0]["sort"], ["config.schedule.next_run_at"])


def test_targets_by_project_and_status() -> None:
    from projects.models import Target
    from projects.selectors import target_list

    query, sort = queryset_mql(target_list(user=ObjectId(), project=ObjectId(), status="active"))
    assert_covered(Target, query, [], ["project_id", "status"])


def test_projects_by_user_and_status() -> None:
    from projects.models import Project
    from projects.selectors import project_list

    query, sort = queryset_mql(project_list(user=ObjectId(), status="active").order_by("-created_at"))
    assert_covered(Project, query, sort, ["user_id", "status"])


def test_audit_by_user() -> None:
    from audit.models import AuditLog
    from audit.selectors import audit_event_list

    query, sort = queryset_mql(audit_event_list(user=ObjectId()))
    assert_covered(AuditLog, query, sort, ["user_id"])


def test_deliveries_by_webhook() -> None:
    from integrations.models import Webhook, WebhookDelivery
    from integrations.selectors import delivery_list

    webhook = Webhook(pk=ObjectId())
    query, sort = queryset_mql(delivery_list(user=ObjectId(), webhook=webhook))
    assert_covered(WebhookDelivery, query, sort, ["webhook_id"])


# ------------------------------------------------------------------------- the analyser catches gaps


def test_analyser_rejects_a_query_no_index_serves() -> None:
    """The gate is not vacuous: a filter on an unindexed field, or a sort the index cannot give, fails."""
    from results.models import Result

    ok, why = covered(declared_indexes(Result), {"language": "en"}, [("created_at", -1)], ["language"])
    assert not ok and "no index" in why
    ok, _ = covered(declared_indexes(Result), {"project_id": ObjectId()}, [("content.rating", -1)], ["project_id"])
    assert not ok  # blocking sort
    ok, _ = covered(declared_indexes(Result), {"project_id": ObjectId()}, [("created_at", -1)], ["project_id"])
    assert ok
