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


def _action_names(client, url: str) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200, url
    form = response.context["action_form"]  # None when the user may run no action here
    return {name for name, _ in form.fields["action"].choices if name} if form is not None else set()


def test_jobs_are_never_saved_from_the_admin_and_support_still_cancels(staff, project, make_target, owner):
    from django.contrib.auth.models import Group, Permission

    from sentimatrix.ops.support import SUPPORT_GROUP

    make_target(730)
    job = scrape_job_start(actor=owner, project=project, trigger="manual", enqueue=False)
    before = ScrapeJob.objects.get(pk=job.pk).updated_at

    # the detail page is read-only: no Save button, and a POST saves nothing
    detail = staff.get(f"/admin/scraping/scrapejob/{job.pk}/change/")
    assert detail.status_code == 200 and b'name="_save"' not in detail.content
    assert staff.post(f"/admin/scraping/scrapejob/{job.pk}/change/", {"_save": "Save"}).status_code == 403
    assert ScrapeJob.objects.get(pk=job.pk).updated_at == before

    member = UserFactory(is_staff=True)
    member.groups.add(Group.objects.get(name=SUPPORT_GROUP))
    support = Client()
    support.force_login(member)
    assert _action_names(support, "/admin/scraping/scrapejob/") == {"cancel_jobs", "retry_jobs"}
    assert support.get(f"/admin/scraping/scrapejob/{job.pk}/change/").status_code == 200
    support.post("/admin/scraping/scrapejob/", {"action": "cancel_jobs", "_selected_action": [str(job.pk)]})
    assert ScrapeJob.objects.get(pk=job.pk).status == "cancelled"

    # staff without the change permission read jobs but run no action
    reader = UserFactory(is_staff=True)
    reader.user_permissions.add(Permission.objects.get(codename="view_scrapejob"))
    viewer = Client()
    viewer.force_login(reader)
    assert _action_names(viewer, "/admin/scraping/scrapejob/") == set()
