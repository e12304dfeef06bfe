"""run_due_schedules: due projects start exactly one scheduled job each, even with overlapping runs."""

from __future__ import annotations

import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from projects.models import Project, ProjectConfig, ScheduleConfig
from scraping.models import ScrapeJob
from scraping.services import schedules_run_due

pytestmark = pytest.mark.django_db


def due_project(user, *, minutes_ago: int = 5, **schedule):
    from tests.factories_projects import ProjectFactory, TargetFactory

    fields = {"enabled": True, "frequency": "daily", "time": "09:00", "timezone": "UTC"}
    fields.update(schedule)
    fields.setdefault("next_run_at", timezone.now() - timedelta(minutes=minutes_ago))
    project = ProjectFactory(user=user, config=ProjectConfig(schedule=ScheduleConfig(**fields)))
    TargetFactory(project=project)
    return project


@pytest.fixture
def big_user():
    from tests.factories_accounts import UserFactory

    return UserFactory(plan="enterprise")


def test_a_due_project_gets_one_scheduled_job_and_its_next_run(big_user, events):
    project = due_project(big_user)
    not_due = due_project(big_user, minutes_ago=-60)
    disabled = due_project(big_user, enabled=False)

    summary = schedules_run_due(enqueue=False)

    assert summary.due == 1 and len(summary.started) == 1
    job = ScrapeJob.objects.get(pk=summary.started[0])
    assert job.project_id == project.pk
    assert job.trigger == "scheduled"
    assert job.triggered_by is None
    assert job.status == "queued"
    project.refresh_from_db()
    schedule = project.config.schedule
    assert schedule.next_run_at > timezone.now()
    assert (schedule.next_run_at.hour, schedule.next_run_at.minute) == (9, 0)
    assert schedule.last_run_at is not None
    assert schedule.history[0].job_id == job.pk
    assert ScrapeJob.objects.filter(project__in=[not_due, disabled]).count() == 0
    assert [kind for kind, _ in events] == ["schedule.triggered"]
    # Claimed runs are not due any more: a second pass starts nothing.
    assert schedules_run_due(enqueue=False).started == []


def test_a_run_that_cannot_start_is_skipped_and_the_schedule_moves_on(big_user, events):
    project = due_project(big_user)
    ScrapeJob.objects.create(project=project, user=big_user, status="running", active=True)

    summary = schedules_run_due(enqueue=False)

    assert summary.started == []
    assert summary.skipped[0][0] == str(project.pk)
    assert "already queued or running" in summary.skipped[0][1]
    project.refresh_from_db()
    assert project.config.schedule.next_run_at > timezone.now()
    assert project.config.schedule.history[0].status == "skipped"


@pytest.mark.slow
def test_two_overlapping_runs_over_200_due_projects_start_exactly_200_jobs(big_user, events):
    projects = [due_project(big_user) for _ in range(200)]
    barrier = threading.Barrier(2)
    summaries = []
    errors = []

    def cron() -> None:
        from django.db import connections

        try:
            barrier.wait()
            summaries.append(schedules_run_due(enqueue=False, batch=25))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=cron) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    started = [job for summary in summaries for job in summary.started]
    assert len(started) == 200
    assert len(set(started)) == 200
    assert ScrapeJob.objects.filter(trigger="scheduled").count() == 200
    per_project = {project.pk: 0 for project in projects}
    for job in ScrapeJob.objects.filter(trigger="scheduled").only("project"):
        per_project[job.project_id] += 1
    assert set(per_project.values()) == {1}
    assert sum(len(summary.skipped) for summary in summaries) == 0
    assert len([kind for kind, _ in events if kind == "schedule.triggered"]) == 200


def test_command_dry_run_lists_due_and_changes_nothing(big_user, events):
    project = due_project(big_user)
    before = Project.objects.get(pk=project.pk).config.schedule.next_run_at
    out = StringIO()

    call_command("run_due_schedules", "--dry-run", stdout=out)

    assert f"due: project {project.pk}" in out.getvalue()
    assert "[dry run] run_due_schedules: 1 due" in out.getvalue()
    assert ScrapeJob.objects.count() == 0
    assert Project.objects.get(pk=project.pk).config.schedule.next_run_at == before


def test_command_starts_and_prints_a_summary(big_user, events, monkeypatch):
    sent = []
    monkeypatch.setattr("scraping.services.scrape_job_enqueue", lambda *, job_id: sent.append(str(job_id)) or True)
    due_project(big_user)
    due_project(big_user)
    out = StringIO()

    call_command("run_due_schedules", stdout=out)

    assert "run_due_schedules: 2 due, 2 started, 0 skipped" in out.getvalue()
    assert sorted(sent) == sorted(str(job.pk) for job in ScrapeJob.objects.all())
