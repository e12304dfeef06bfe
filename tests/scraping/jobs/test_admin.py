"""Admin for scrape jobs: list with filters and search, readable detail, cancel and retry actions."""

from __future__ import annotations

import pytest
from django.test import Client

from scraping.models import ScrapeJob
from scraping.runner import scrape_job_run
from scraping.services import scrape_job_start
from tests.factories_accounts import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    admin = UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    return client


def test_changelist_filters_search_and_detail(staff, project, make_target, steam_server, results_store, events):
    make_target(730)
    bad = make_target(404)
    steam_server.failing[404] = 404
    job = scrape_job_start(actor=project.user, project=project, trigger="manual", enqueue=False)
    scrape_job_run(job_id=str(job.pk), limiter=None)

    response = staff.get("/admin/scraping/scrapejob/")
    assert response.status_code == 200
    assert str(job.pk).encode() in response.content
    for query in ("status=completed", "trigger=manual", "active__exact=0", f"q={project.user.email}"):
        response = staff.get(f"/admin/scraping/scrapejob/?{query}")
        assert response.status_code == 200 and str(job.pk).encode() in response.content, query
    assert str(job.pk).encode() not in staff.get("/admin/scraping/scrapejob/?status=running").content

    detail = staff.get(f"/admin/scraping/scrapejob/{job.pk}/change/")
    assert detail.status_code == 200
    content = detail.content.decode()
    assert bad.url in content
    assert "answered HTTP 404" in content
    assert "target.completed" in content and "results_total" in content
    assert staff.get("/admin/scraping/scrapejob/add/").status_code == 403


def test_cancel_and_retry_actions_go_through_the_services(staff, project, make_target, owner):
    make_target(730)
    job = scrape_job_start(actor=owner, project=project, trigger="manual", enqueue=False)

    staff.post("/admin/scraping/scrapejob/", {"action": "cancel_jobs", "_selected_action": [str(job.pk)]})

    job.refresh_from_db()
    assert job.status == "cancelled"
    from audit.models import AuditLog

    entry = AuditLog.objects.filter(event_type="scrape_job.cancelled").first()
    assert entry is not None and entry.metadata["actor_email"] == "admin@example.com"

    sent = []
    import scraping.services

    original = scraping.services.scrape_job_enqueue
    scraping.services.scrape_job_enqueue = lambda *, job_id: sent.append(str(job_id)) or True
    try:
        response = staff.post(
            "/admin/scraping/scrapejob/", {"action": "retry_jobs", "_selected_action": [str(job.pk)]}, follow=True
        )
    finally:
        scraping.services.scrape_job_enqueue = original
    assert b"Retried 1 job(s)." in response.content
    retry = ScrapeJob.objects.get(trigger="retry")
    assert retry.retry_of == job.pk
    assert sent == [str(retry.pk)]

    # Cancelling a finished job is refused with a message, not an error page.
    response = staff.post(
        "/admin/scraping/scrapejob/", {"action": "cancel_jobs", "_selected_action": [str(job.pk)]}, follow=True
    )
    assert b"already cancelled" in response.content
