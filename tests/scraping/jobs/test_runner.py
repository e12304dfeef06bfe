"""The job runner against a local Steam fixture server: counts, re-runs, cancel, failures, resume."""

from __future__ import annotations

import pytest

from scraping.models import ScrapeJob
from scraping.runner import lease_claim, scrape_job_run
from scraping.services import scrape_job_cancel, scrape_job_start

pytestmark = pytest.mark.django_db

PAGES_PER_APP = 3  # two pages of reviews and the empty page that ends the walk


def start(project, **kwargs) -> ScrapeJob:
    return scrape_job_start(actor=project.user, project=project, trigger="manual", enqueue=False, **kwargs)


def run(job: ScrapeJob, **kwargs) -> str | None:
    kwargs.setdefault("limiter", None)
    kwargs.setdefault("sleep", lambda seconds: None)
    return scrape_job_run(job_id=str(job.pk), **kwargs)


def test_three_targets_complete_with_the_right_counts(project, make_target, steam_server, results_store, events):
    targets = [make_target(app_id) for app_id in (730, 570, 440)]
    job = start(project)

    assert run(job) == "completed"

    job.refresh_from_db()
    assert job.status == "completed"
    assert job.active is False
    assert job.progress == 100
    assert job.worker is None
    assert job.started_at is not None and job.completed_at is not None
    assert job.error_message is None
    assert [t.status for t in job.targets] == ["completed"] * 3
    assert [t.results_count for t in job.targets] == [5, 5, 5]
    assert [t.fetched_count for t in job.targets] == [5, 5, 5]
    assert [t.pages for t in job.targets] == [3, 3, 3]
    assert job.stats.targets_total == 3
    assert job.stats.targets_completed == 3
    assert job.stats.targets_failed == 0
    assert job.stats.results_total == 15
    assert job.stats.requests_made == 9
    assert len(steam_server.requests) == 9
    assert results_store.count() == 15
    for target in targets:
        assert results_store.count(target) == 5
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "job.started"
    assert "job.completed" in kinds and "job.failed" not in kinds
    completed = dict(events)["job.completed"]
    assert completed["stats"]["results_total"] == 15
    logged = [entry.event for entry in job.log]
    assert logged[0] == "job.started" and logged[-1] == "job.completed"
    assert logged.count("target.completed") == 3


def test_running_again_adds_zero_results(project, make_target, steam_server, results_store, events):
    for app_id in (730, 570, 440):
        make_target(app_id)
    run(start(project))
    assert results_store.count() == 15

    second = start(project)
    assert run(second) == "completed"

    second.refresh_from_db()
    assert second.stats.results_total == 0
    assert second.stats.reviews_fetched == 15
    assert [t.results_count for t in second.targets] == [0, 0, 0]
    assert results_store.count() == 15
    assert [kind for kind, _ in events].count("job.completed") == 2


def test_cancel_mid_way_stops_within_one_page(project, make_target, steam_server, results_store, events):
    for app_id in (730, 570, 440):
        make_target(app_id)
    job = start(project)

    def cancel_on_second_page(app_id: int, cursor: str) -> None:
        if app_id == 570 and cursor != "*":
            scrape_job_cancel(actor=project.user, job=ScrapeJob.objects.get(pk=job.pk))

    steam_server.on_request = cancel_on_second_page
    assert run(job) == "cancelled"

    job.refresh_from_db()
    assert job.status == "cancelled"
    assert job.active is False
    assert [t.status for t in job.targets] == ["completed", "cancelled", "cancelled"]
    # The page that was in flight when the cancel came is stored; nothing after it is fetched.
    assert steam_server.requests_for(570) == 2
    assert steam_server.requests_for(440) == 0
    assert results_store.count() == 5 + 5
    assert job.targets[1].results_count == 5
    assert "job.completed" not in [kind for kind, _ in events]


def test_a_failing_target_leaves_the_others_intact(project, make_target, steam_server, results_store, events):
    good_a, bad, good_b = make_target(730), make_target(404), make_target(440)
    steam_server.failing[404] = 404
    job = start(project)

    assert run(job) == "completed"

    job.refresh_from_db()
    assert [t.status for t in job.targets] == ["completed", "failed", "completed"]
    failed = job.targets[1]
    assert failed.error_code == "not_found"
    assert "404" in failed.error
    assert failed.results_count == 0
    assert job.stats.targets_completed == 2
    assert job.stats.targets_failed == 1
    assert job.stats.errors_count == 1
    assert job.error_message == "1 of 3 targets failed; see each target's error."
    assert results_store.count(good_a) == 5 and results_store.count(good_b) == 5 and results_store.count(bad) == 0
    target_errors = [data for kind, data in events if kind == "target.error"]
    assert len(target_errors) == 1 and target_errors[0]["target_id"] == str(bad.pk)


def test_malformed_response_fails_the_target_not_the_job(project, make_target, steam_server, results_store, events):
    make_target(730)
    make_target(999)
    steam_server.malformed.add(999)
    job = start(project)

    assert run(job) == "completed"

    job.refresh_from_db()
    assert [t.status for t in job.targets] == ["completed", "failed"]
    assert job.targets[1].error_code == "schema_drift"
    assert results_store.count() == 5


def test_every_target_failing_fails_the_job(project, make_target, steam_server, results_store, events):
    make_target(403)
    steam_server.failing[403] = 403
    job = start(project)

    assert run(job) == "failed"

    job.refresh_from_db()
    assert job.status == "failed"
    assert job.targets[0].error_code == "blocked"
    assert job.error_message.startswith("No target could be fetched.")
    assert [kind for kind, _ in events][-1] == "job.failed"


def test_rate_limited_then_success(project, make_target, steam_server, results_store, events):
    make_target(730)
    steam_server.throttled_once.add(730)
    job = start(project)

    assert run(job) == "completed"

    job.refresh_from_db()
    assert job.targets[0].results_count == 5
    assert steam_server.requests_for(730) == PAGES_PER_APP + 1


def test_max_results_caps_each_target(project, make_target, steam_server, results_store, events):
    make_target(730)
    job = start(project, options={"max_results": 2})

    run(job)

    job.refresh_from_db()
    assert job.targets[0].fetched_count == 2
    assert job.targets[0].status == "completed"
    assert results_store.count() == 2
    assert steam_server.requests_for(730) == 1


def test_a_finished_job_is_not_claimed_again(project, make_target, steam_server, results_store, events):
    make_target(730)
    job = start(project)
    run(job)
    requests = len(steam_server.requests)

    assert run(job) is None
    assert lease_claim(job_id=job.pk, worker="other") is None
    assert len(steam_server.requests) == requests


def test_bad_target_data_and_unresolved_links_fail_only_their_target(
    project, make_target, steam_server, results_store, events
):
    from tests.factories_projects import TargetFactory

    make_target(730)
    broken = TargetFactory(
        project=project, platform="steam", platform_data={}, url="https://store.steampowered.com/app/x/"
    )
    short = TargetFactory(
        project=project, platform="reddit", platform_data={}, url="https://redd.it/s/abc", needs_resolution=True
    )
    job = start(project)

    assert run(job) == "completed"

    job.refresh_from_db()
    assert [t.status for t in job.targets] == ["completed", "failed", "failed"]
    assert job.targets[1].error_code == "internal"
    assert job.targets[2].error_code == "needs_resolution"
    broken.refresh_from_db()
    short.refresh_from_db()
    assert broken.status == "error" and "Unexpected error" in broken.error_message
    assert short.status == "error"
    assert results_store.count() == 5
