"""The real chain, no fakes inside the process: API -> Celery task (eager) -> runner -> Steam fixture
server -> results_ingest (unique target+platform_id) -> analysis_start, with webhooks subscribed."""

from __future__ import annotations

import pytest

from results.models import AnalysisJob, Result
from scraping.models import ScrapeJob

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(api_client, owner):
    api_client.force_authenticate(owner)
    return api_client


def test_three_targets_through_the_real_results_layer(client, project, make_target, steam_server):
    targets = [make_target(app_id) for app_id in (730, 570, 440)]

    first = client.post(f"/api/v1/projects/{project.pk}/scrape", {}, format="json")

    assert first.status_code == 201, first.json()
    body = first.json()
    assert body["status"] == "completed"
    assert body["stats"]["results_total"] == 15
    assert Result.objects.filter(project_id=project.pk).count() == 15
    for target in targets:
        assert Result.objects.filter(target_id=target.pk).count() == 5
        target.refresh_from_db()
        assert target.status == "active" and target.stats.last_scraped_at is not None
        assert target.stats.results_count == 5
    assert Result.objects.filter(scrape_job_id=body["id"]).count() == 15
    analysis = AnalysisJob.objects.get(scrape_job_id=body["id"])
    assert analysis.trigger == "after_scrape"

    second = client.post(f"/api/v1/projects/{project.pk}/scrape", {}, format="json").json()

    assert second["status"] == "completed"
    assert second["stats"]["results_total"] == 0
    assert second["stats"]["reviews_fetched"] == 15
    assert Result.objects.filter(project_id=project.pk).count() == 15
    # Nothing new: no analysis run for the second job.
    assert not AnalysisJob.objects.filter(scrape_job_id=second["id"]).exists()
    assert ScrapeJob.objects.filter(project=project, status="completed").count() == 2


def test_events_reach_subscribed_webhooks(client, owner, project, make_target, steam_server, monkeypatch):
    from integrations.models import WebhookDelivery
    from integrations.services import webhooks

    # No DNS lookups and no sending: registration's SSRF check and the delivery task are stubbed.
    monkeypatch.setattr(webhooks, "_vet_url", lambda *, actor, url: url)
    queued = []
    monkeypatch.setattr(webhooks, "_enqueue", queued.append)
    webhooks.webhook_create(
        actor=owner, url="https://hooks.example.com/sm", events=["job.started", "job.completed", "target.error"]
    )
    make_target(730)
    make_target(404)
    steam_server.failing[404] = 404

    body = client.post(f"/api/v1/projects/{project.pk}/scrape", {}, format="json").json()

    assert body["status"] == "completed"
    kinds = sorted(WebhookDelivery.objects.values_list("event", flat=True))
    assert kinds == ["job.completed", "job.started", "target.error"]
    assert len(queued) == 3
