"""The scrape-jobs API: start (eager Celery runs the job), 409/400/403/404, lists, detail, progress, log,
cancel and retry."""

from __future__ import annotations

import pytest

from scraping.models import ScrapeJob
from scraping.services import scrape_job_start

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(api_client, owner):
    api_client.force_authenticate(owner)
    return api_client


@pytest.fixture
def no_enqueue(monkeypatch):
    sent: list[str] = []
    monkeypatch.setattr("scraping.services.scrape_job_enqueue", lambda *, job_id: sent.append(str(job_id)) or True)
    return sent


def test_post_scrape_runs_the_job_through_celery(client, project, make_target, steam_server, results_store, events):
    make_target(730)
    make_target(570)

    response = client.post(f"/api/v1/projects/{project.pk}/scrape", {"options": {"max_results": 50}}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["trigger"] == "manual"
    assert body["status"] == "completed"  # eager Celery in tests: the task ran inside the request
    assert body["stats"]["results_total"] == 10
    assert body["options"]["max_results"] == 50
    assert [t["status"] for t in body["targets"]] == ["completed", "completed"]
    assert "worker" not in body and "cursor" not in body["targets"][0]
    assert results_store.count() == 10
    job = ScrapeJob.objects.get(pk=body["id"])
    assert job.triggered_by_id == project.user.pk
    project.user.refresh_from_db()
    assert project.user.usage.scrapes_this_month == 1


def test_post_jobs_is_the_same_as_scrape(client, project, make_target, no_enqueue):
    make_target(730)
    response = client.post(f"/api/v1/projects/{project.pk}/jobs", {}, format="json")
    assert response.status_code == 201
    assert response.json()["status"] == "queued"
    assert no_enqueue == [response.json()["id"]]


def test_a_second_job_while_one_is_active_is_409(client, project, make_target, no_enqueue):
    make_target(730)
    first = client.post(f"/api/v1/projects/{project.pk}/scrape", {}, format="json").json()

    response = client.post(f"/api/v1/projects/{project.pk}/scrape", {}, format="json")

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "job_active"
    assert error["details"]["job_id"] == first["id"]
    assert ScrapeJob.objects.count() == 1
    project.user.refresh_from_db()
    assert project.user.usage.scrapes_this_month == 1  # the refused start took no quota


def test_the_database_refuses_a_second_active_job_even_past_the_check(project, make_target, no_enqueue, monkeypatch):
    make_target(730)
    scrape_job_start(actor=project.user, project=project, trigger="manual")
    # Simulate the race: the service's read sees no active job, the unique partial index still refuses.
    monkeypatch.setattr("django.db.models.query.QuerySet.exists", lambda self: False)
    from sentimatrix.api.errors import ConflictError

    with pytest.raises(ConflictError):
        scrape_job_start(actor=project.user, project=project, trigger="manual")
    assert ScrapeJob.objects.filter(project=project).count() == 1
    project.user.refresh_from_db()
    assert project.user.usage.scrapes_this_month == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"options": {"max_results": 0}}, "options"),
        ({"options": {"max_pages": 3}}, "options"),
        ({"options": {"date_from": "2025-02-01T00:00:00Z", "date_to": "2025-01-01T00:00:00Z"}}, "date_from"),
        ({"options": {"date_from": "yesterday"}}, "options"),
        ({"options": {"include_replies": "maybe"}}, "options"),
        ({"target_ids": ["nope"]}, "target_ids"),
        ({"target_ids": []}, "target_ids"),
        ({"target_ids": ["0123456789abcdef01234567"]}, "target_ids"),
        ({"targets": []}, "non_field_errors"),
    ],
)
def test_bad_input_is_400_saying_what_to_fix(client, project, make_target, no_enqueue, body, field):
    make_target(730)
    response = client.post(f"/api/v1/projects/{project.pk}/scrape", body, format="json")
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"]
    assert error["message"]
    assert ScrapeJob.objects.count() == 0


def test_a_project_without_targets_is_400(client, project, no_enqueue):
    response = client.post(f"/api/v1/projects/{project.pk}/scrape", {}, format="json")
    assert response.status_code == 400
    assert "no active targets" in response.json()["error"]["message"]


