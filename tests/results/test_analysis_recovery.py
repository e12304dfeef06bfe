"""Analysis runs survive a broker outage and a dead worker: 503 with the run saved as queued, then the
``requeue_stuck_jobs`` sweep re-sends it (or fails it after too many recoveries)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from kombu.exceptions import OperationalError

from audit.models import AuditLog
from results import services
from results.models import AnalysisJob
from results.selectors import jobs_collection, results_collection
from results.tasks import run_analysis_job
from tests.factories_results import review

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(target):
    texts = ["Love it, great.", "Awful, broken.", "It is a box."]
    services.results_ingest(
        job=None, target=target, reviews=[review(t, platform_id=f"r{i}") for i, t in enumerate(texts)]
    )
    return target


@pytest.fixture
def broker_down(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to localhost:6379. Connection refused.")

    monkeypatch.setattr(run_analysis_job, "delay", refuse)
    return monkeypatch


def later(hours: int = 2):
    return services._now() + timedelta(hours=hours)


def test_broker_down_is_503_with_the_run_saved_as_queued_then_the_sweep_sends_it(
    client_for, user, project, stored, broker_down
) -> None:
    client = client_for(user)
    res = client.post(f"/api/v1/projects/{project.pk}/analyze", {}, format="json")
    assert res.status_code == 503
    error = res.json()["error"]
    assert error["code"] == "analysis_queue_unavailable" and "do not start it again" in error["message"]
    job = AnalysisJob.objects.get(pk=error["details"]["job_id"])
    assert (job.status, job.queued, error["details"]["status"]) == ("queued", 3, "queued")
    assert results_collection().count_documents({"analysis_status": "queued", "analysis_job_id": job.pk}) == 3
    # starting it again is refused: the saved run is still the active one
    assert client.post(f"/api/v1/projects/{project.pk}/analyze", {}, format="json").status_code == 409

    # within the lease nothing is re-sent; after it, with the broker still down, it stays queued
    assert services.analysis_jobs_requeue_stuck() == services.AnalysisRequeueSummary()
    assert services.analysis_jobs_requeue_stuck(now=later()).redispatched == [str(job.pk)]
    assert AnalysisJob.objects.get(pk=job.pk).status == "queued"

    broker_down.undo()  # the broker is back: the next sweep sends it and the (eager) task runs it
    summary = services.analysis_jobs_requeue_stuck(now=later(4))
    assert summary.redispatched == [str(job.pk)] and summary.requeued == summary.failed == []
    job.refresh_from_db()
    assert (job.status, job.analyzed, job.attempts) == ("completed", 3, 1)
    assert results_collection().count_documents({"analysis_status": "done"}) == 3


def test_fresh_queued_and_running_runs_are_left_alone(user, project, stored, broker_down) -> None:
    with pytest.raises(services.AnalysisQueueUnavailableError):
        services.analysis_start(actor=user, project=project)
    running = AnalysisJob.objects.create(
        user=user, project_id=project.pk, analyzer="local-fast", status="running", updated_at=services._now()
    )
    sent = []
    broker_down.setattr(services, "analysis_job_enqueue", lambda *, job_id: sent.append(job_id) or True)
    # a running run is never taken over before a task could have ended (CELERY_TASK_TIME_LIMIT)
    assert services.analysis_jobs_requeue_stuck(lease_seconds=1).requeued == []
    assert services.analysis_jobs_requeue_stuck() == services.AnalysisRequeueSummary()
    assert sent == []
    assert AnalysisJob.objects.get(pk=running.pk).status == "running"


def test_a_run_whose_worker_died_is_requeued_and_continues_with_what_is_still_queued(
    user, project, stored, broker_down
) -> None:
    with pytest.raises(services.AnalysisQueueUnavailableError):
        services.analysis_start(actor=user, project=project)
    job = AnalysisJob.objects.get(project_id=project.pk)
    # a worker claimed it, finished one result and died
    first = results_collection().find_one({"analysis_job_id": job.pk}, sort=[("_id", 1)])
    results_collection().update_one({"_id": first["_id"]}, {"$set": {"analysis_status": "done"}})
    jobs_collection().update_one(
        {"_id": job.pk}, {"$set": {"status": "running", "analyzed": 1}, "$inc": {"attempts": 1}}
    )

    dry = services.analysis_jobs_requeue_stuck(now=later(), dry_run=True)
    assert dry.requeued == [str(job.pk)] and AnalysisJob.objects.get(pk=job.pk).status == "running"
    broker_down.undo()
    summary = services.analysis_jobs_requeue_stuck(now=later())
    assert summary.requeued == [str(job.pk)] and summary.redispatched == []
    job.refresh_from_db()
    assert (job.status, job.analyzed, job.attempts) == ("completed", 3, 2)
    assert AuditLog.objects.filter(event_type="analysis.requeued", user=user).count() == 1
    assert services.analysis_jobs_requeue_stuck(now=later(6)) == services.AnalysisRequeueSummary()


def test_a_run_recovered_too_often_is_failed_and_its_results_pending_again(user, project, stored, broker_down) -> None:
    with pytest.raises(services.AnalysisQueueUnavailableError):
        services.analysis_start(actor=user, project=project)
    job = AnalysisJob.objects.get(project_id=project.pk)
    jobs_collection().update_one({"_id": job.pk}, {"$set": {"status": "running", "recoveries": 3}})

    summary = services.analysis_jobs_requeue_stuck(now=later(), max_recoveries=3)

    assert summary.failed == [str(job.pk)] and summary.requeued == []
    job.refresh_from_db()
    assert (job.status, job.error_code) == ("failed", "worker_lost")
    assert "Start the analysis again" in job.error_message
    assert results_collection().count_documents({"analysis_status": "pending"}) == 3
    assert AuditLog.objects.filter(event_type="analysis.failed", user=user).count() == 1
    # a second sweep finds nothing left to do
    assert services.analysis_jobs_requeue_stuck(now=later(), max_recoveries=3) == services.AnalysisRequeueSummary()


def test_the_requeue_command_counts_analysis_jobs_too(user, project, stored, broker_down) -> None:
    with pytest.raises(services.AnalysisQueueUnavailableError):
        services.analysis_start(actor=user, project=project)
    job = AnalysisJob.objects.get(project_id=project.pk)
    jobs_collection().update_one({"_id": job.pk}, {"$set": {"updated_at": later(-2)}})
    broker_down.undo()

    out = StringIO()
    call_command("requeue_stuck_jobs", "--dry-run", stdout=out)
    assert "0 requeued, 0 failed, 0 re-sent (scrape jobs); 0 requeued, 0 failed, 1 re-sent (analysis jobs)" in (
        out.getvalue()
    )
    assert AnalysisJob.objects.get(pk=job.pk).status == "queued"

    out = StringIO()
    call_command("requeue_stuck_jobs", stdout=out)
    assert "1 re-sent (analysis jobs)" in out.getvalue()
    assert AnalysisJob.objects.get(pk=job.pk).status == "completed"
