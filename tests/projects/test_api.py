"""Projects API: envelope errors with field details, pagination/filter/search, targets, schedules, presets,
and tenant isolation (404 for another user's object on every endpoint, never listed)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from projects import services
from projects.models import Preset, Project, Target
from tests.factories_accounts import UserFactory
from tests.factories_projects import PresetFactory, ProjectFactory, TargetFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("system_presets")]

STEAM = "https://store.steampowered.com/app/570/Dota_2/"


@pytest.fixture
def user():
    return UserFactory(plan="advanced")


@pytest.fixture
def client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_requires_authentication():
    response = APIClient().get("/api/v1/projects")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_create_retrieve_update_and_list(client, user):
    response = client.post(
        "/api/v1/projects",
        {"name": "Games", "description": "steam stuff", "preset": "standard", "config": {"llm": {"max_tokens": 800}}},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["preset"] == "standard" and body["config"]["llm"]["max_tokens"] == 800
    assert body["config"]["analysis"]["sentiment_classes"] == 5
    assert body["config"]["schedule"]["next_run_at"] is None
    pid = body["id"]
    assert client.get(f"/api/v1/projects/{pid}").json()["name"] == "Games"
    response = client.patch(f"/api/v1/projects/{pid}", {"name": "Renamed", "config": {"analysis": {"emotions": False}}},
                            format="json")  # fmt: skip
    assert response.status_code == 200
    assert response.json()["name"] == "Renamed" and response.json()["config"]["analysis"]["emotions"] is False
    assert response.json()["config"]["llm"]["max_tokens"] == 800
    ProjectFactory(user=user, name="Reviews of shoes")
    ProjectFactory(user=user, name="Other", status="paused")
    listing = client.get("/api/v1/projects").json()
    assert listing["count"] == 3 and len(listing["results"]) == 3
    assert [p["name"] for p in client.get("/api/v1/projects?search=SHOES").json()["results"]] == ["Reviews of shoes"]
    assert [p["name"] for p in client.get("/api/v1/projects?search=steam").json()["results"]] == ["Renamed"]
    assert [p["name"] for p in client.get("/api/v1/projects?status=paused").json()["results"]] == ["Other"]
    names = [p["name"] for p in client.get("/api/v1/projects?ordering=name").json()["results"]]
    assert names == ["Other", "Renamed", "Reviews of shoes"]
    page = client.get("/api/v1/projects?page_size=2&page=2").json()
    assert page["count"] == 3 and len(page["results"]) == 1
    assert client.get("/api/v1/projects?status=bogus").status_code == 400
    assert client.get("/api/v1/projects?ordering=password").status_code == 400


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "name"),
        ({"name": "x", "config": {"analysis": {"sentiment_classes": 4}}}, "config"),
        ({"name": "x", "config": {"llm": {"provider": "openai", "model": "nope"}}}, "config"),
        ({"name": "x", "config": {"schedule": {"timezone": "Not/AZone"}}}, "config"),
        ({"name": "x", "config": "text"}, "config"),
        ({"name": "x", "preset": "unknown"}, "preset"),
        ({"name": "x", "extra": 1}, "extra"),
    ],
)
def test_validation_errors_in_envelope_with_field_details(client, payload, field):
    response = client.post("/api/v1/projects", payload, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error" and field in error["details"]
    assert error["message"]


def test_plan_limit_is_403_quota_exceeded():
    starter = UserFactory(plan="starter")
    client = APIClient()
    client.force_authenticate(starter)
    response = client.post("/api/v1/projects", {"name": "x", "preset": "advanced"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "quota_exceeded"
    assert response.json()["error"]["details"]["limit"] == "presets"


def test_archive_restore_duplicate_delete(client, user):
    project = services.project_create(actor=user, name="p", preset="advanced")
    services.target_add(actor=user, project=project, url=STEAM)
    base = f"/api/v1/projects/{project.pk}"
    assert client.post(f"{base}/archive").json()["status"] == "archived"
    assert client.patch(base, {"name": "y"}, format="json").status_code == 409
    assert client.post(f"{base}/restore").json()["status"] == "active"
    assert client.post(f"{base}/restore").status_code == 409
    copy = client.post(f"{base}/duplicate", {"include_targets": True}, format="json")
    assert copy.status_code == 201 and copy.json()["stats"]["total_targets"] == 1
    response = client.delete(base)
    assert response.status_code == 200
    assert response.json()["deleted"]["targets"] == 1 and response.json()["deleted"]["schedules"] == 1
    assert client.get(base).status_code == 404


def test_targets_endpoints(client, user):
    project = ProjectFactory(user=user)
    base = f"/api/v1/projects/{project.pk}/targets"
    response = client.post(base, {"url": STEAM, "label": "Dota"}, format="json")
    assert response.status_code == 201
    target = response.json()
    assert target["platform"] == "steam" and target["detected_type"] == "game"
    duplicate = client.post(base, {"url": "store.steampowered.com/app/570"}, format="json")
    assert duplicate.status_code == 409 and duplicate.json()["error"]["details"]["target_id"] == target["id"]
    bad = client.post(base, {"url": "https://example.org/x"}, format="json")
    assert bad.status_code == 400 and "url" in bad.json()["error"]["details"]
    bulk = client.post(f"{base}/bulk", {"targets": ["https://youtu.be/dQw4w9WgXcQ", STEAM, "nonsense"]}, format="json")
    assert bulk.status_code == 200
    assert [r["status"] for r in bulk.json()["results"]] == ["created", "duplicate", "invalid"]
    assert bulk.json()["created"] == 1 and bulk.json()["results"][0]["target"]["platform"] == "youtube"
    assert client.post(f"{base}/bulk", {"targets": ["x"] * 51}, format="json").status_code == 400
    assert client.get(base).json()["count"] == 2
    assert client.get(f"{base}?platform=youtube").json()["count"] == 1
    detail = f"{base}/{target['id']}"
    patched = client.patch(detail, {"label": "D2", "status": "paused", "metadata": {"team": "a"}}, format="json")
    assert patched.status_code == 200 and patched.json()["status"] == "paused"
    assert client.patch(detail, {"status": "blocked"}, format="json").status_code == 400
    assert client.delete(detail).status_code == 200
    assert client.get(detail).status_code == 404


def test_schedule_endpoints(client, user):
    project = ProjectFactory(user=user)
    base = f"/api/v1/projects/{project.pk}/schedule"
    assert client.get(base).json()["enabled"] is False
    response = client.put(
        base,
        {"enabled": True, "frequency": "daily", "time": "09:00", "timezone": "Europe/Berlin"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["next_run_at"] is not None
    upcoming = client.get(f"{base}/upcoming?count=3").json()
    assert len(upcoming["runs"]) == 3 and all("T09:00:00+0" in run for run in upcoming["runs_local"])
    preview = client.post(f"{base}/upcoming", {"frequency": "monthly", "day_of_month": 15, "count": 2}, format="json")
    assert preview.status_code == 200 and all("-15T09:00" in run for run in preview.json()["runs_local"])
    assert client.get(f"{base}/upcoming?count=500").status_code == 400
    bad = client.put(base, {"frequency": "weekly", "days_of_week": [9]}, format="json")
    assert bad.status_code == 400 and "days_of_week" in bad.json()["error"]["details"]
    assert client.post(f"{base}/disable").json()["next_run_at"] is None
    assert client.post(f"{base}/enable").json()["next_run_at"] is not None
    project.refresh_from_db()
    services.schedule_mark_run(project=project, ran_at=project.config.schedule.next_run_at, job_id="a" * 24)
    history = client.get(f"{base}/history").json()["results"]
    assert len(history) == 1 and history[0]["job_id"] == "a" * 24 and history[0]["status"] == "queued"


def test_presets_endpoints(client, user):
    listing = client.get("/api/v1/presets").json()
    system = {p["slug"]: p for p in listing["results"] if p["is_system"]}
    assert set(system) == {"starter", "standard", "advanced", "budget", "enterprise"}
    assert system["advanced"]["available"] is True and system["enterprise"]["available"] is False
    assert client.get("/api/v1/presets/standard").json()["slug"] == "standard"
    std_id = system["standard"]["id"]
    assert client.patch(f"/api/v1/presets/{std_id}", {"name": "x"}, format="json").status_code == 403
    assert client.delete(f"/api/v1/presets/{std_id}").status_code == 403
    created = client.post("/api/v1/presets", {"name": "Mine", "base": "budget", "config": {"llm": {"max_tokens": 200}}},
                          format="json")  # fmt: skip
    assert created.status_code == 201 and created.json()["config"]["llm"]["model"] == "llama-3.1-8b-instant"
    assert client.post("/api/v1/presets", {"name": "Mine"}, format="json").status_code == 409
    copy = client.post(f"/api/v1/presets/{std_id}/duplicate", {}, format="json")
    assert copy.status_code == 201 and copy.json()["name"] == "Standard (copy)"
    assert client.post("/api/v1/presets/enterprise/duplicate", {}, format="json").status_code == 403
    mine = created.json()["id"]
    assert client.patch(f"/api/v1/presets/{mine}", {"description": "d"}, format="json").json()["description"] == "d"
    project = client.post("/api/v1/projects", {"name": "from mine", "preset": mine}, format="json")
    assert project.status_code == 201 and project.json()["preset_id"] == mine
    assert client.delete(f"/api/v1/presets/{mine}").status_code == 204


def test_tenant_isolation_everywhere(client, user):
    other = UserFactory(plan="advanced")
    project = ProjectFactory(user=other, name="secret")
    target = TargetFactory(project=project)
    preset = PresetFactory(user=other, name="their preset")
    mine = ProjectFactory(user=user)
    p, t = f"/api/v1/projects/{project.pk}", f"/api/v1/projects/{project.pk}/targets/{target.pk}"
    cross = f"/api/v1/projects/{mine.pk}/targets/{target.pk}"  # my project, their target
    requests = [
        ("get", p, None), ("patch", p, {"name": "x"}), ("delete", p, None), ("post", f"{p}/archive", None),
        ("post", f"{p}/restore", None), ("post", f"{p}/duplicate", {}), ("get", f"{p}/targets", None),
        ("post", f"{p}/targets", {"url": STEAM}), ("post", f"{p}/targets/bulk", {"targets": [STEAM]}),
        ("get", t, None), ("patch", t, {"label": "x"}), ("delete", t, None), ("get", cross, None),
        ("get", f"{p}/schedule", None), ("put", f"{p}/schedule", {"enabled": True}),
        ("post", f"{p}/schedule/enable", None), ("post", f"{p}/schedule/disable", None),
        ("get", f"{p}/schedule/history", None), ("get", f"{p}/schedule/upcoming", None),
        ("post", f"{p}/schedule/upcoming", {}), ("get", f"/api/v1/presets/{preset.pk}", None),
        ("patch", f"/api/v1/presets/{preset.pk}", {"name": "x"}), ("delete", f"/api/v1/presets/{preset.pk}", None),
        ("post", f"/api/v1/presets/{preset.pk}/duplicate", {}),
    ]  # fmt: skip
    for method, url, data in requests:
        response = getattr(client, method)(url, data, format="json")
        assert response.status_code == 404, (method, url, response.status_code)
        assert response.json()["error"]["code"] == "not_found"
    assert [x["id"] for x in client.get("/api/v1/projects").json()["results"]] == [str(mine.pk)]
    assert all(x["name"] != "their preset" for x in client.get("/api/v1/presets").json()["results"])
    assert Project.objects.get(pk=project.pk).name == "secret"
    assert Target.objects.filter(pk=target.pk).exists() and Preset.objects.filter(pk=preset.pk).exists()
    assert client.get("/api/v1/projects/zzzz").status_code == 404


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York"])
def test_upcoming_runs_keep_local_time_across_dst(client, user, zone):
    project = ProjectFactory(user=user)
    base = f"/api/v1/projects/{project.pk}/schedule"
    client.put(base, {"enabled": True, "frequency": "weekly", "time": "09:00", "timezone": zone,
                      "days_of_week": [0]}, format="json")  # fmt: skip
    body = client.get(f"{base}/upcoming?count=50").json()  # 50 weeks cross both switches
    assert len(body["runs"]) == 50
    assert all(run[10:19] == "T09:00:00" for run in body["runs_local"])
    assert len({run[19:] for run in body["runs_local"]}) == 2  # both UTC offsets seen
