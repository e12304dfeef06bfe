"""seed_demo_data: a realistic demo tenant through the services, idempotent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from accounts.models import User
from audit.models import AuditLog
from projects.models import Project, Target
from results.models import AnalysisJob
from scraping.models import ScrapeJob
from sentimatrix.ops.demo import DEMO_EMAIL, DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def test_demo_tenant_is_realistic_and_idempotent(run_command) -> None:
    code, out, err = run_command("seed_demo_data", "--scale", "0.1")
    assert code == 0, err
    user = User.objects.get(email=DEMO_EMAIL)
    assert user.check_password(DEMO_PASSWORD) and user.plan == "advanced"

    platforms = set(Target.objects.filter(user=user).values_list("platform", flat=True))
    assert platforms == {"steam", "amazon", "youtube", "reddit", "google", "trustpilot", "yelp"}
    assert Project.objects.filter(user=user).count() == 6

    results = connection.database["results"]
    total = results.count_documents({"user_id": user.pk})
    assert total >= 6 * 10  # at least ten reviews a target at the smallest scale
    assert results.count_documents({"user_id": user.pk, "analysis_status": "done"}) == total
    labels = set(results.distinct("analysis.sentiment.label", {"user_id": user.pk}))
    assert {"positive", "negative"} <= labels
    dates = [doc["content"]["date"] for doc in results.find({"user_id": user.pk}, {"content.date": 1})]
    span = (max(dates) - min(dates)).days
    assert 80 <= span <= 97, span  # spread over the last 90 days
    created = [doc["created_at"] for doc in results.find({"user_id": user.pk}, {"created_at": 1})]
    assert len({c.date() for c in created}) >= 12  # stored by weekly runs, not all at once

    jobs = ScrapeJob.objects.filter(user=user)
    # weekly runs; finished jobs older than 30 days are gone (scrape_jobs TTL, as in production)
    completed = jobs.filter(status="completed")
    assert completed.count() >= 6 * 4
    assert all(job.completed_at > timezone.now() - dt.timedelta(days=31) for job in completed)
    assert jobs.filter(status="failed").count() == 1
    assert AnalysisJob.objects.filter(user=user).count() == 6
    webhook = connection.database["webhooks"].find_one({"user_id": user.pk})
    assert webhook["consecutive_failures"] == 4 and webhook["url"] == "https://hooks.example.com/sentimatrix"
    assert connection.database["webhook_deliveries"].count_documents({"user_id": user.pk}) == 0  # nothing sent
    assert AuditLog.objects.get(event_type="ops.demo_seeded").metadata["actor"] == "system"

    code, out, _ = run_command("seed_demo_data")
    assert code == 0 and "already exists; nothing to do" in out
    assert results.count_documents({"user_id": user.pk}) == total

    code, out, _ = run_command("seed_demo_data", "--reset", "--scale", "0.1", "--dry-run")
    assert code == 0 and "would rebuild the demo tenant" in out
    assert User.objects.get(email=DEMO_EMAIL).pk == user.pk

    code, out, err = run_command("seed_demo_data", "--reset", "--scale", "0.1")
    assert code == 0, err
    rebuilt = User.objects.get(email=DEMO_EMAIL)
    assert rebuilt.pk != user.pk and results.count_documents({"user_id": user.pk}) == 0
    assert results.count_documents({"user_id": rebuilt.pk}) == total  # same seed, same data
    assert Project.objects.filter(user=rebuilt).count() == 6


def test_failures(run_command) -> None:
    code, _, err = run_command("seed_demo_data", "--scale", "0")
    assert code == 2 and "--scale must be between 0 and 10" in err
    with override_settings(DEBUG=False):
        from sentimatrix.db import capabilities

        original = capabilities.is_emulated
        capabilities.is_emulated = lambda alias="default": False
        try:
            code, _, err = run_command("seed_demo_data")
        finally:
            capabilities.is_emulated = original
    assert code == 1 and "refusing to load demo data into a production database" in err
    assert not User.objects.filter(email=DEMO_EMAIL).exists()
