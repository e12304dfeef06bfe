"""cleanup_data: keeps everything inside retention, removes everything outside it, exact counts."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from bson import ObjectId
from django.db import connection
from django.utils import timezone

from accounts.models import User
from audit.models import AuditLog
from projects.models import Project, Target
from results.models import AnalysisJob
from scraping.models import ScrapeJob
from sentimatrix.ops import retention
from tests.factories_accounts import UserFactory
from tests.factories_integrations import make_api_key
from tests.factories_projects import ProjectFactory, TargetFactory
from tests.factories_results import make_result

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def db():
    return connection.database


def results_of(user) -> int:
    return db()["results"].count_documents({"user_id": user.pk})


def scrape_job(project, *, status: str, days: float) -> ScrapeJob:
    job = ScrapeJob.objects.create(
        project=project, user=project.user, status=status, active=status in ("queued", "running")
    )
    ScrapeJob.objects.filter(pk=job.pk).update(created_at=ago(days))
    return job


def analysis_job(project, *, status: str, days: float) -> AnalysisJob:
    return AnalysisJob.objects.create(
        user=project.user, project_id=project.pk, analyzer="local-fast", status=status, created_at=ago(days)
    )


@pytest.fixture
def world():
    """Two live tenants on different plans, an account past its deletion grace, one within it."""
    standard = UserFactory(plan="standard")  # 90 days
    starter = UserFactory(plan="starter")  # 30 days
    gone = UserFactory(plan="advanced")
    recent = UserFactory(plan="advanced")
    User.objects.filter(pk=gone.pk).update(status="deleted", deleted_at=ago(40))
    User.objects.filter(pk=recent.pk).update(status="deleted", deleted_at=ago(5))

    t_std = TargetFactory(project=ProjectFactory(user=standard))
    for days in (1, 10, 10, 89):
        make_result(target=t_std, created_at=ago(days))
    for days in (91, 120, 400):
        make_result(target=t_std, created_at=ago(days))

    t_start = TargetFactory(project=ProjectFactory(user=starter))
    for days in (0.5, 29):
        make_result(target=t_start, created_at=ago(days))
    for days in (31, 31, 60):
        make_result(target=t_start, created_at=ago(days))

    t_gone = TargetFactory(project=ProjectFactory(user=gone))
    for days in (1, 2, 3, 4):
        make_result(target=t_gone, created_at=ago(days))
    make_api_key(user=gone)
    scrape_job(t_gone.project, status="completed", days=1)

    t_recent = TargetFactory(project=ProjectFactory(user=recent))
    make_result(target=t_recent, created_at=ago(1))

    # jobs of the standard tenant: finished and old / finished and recent / active and old
    scrape_job(t_std.project, status="completed", days=31)
    scrape_job(t_std.project, status="failed", days=45)
    scrape_job(t_std.project, status="completed", days=29)
    scrape_job(t_std.project, status="running", days=60)
    analysis_job(t_std.project, status="completed", days=45)
    analysis_job(t_std.project, status="queued", days=45)
    analysis_job(t_std.project, status="completed", days=2)

    # orphans: results of a target that no longer exists, a target whose project is gone
    ghost_target = TargetFactory(project=t_std.project)
    make_result(target=ghost_target, created_at=ago(1))
    make_result(target=ghost_target, created_at=ago(2))
    db()["targets"].delete_one({"_id": ghost_target.pk})
    ghost_project = ProjectFactory(user=standard)
    lost = TargetFactory(project=ghost_project)
    db()["projects"].delete_one({"_id": ghost_project.pk})

    return {"standard": standard, "starter": starter, "gone": gone, "recent": recent, "lost": lost,
            "t_std": t_std, "t_start": t_start}  # fmt: skip


EXPECTED = {
    "results": 3 + 3 + 4 + 2,  # standard past 90d, starter past 30d, erased account, orphans
    "scrape_jobs": 2 + 1,  # standard's old finished ones, the erased account's
    "analysis_jobs": 1,
    "api_keys": 1,
    "projects": 1,
    "targets": 1 + 1,  # erased account's, the one whose project is gone
    "users": 1,
}


def test_dry_run_counts_exactly_and_changes_nothing(run_command, world) -> None:
    before = {name: db()[name].count_documents({}) for name in EXPECTED}
    code, out, err = run_command("cleanup_data", "--dry-run", "--json")
    assert code == 0, err
    body = json.loads(out)
    assert body["dry_run"] is True
    # a dry run counts each step on the data as it is now, so the orphan step does not yet see
    # the children of the account that step 1 would erase (they are counted there instead)
    assert body["deleted"] == EXPECTED
    assert body["accounts_erased"] == [str(world["gone"].pk)]
    assert {name: db()[name].count_documents({}) for name in EXPECTED} == before
    assert not AuditLog.objects.filter(event_type="ops.cleanup").exists()
    assert "[dry run] cleanup_data: would delete 21 documents" in err


def test_cleanup_keeps_what_is_inside_retention_and_removes_the_rest(run_command, world) -> None:
    code, out, err = run_command("cleanup_data", "--batch-size", "2")
    assert code == 0, err
    for collection, count in EXPECTED.items():
        assert f"{collection}: {count}" in out
    assert "cleanup_data: deleted 21 documents" in out and "1 accounts erased" in out

    standard, starter = world["standard"], world["starter"]
    assert sorted(round((NOW - d["created_at"].replace(tzinfo=dt.UTC)).days) for d in
                  db()["results"].find({"user_id": standard.pk})) == [1, 10, 10, 89]  # fmt: skip
    assert results_of(starter) == 2
    assert not User.objects.filter(pk=world["gone"].pk).exists()
    assert results_of(world["gone"]) == 0 and db()["api_keys"].count_documents({"user_id": world["gone"].pk}) == 0
    assert Project.objects.filter(user=world["gone"]).count() == 0
    assert User.objects.filter(pk=world["recent"].pk).exists() and results_of(world["recent"]) == 1
    assert sorted(j.status for j in ScrapeJob.objects.filter(user=standard)) == ["completed", "running"]
    assert sorted(j.status for j in AnalysisJob.objects.filter(user=standard)) == ["completed", "queued"]
    assert not Target.objects.filter(pk=world["lost"].pk).exists()

    entry = AuditLog.objects.get(event_type="ops.cleanup")
    assert entry.metadata["actor"] == "system" and dict(entry.metadata["deleted"]) == EXPECTED
    assert entry.metadata["accounts_erased"] == [str(world["gone"].pk)]

    # a second run finds nothing more and records nothing
    code, out, _ = run_command("cleanup_data")
    assert code == 0 and "deleted 0 documents (nothing)" in out
    assert AuditLog.objects.filter(event_type="ops.cleanup").count() == 1


def test_an_interrupted_run_records_what_it_did_and_a_rerun_finishes(run_command, world, monkeypatch) -> None:
    original = retention.Cleaner._delete
    calls = {"n": 0}

    def flaky(self, step, collection, query):
        calls["n"] += 1
        if calls["n"] == 6:
            raise KeyboardInterrupt
        return original(self, step, collection, query)

    monkeypatch.setattr(retention.Cleaner, "_delete", flaky)
    code, _, err = run_command("cleanup_data", "--batch-size", "1")
    assert code == 1 and "interrupted; re-run to continue" in err
    partial = AuditLog.objects.get(event_type="ops.cleanup")
    assert partial.success is False and partial.metadata["error"] == "interrupted"
    done_before = partial.metadata["total"]
    assert done_before == sum(count for _, count in partial.metadata["deleted"])
    assert 0 < done_before < 21

    monkeypatch.setattr(retention.Cleaner, "_delete", original)
    code, out, err = run_command("cleanup_data", "--json")
    assert code == 0, err
    assert sum(json.loads(out)["deleted"].values()) == 21 - done_before
    assert results_of(world["standard"]) == 4 and results_of(world["starter"]) == 2


def test_ttl_backstop_when_the_ttl_index_is_missing(run_command, repair_indexes) -> None:
    # mongomock-ng expires TTL documents itself (on access), like a server's TTL monitor; the
    # backstop matters when the index is missing (drift) or the engine has no monitor.
    db()["audit_logs"].drop_index("audit_created_ttl")
    AuditLog.objects.create(event_type="old.thing", created_at=ago(400))
    AuditLog.objects.create(event_type="new.thing", created_at=ago(1))
    code, out, _ = run_command("cleanup_data", "--only", "ttl")
    assert code == 0 and "audit_logs: 1" in out
    assert list(AuditLog.objects.exclude(event_type="ops.cleanup").values_list("event_type", flat=True)) == [
        "new.thing"
    ]


def test_only_one_step(run_command, world) -> None:
    code, out, _ = run_command("cleanup_data", "--only", "jobs")
    assert code == 0
    assert "scrape_jobs: 2" in out and "analysis_jobs: 1" in out and "results:" not in out
    assert results_of(world["standard"]) == 7 + 2


def test_bad_options_fail(run_command) -> None:
    code, _, err = run_command("cleanup_data", "--batch-size", "0")
    assert code == 2 and "--batch-size must be at least 1" in err


def test_relations_come_from_the_models() -> None:
    parents = retention.cascade_parents()
    assert ("target_id", "targets") in parents["results"] and ("user_id", "users") in parents["results"]
    assert ("project_id", "projects") in parents["targets"]
    assert ("webhook_id", "webhooks") in parents["webhook_deliveries"]
    assert ("user_id", "users") in parents["refresh_tokens"]
    # SET_NULL and DO_NOTHING references are not parents
    assert ("triggered_by_id", "users") not in parents["scrape_jobs"]
    assert "audit_logs" not in parents


def test_orphan_parent_ids_in_chunks() -> None:
    assert list(retention._chunks(iter(range(5)), 2)) == [[0, 1], [2, 3], [4]]
    assert ObjectId  # imported for the world fixture's ids
