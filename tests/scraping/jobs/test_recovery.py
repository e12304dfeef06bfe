"""Leases and recovery: a job whose worker stopped heartbeating is found, requeued and finished
without duplicated or lost results (the lease logic is tested directly: the emulated engine cannot
share its data with a worker subprocess)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from scraping.models import ScrapeJob
from scraping.runner import JobRunner, LeaseLost, lease_claim, scrape_job_run
from scraping.services import jobs_collection, scrape_job_start, scrape_jobs_requeue_stuck

pytestmark = pytest.mark.django_db


class WorkerDied(BaseException):  # noqa: N818 - like SIGKILL: nothing in the runner may catch it
    pass


def start(project) -> ScrapeJob:
    return scrape_job_start(actor=project.user, project=project, trigger="manual", enqueue=False)


def age_heartbeat(job: ScrapeJob, seconds: int = 3600) -> None:
    jobs_collection().update_one(
        {"_id": job.pk}, {"$set": {"heartbeat_at": timezone.now() - timedelta(seconds=seconds)}}
    )


def test_a_fresh_lease_cannot_be_taken_and_an_expired_one_can(project, make_target):
    make_target(730)
    job = start(project)

    first = lease_claim(job_id=job.pk, worker="worker-a")
    assert first["status"] == "running" and first["worker"] == "worker-a" and first["attempts"] == 1
    assert lease_claim(job_id=job.pk, worker="worker-b") is None

    age_heartbeat(job)
    second = lease_claim(job_id=job.pk, worker="worker-b")
    assert second["worker"] == "worker-b" and second["attempts"] == 2


def test_the_old_worker_is_fenced_off_after_a_takeover(project, make_target):
    make_target(730)
    job = start(project)
    claim = lease_claim(job_id=job.pk, worker="worker-a")
    old = JobRunner(claim, worker="worker-a", limiter=None, sleep=None)
    age_heartbeat(job)
    lease_claim(job_id=job.pk, worker="worker-b")

    with pytest.raises(LeaseLost):
        old.write({"$inc": {"stats.results_total": 1}})
    job.refresh_from_db()
    assert job.stats.results_total == 0
    assert job.worker == "worker-b"


def test_requeue_stuck_jobs_requeues_stale_and_leaves_fresh_ones(project, make_target, owner, events):
    from tests.factories_projects import ProjectFactory

    make_target(730)
    stale = start(project)
    lease_claim(job_id=stale.pk, worker="dead-worker")
    age_heartbeat(stale)
    other = ProjectFactory(user=owner)
    from tests.factories_projects import TargetFactory

    TargetFactory(project=other)
    fresh = start(other)
    lease_claim(job_id=fresh.pk, worker="live-worker")

    summary = scrape_jobs_requeue_stuck(enqueue=False)
    assert summary.requeued == [str(stale.pk)]
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.status, stale.worker, stale.recoveries, stale.active) == ("queued", None, 1, True)
    assert (fresh.status, fresh.worker) == ("running", "live-worker")
    assert "job.requeued" in [entry.event for entry in stale.log]
    # A second sweep finds nothing more to do.
    again = scrape_jobs_requeue_stuck(enqueue=False)
    assert again.requeued == [] and again.failed == []


def test_a_job_recovered_too_often_is_failed(project, make_target, events, settings):
    settings.SCRAPE_JOB_MAX_RECOVERIES = 2
    make_target(730)
    job = start(project)
    jobs_collection().update_one({"_id": job.pk}, {"$set": {"recoveries": 2}})
    lease_claim(job_id=job.pk, worker="dead-worker")
    age_heartbeat(job)

    summary = scrape_jobs_requeue_stuck(enqueue=False)

    assert summary.failed == [str(job.pk)]
    job.refresh_from_db()
    assert job.status == "failed" and job.active is False and job.completed_at is not None
    assert "stopped responding 3 times" in job.error_message
    assert [kind for kind, _ in events] == ["job.failed"]


def test_a_stuck_job_finishes_on_the_next_run_without_duplicates_or_losses(
    project, make_target, steam_server, results_store, events
):
    targets = [make_target(app_id) for app_id in (730, 570, 440)]
    job = start(project)
    calls = {"n": 0}
    real_ingest = results_store.__call__

    def dies_after_storing_the_second_page_of_the_second_target(*, job, target, reviews):
        new = real_ingest(job=job, target=target, reviews=reviews)
        calls["n"] += 1
        if calls["n"] == 5:  # 730: pages 1-3, then 570 page 1, 570 page 2 stored, then SIGKILL
            raise WorkerDied()
        return new

    import scraping.runner

    scraping.runner.ingest_reviews = dies_after_storing_the_second_page_of_the_second_target
    try:
        with pytest.raises(WorkerDied):
            scrape_job_run(job_id=str(job.pk), worker="worker-a", limiter=None, sleep=lambda s: None)
    finally:
        scraping.runner.ingest_reviews = results_store
    job.refresh_from_db()
    assert job.status == "running" and job.worker == "worker-a"
    assert [t.status for t in job.targets] == ["completed", "running", "pending"]
    assert job.targets[1].cursor is not None  # page 1's cursor: page 2 was stored but not recorded

    # A redelivered message cannot start a second worker while the lease is fresh.
    assert scrape_job_run(job_id=str(job.pk), worker="worker-b", limiter=None) is None

    summary = scrape_jobs_requeue_stuck(now=timezone.now() + timedelta(hours=1), enqueue=False)
    assert summary.requeued == [str(job.pk)]
    assert scrape_job_run(job_id=str(job.pk), worker="worker-b", limiter=None, sleep=lambda s: None) == "completed"

    job.refresh_from_db()
    assert job.status == "completed" and job.attempts == 2 and job.recoveries == 1
    assert [t.status for t in job.targets] == ["completed", "completed", "completed"]
    assert results_store.count() == 15
    for target in targets:
        assert results_store.count(target) == 5
    # The finished target was not fetched again; the interrupted one resumed at its saved cursor.
    assert steam_server.requests_for(730) == 3
    assert [cursor for app, cursor in steam_server.requests if app == 570][2:] == [
        "AoIIPwYYan/HzbUB+x==",
        "AoIIPw3rZ2+kfTUC",
    ]
    assert steam_server.requests_for(440) == 3
    assert [kind for kind, _ in events].count("job.started") == 1


def test_requeue_command_summary_and_dry_run(project, make_target, events, monkeypatch):
    sent = []
    monkeypatch.setattr("scraping.services.scrape_job_enqueue", lambda *, job_id: sent.append(str(job_id)) or True)
    make_target(730)
    job = start(project)
    lease_claim(job_id=job.pk, worker="dead-worker")
    age_heartbeat(job, seconds=7200)

    out = StringIO()
    call_command("requeue_stuck_jobs", "--dry-run", stdout=out)
    assert "[dry run] requeue_stuck_jobs: 1 requeued, 0 failed, 0 re-sent" in out.getvalue()
    assert ScrapeJob.objects.get(pk=job.pk).status == "running"

    out = StringIO()
    call_command("requeue_stuck_jobs", stdout=out)
    assert "requeue_stuck_jobs: 1 requeued, 0 failed, 0 re-sent" in out.getvalue()
    assert sent == [str(job.pk)]
    assert ScrapeJob.objects.get(pk=job.pk).status == "queued"


def test_a_queued_job_whose_message_was_lost_is_sent_again(project, make_target, monkeypatch):
    sent = []
    monkeypatch.setattr("scraping.services.scrape_job_enqueue", lambda *, job_id: sent.append(str(job_id)) or True)
    make_target(730)
    job = start(project)
    jobs_collection().update_one({"_id": job.pk}, {"$set": {"updated_at": timezone.now() - timedelta(hours=2)}})

    summary = scrape_jobs_requeue_stuck()

    assert summary.redispatched == [str(job.pk)]
    assert sent == [str(job.pk)]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--max-recoveries", "-1"], "--max-recoveries must be 0 or more"),
        (["--lease-seconds", "0"], "--lease-seconds must be at least 1"),
    ],
)
def test_requeue_command_refuses_bad_numbers_with_exit_code_2(project, make_target, argv, message):
    from django.core.management.base import CommandError

    make_target(730)
    job = start(project)
    lease_claim(job_id=job.pk, worker="dead-worker")
    age_heartbeat(job, seconds=7200)

    with pytest.raises(CommandError, match=message) as error:
        call_command("requeue_stuck_jobs", *argv)
    assert error.value.returncode == 2
    assert ScrapeJob.objects.get(pk=job.pk).status == "running"  # nothing was failed or requeued
