"""Task names, indexes, provider choice and credentials, rate limits in the runner, time slices."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import redis
from django.db import connections

from scraping.context import choose_provider, credentials_for, fetch_context_for, rate_limit_key
from scraping.models import ScrapeJob
from scraping.ratelimit import RateLimiter
from scraping.runner import scrape_job_run
from scraping.services import scrape_job_start

pytestmark = pytest.mark.django_db


def test_task_names_are_pinned():
    from scraping import tasks

    assert tasks.run_scrape_job.name == "scraping.run_scrape_job"
    assert tasks.run_due_schedules.name == "scraping.run_due_schedules"
    assert tasks.requeue_stuck_jobs.name == "scraping.requeue_stuck_jobs"
    from django.conf import settings

    assert settings.CELERY_TASK_ROUTES["scraping.*"] == {"queue": "scrape"}
    # The default HOUSEKEEPING_SCHEDULER=cron runs both from deploy/crontab, so beat must not also run
    # them (tests/ops/test_deploy.py checks they are beat entries when beat is chosen).
    assert settings.HOUSEKEEPING_SCHEDULER == "cron"
    beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert not {"scraping.run_due_schedules", "scraping.requeue_stuck_jobs"} & beat


def test_indexes_of_seeds_000_2_5_exist():
    info = connections["default"].get_collection(ScrapeJob._meta.db_table).index_information()
    assert info["scrape_jobs_project_created"]["key"] == [("project_id", 1), ("created_at", -1)]
    assert info["scrape_jobs_user_created"]["key"] == [("user_id", 1), ("created_at", -1)]
    assert info["scrape_jobs_active_status"]["partialFilterExpression"] == {"active": True}
    assert info["scrape_jobs_one_active"]["unique"] is True
    assert info["scrape_jobs_one_active"]["partialFilterExpression"] == {"active": True}
    assert info["scrape_jobs_completed_ttl"]["expireAfterSeconds"] == 30 * 86400


def test_the_hot_queries_are_served_by_an_index_prefix():
    from scraping.models import ScrapeJob

    indexes = {index.name: [field.lstrip("-") for field in index.fields] for index in ScrapeJob._meta.indexes}
    # jobs of a project / of a user, newest first: equality then sort
    assert indexes["scrape_jobs_project_created"][:2] == ["project", "created_at"]
    assert indexes["scrape_jobs_user_created"][:2] == ["user", "created_at"]


@pytest.mark.parametrize(
    ("platform", "configured", "credentials", "expected"),
    [
        ("steam", None, {}, None),
        ("trustpilot", None, {}, "apify"),
        ("yelp", "scraperapi", {"scraperapi": "k"}, "apify"),
        ("google", None, {"google": "k"}, None),
        ("google", None, {"google": "k", "apify": "t"}, None),
        ("google", "apify", {"google": "k", "apify": "t"}, "apify"),
        ("google", None, {"apify": "t"}, "apify"),
        ("amazon", None, {}, None),
        ("amazon", None, {"scraperapi": "k"}, "scraperapi"),
        ("amazon", "apify", {"scraperapi": "k", "apify": "t"}, "apify"),
        ("amazon", "apify", {"scraperapi": "k"}, "scraperapi"),
    ],
)
def test_provider_choice(platform, configured, credentials, expected):
    assert choose_provider(platform=platform, configured=configured, credentials=credentials) == expected


def test_credentials_prefer_the_users_stored_key(settings, owner, monkeypatch):
    settings.SCRAPING_CREDENTIALS = {"youtube": "deployment-key", "apify": "deployment-token"}
    stored = {"youtube": "users-own-key", "reddit": "client-id:client-secret"}
    monkeypatch.setattr("scraping.context._user_secret", lambda user, provider: stored.get(provider))

    assert credentials_for(platform="youtube", user=owner) == {"youtube": "users-own-key"}
    assert credentials_for(platform="yelp", user=owner) == {"apify": "deployment-token"}
    assert credentials_for(platform="reddit", user=owner) == {
        "reddit_client_id": "client-id",
        "reddit_client_secret": "client-secret",
    }
    assert credentials_for(platform="steam", user=owner) == {}


def test_the_fetch_context_never_shows_credentials(settings, owner, project):
    settings.SCRAPING_CREDENTIALS = {"youtube": "AIza-secret-value"}
    context = fetch_context_for(platform="youtube", project=project, user=owner, sleep=None)
    assert context.credentials == {"youtube": "AIza-secret-value"}
    assert "AIza-secret-value" not in repr(context)
    assert rate_limit_key("youtube", context) == "youtube"
    assert rate_limit_key("reddit", context) == "reddit_public"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def limiter():
    client = redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"needs Redis at db 15 ({exc})")
    clock = FakeClock()
    prefix = "t:scrapejob"
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    yield RateLimiter(client, prefix=prefix, clock=clock, sleep=clock.sleep), clock
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


@pytest.mark.redis
def test_the_runner_waits_for_platform_and_target_limits(project, make_target, steam_server, results_store, limiter):
    rate_limiter, clock = limiter
    project.config.limits.request_delay_seconds = 2.0
    project.save()
    make_target(730)
    job = scrape_job_start(actor=project.user, project=project, trigger="manual", enqueue=False)

    assert scrape_job_run(job_id=str(job.pk), limiter=rate_limiter, sleep=clock.sleep) == "completed"

    # Three requests to one target 2 s apart (the per-target delay is stricter than Steam's 1/s).
    assert sum(clock.sleeps) == pytest.approx(4.0)
    assert rate_limiter.daily_count(str(project.pk), now=datetime.now(UTC)) == 3


@pytest.mark.redis
def test_the_daily_budget_stops_a_target(settings, project, make_target, steam_server, results_store, limiter):
    rate_limiter, clock = limiter
    settings.SCRAPING_MAX_REQUESTS_PER_DAY = 2
    project.config.limits.request_delay_seconds = 0
    project.save()
    make_target(730)
    job = scrape_job_start(actor=project.user, project=project, trigger="manual", enqueue=False)

    scrape_job_run(job_id=str(job.pk), limiter=rate_limiter, sleep=clock.sleep)

    job.refresh_from_db()
    assert job.targets[0].status == "failed"
    assert job.targets[0].error_code == "daily_budget"
    assert job.targets[0].results_count == 5  # the two pages fetched before the budget ran out are kept
    assert len(steam_server.requests) == 2


def test_a_long_job_continues_in_a_new_task(project, make_target, steam_server, results_store, monkeypatch):
    sent = []
    monkeypatch.setattr("scraping.runner.scrape_job_enqueue", lambda *, job_id: sent.append(str(job_id)) or True)
    make_target(730)
    make_target(570)
    job = scrape_job_start(actor=project.user, project=project, trigger="manual", enqueue=False)
    ticks = iter(range(1000))

    from scraping.runner import JobRunner, lease_claim

    claim = lease_claim(job_id=job.pk, worker="w1")
    runner = JobRunner(claim, worker="w1", limiter=None, sleep=None, slice_seconds=2, monotonic=lambda: next(ticks))
    outcome = runner.run()

    assert outcome == "sliced"
    assert sent == [str(job.pk)]
    job.refresh_from_db()
    assert job.status == "queued" and job.worker is None and job.active is True
    assert "job.continued" in [entry.event for entry in job.log]
    # The next task picks it up where it stopped and finishes.
    assert scrape_job_run(job_id=str(job.pk), limiter=None, slice_seconds=0) == "completed"
    job.refresh_from_db()
    assert job.stats.results_total == 10
    assert len(steam_server.requests) == 6


def test_emit_event_never_breaks_the_caller(monkeypatch):
    from scraping.services import emit_event

    def broken(**kwargs):
        raise RuntimeError("integrations bug")

    monkeypatch.setattr("integrations.services.events_emit", broken)
    assert emit_event("job.progress", user=None, data={"progress": 10}) == 0
    monkeypatch.setattr("integrations.services.events_emit", lambda **kwargs: 2)
    assert emit_event("job.progress", user=None, data={"progress": 20}) == 2