def test_a_paused_project_is_409(client, project, make_target, no_enqueue):
    make_target(730)
    project.status = "paused"
    project.save()
    response = client.post(f"/api/v1/projects/{project.pk}/scrape", {}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "project_inactive"


def test_monthly_quota_is_403(client, project, make_target, no_enqueue):
    from accounts.models import User

    make_target(730)
    User.objects.filter(pk=project.user.pk).update(plan="starter")
    from django.db import connections

    connections["default"].get_collection("users").update_one(
        {"_id": project.user.pk}, {"$set": {"usage.scrapes_this_month": 50}}
    )
    response = client.post(f"/api/v1/projects/{project.pk}/scrape", {}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "quota_exceeded"
    assert ScrapeJob.objects.count() == 0


def test_another_tenants_project_and_job_are_404(client, make_target, no_enqueue):
    from tests.factories_projects import ProjectFactory, TargetFactory

    foreign = ProjectFactory()
    TargetFactory(project=foreign)
    job = scrape_job_start(actor=foreign.user, project=foreign, trigger="manual")

    assert client.post(f"/api/v1/projects/{foreign.pk}/scrape", {}, format="json").status_code == 404
    assert client.get(f"/api/v1/projects/{foreign.pk}/jobs").status_code == 404
    for suffix in ("", "/progress", "/log"):
        assert client.get(f"/api/v1/jobs/{job.pk}{suffix}").status_code == 404
    for action in ("cancel", "retry"):
        assert client.post(f"/api/v1/jobs/{job.pk}/{action}").status_code == 404
    assert client.get("/api/v1/jobs").json()["count"] == 0
    job.refresh_from_db()
    assert job.status == "queued"


def test_unauthenticated_is_401(api_client, project):
    assert api_client.get("/api/v1/jobs").status_code == 401
    assert api_client.post(f"/api/v1/projects/{project.pk}/scrape", {}, format="json").status_code == 401


def test_lists_detail_progress_and_log(client, owner, project, make_target, steam_server, results_store, events):
    from tests.factories_projects import ProjectFactory, TargetFactory

    make_target(730)
    other = ProjectFactory(user=owner)
    TargetFactory(project=other, platform_data={"app_id": 440}, url="https://store.steampowered.com/app/440/")
    first = client.post(f"/api/v1/projects/{project.pk}/scrape", {}, format="json").json()
    second = client.post(f"/api/v1/projects/{other.pk}/scrape", {}, format="json").json()

    mine = client.get("/api/v1/jobs").json()
    assert mine["count"] == 2
    assert [job["id"] for job in mine["results"]] == [second["id"], first["id"]]  # newest first
    assert "targets" not in mine["results"][0]
    assert client.get(f"/api/v1/jobs?project={project.pk}").json()["count"] == 1
    assert client.get("/api/v1/jobs?status=completed").json()["count"] == 2
    assert client.get("/api/v1/jobs?status=queued").json()["count"] == 0
    assert client.get("/api/v1/jobs?status=bogus").status_code == 400
    per_project = client.get(f"/api/v1/projects/{project.pk}/jobs").json()
    assert [job["id"] for job in per_project["results"]] == [first["id"]]

    detail = client.get(f"/api/v1/jobs/{first['id']}").json()
    assert detail["targets"][0]["results_count"] == 5 and detail["attempts"] == 1
    progress = client.get(f"/api/v1/jobs/{first['id']}/progress").json()
    assert progress == {
        "id": first["id"],
        "status": "completed",
        "progress": 100,
        "stats": detail["stats"],
        "targets": [
            {"target_id": detail["targets"][0]["target_id"], "status": "completed", "progress": 100,
             "results_count": 5, "error": None}
        ],
        "updated_at": progress["updated_at"],
    }  # fmt: skip
    log = client.get(f"/api/v1/jobs/{first['id']}/log").json()
    assert [entry["event"] for entry in log["entries"]] == ["job.started", "target.completed", "job.completed"]
    target_log = client.get(f"/api/v1/jobs/{first['id']}/log?target_id={detail['targets'][0]['target_id']}").json()
    assert [entry["event"] for entry in target_log["entries"]] == ["target.completed"]


def test_cancel_a_queued_job_then_409_on_a_finished_one(client, project, make_target, no_enqueue):
    make_target(730)
    make_target(570)
    job = client.post(f"/api/v1/projects/{project.pk}/scrape", {}, format="json").json()

    response = client.post(f"/api/v1/jobs/{job['id']}/cancel")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "cancelled"
    assert [t["status"] for t in body["targets"]] == ["cancelled", "cancelled"]
    assert client.post(f"/api/v1/jobs/{job['id']}/cancel").status_code == 409
    # A new job may start once the old one is no longer active.
    assert client.post(f"/api/v1/projects/{project.pk}/scrape", {}, format="json").status_code == 201


def test_retry_runs_only_the_failed_targets(client, project, make_target, steam_server, results_store, events):
    make_target(730)
    bad = make_target(404)
    steam_server.failing[404] = 500
    first = client.post(f"/api/v1/projects/{project.pk}/scrape", {"options": {"max_results": 20}}, format="json")
    first = first.json()
    assert [t["status"] for t in first["targets"]] == ["completed", "failed"]
    assert first["targets"][1]["error_code"] == "transient"
    bad.refresh_from_db()
    assert bad.status == "error" and "500" in bad.error_message

    steam_server.failing.clear()
    response = client.post(f"/api/v1/jobs/{first['id']}/retry")

    assert response.status_code == 201, response.json()
    retry = response.json()
    assert retry["trigger"] == "retry"
    assert retry["retry_of"] == first["id"]
    assert [t["target_id"] for t in retry["targets"]] == [str(bad.pk)]
    assert retry["options"]["max_results"] == 20
    assert retry["status"] == "completed" and retry["stats"]["results_total"] == 5
    bad.refresh_from_db()
    assert bad.status == "active" and bad.error_message == ""
    # Everything completed now: nothing left to retry.
    again = client.post(f"/api/v1/jobs/{retry['id']}/retry")
    assert again.status_code == 409 and again.json()["error"]["code"] == "nothing_to_retry"
