"""The support dashboard on the admin index, and its screenshot in a real browser."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.utils import timezone

from audit.services import record
from scraping.models import ScrapeJob
from sentimatrix.admin_dashboard import build_dashboard
from sentimatrix.ops.support import SUPPORT_GROUP
from tests.factories_accounts import UserFactory
from tests.factories_integrations import make_webhook
from tests.factories_projects import ProjectFactory, TargetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def trouble():
    """A failed job, a failing webhook, a target in error, an old failed job outside the window."""
    owner = UserFactory()
    target = TargetFactory(project=ProjectFactory(user=owner))
    connection.database["targets"].update_one(
        {"_id": target.pk}, {"$set": {"status": "error", "error_message": "HTTP 403 from the platform"}}
    )
    ScrapeJob.objects.create(project=target.project, user=owner, status="completed", active=False)
    failed = ScrapeJob.objects.create(
        project=target.project, user=owner, status="failed", active=False, error_message="Provider quota exhausted"
    )
    old = ScrapeJob.objects.create(project=target.project, user=owner, status="failed", active=False)
    ScrapeJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=2))
    webhook, _ = make_webhook(user=owner, label="Ops relay")
    connection.database["webhooks"].update_one({"_id": webhook.pk}, {"$set": {"consecutive_failures": 3}})
    record(event_type="project.create", actor=owner, metadata={"project_id": str(target.project.pk)})
    return {"owner": owner, "target": target, "failed": failed, "webhook": webhook}


def support_client() -> tuple[Client, object]:
    staff = UserFactory(is_staff=True, email="support@example.com")
    staff.groups.add(Group.objects.get(name=SUPPORT_GROUP))
    client = Client()
    client.force_login(staff)
    return client, staff


def test_dashboard_numbers(trouble) -> None:
    superuser = UserFactory(is_staff=True, is_superuser=True)
    board = build_dashboard(superuser)
    cards = {card["label"]: card for card in board.counts}
    assert cards["Accounts"]["value"] == 2 and cards["Projects"]["value"] == 1
    assert cards["Targets"]["value"] == 1 and cards["Targets"]["detail"] == "1 in error or blocked"
    scrape = next(j for j in board.jobs_24h if j["label"] == "Scrape jobs")
    assert scrape["total"] == 2 and dict(scrape["statuses"]) == {"completed": 1, "failed": 1} and scrape["failed"] == 1
    assert [j["error"] for j in board.failed_jobs] == ["Provider quota exhausted"]
    assert [(w["label"], w["failures"]) for w in board.failing_webhooks] == [("Ops relay", 3)]
    assert board.error_targets[0]["error"] == "HTTP 403 from the platform"
    assert board.recent_audit[0]["event"] in {"project.create", "webhook.create", "webhook.created"}
    assert any(a["who"] == trouble["owner"].email for a in board.recent_audit)


def test_support_staff_see_the_dashboard_without_superuser_rights(trouble) -> None:
    client, staff = support_client()
    assert not staff.is_superuser
    response = client.get("/admin/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Failed jobs (last 24 h)" in html and "Provider quota exhausted" in html
    assert "Ops relay" in html and "HTTP 403 from the platform" in html
    # two scrape jobs in the last 24 hours, one of them failed
    assert re.search(r'class="n">2 <span class="sm-bad" style="font-size:14px">1 failed</span>', html)
    assert f"/admin/scraping/scrapejob/{trouble['failed'].pk}/change/" in html


def test_staff_without_permissions_see_no_data(trouble) -> None:
    staff = UserFactory(is_staff=True)
    client = Client()
    client.force_login(staff)
    html = client.get("/admin/").content.decode()
    assert "Provider quota exhausted" not in html and "Ops relay" not in html
    assert build_dashboard(staff).counts == []


def test_anonymous_is_sent_to_login() -> None:
    response = Client().get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (headless) for the screenshot")
def test_screenshot_of_the_dashboard_with_demo_data(run_command, live_server, tmp_path) -> None:
    """Render the dashboard with the demo tenant and photograph it in headless Chromium."""
    assert run_command("seed_demo_data", "--scale", os.environ.get("SCREENSHOT_DEMO_SCALE", "0.3"))[0] == 0
    client, _ = support_client()
    html = client.get("/admin/").content.decode()
    # The page's stylesheets come from the live server; the HTML is the logged-in response.
    html = html.replace('href="/static/', f'href="{live_server.url}/static/')
    page = tmp_path / "dashboard.html"
    page.write_text(html)
    # The README's pictures come from scripts/screenshots.py; this only proves the page renders.
    out = tmp_path / "admin-dashboard.png"
    subprocess.run(  # noqa: S603
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1400,1100",
         f"--screenshot={out}", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    assert out.stat().st_size > 10_000
