"""Admin: change lists with filters and search, change pages, actions through the services, read-only presets."""

from __future__ import annotations

import pytest
from django.test import Client

from projects.models import Preset, Project, Target
from tests.factories_accounts import UserFactory
from tests.factories_projects import ProjectFactory, TargetFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("system_presets")]


@pytest.fixture
def staff():
    admin = UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    return client


def test_project_changelist_filters_search_and_change_page(staff):
    project = ProjectFactory(name="Findable", user=UserFactory(email="owner@example.com"))
    TargetFactory(project=project)
    ProjectFactory(name="Other")
    assert staff.get("/admin/projects/project/").status_code == 200
    response = staff.get("/admin/projects/project/?q=owner@example")
    assert response.status_code == 200 and b"Findable" in response.content and b"Other" not in response.content
    response = staff.get("/admin/projects/project/?platform=steam")
    assert b"Findable" in response.content and b"Other" not in response.content
    assert staff.get("/admin/projects/project/?status=active&preset=standard").status_code == 200
    response = staff.get(f"/admin/projects/project/{project.pk}/change/")
    assert response.status_code == 200 and b"max_results_per_target" in response.content


def test_project_actions(staff):
    projects = ProjectFactory.create_batch(2)
    ids = [str(p.pk) for p in projects]
    staff.post("/admin/projects/project/", {"action": "pause", "_selected_action": ids})
    assert set(Project.objects.values_list("status", flat=True)) == {"paused"}
    staff.post("/admin/projects/project/", {"action": "archive", "_selected_action": ids})
    assert set(Project.objects.values_list("status", flat=True)) == {"archived"}
    staff.post("/admin/projects/project/", {"action": "resume", "_selected_action": ids})
    assert set(Project.objects.values_list("status", flat=True)) == {"active"}


def test_target_admin(staff):
    target = TargetFactory()
    assert staff.get("/admin/projects/target/?platform=steam&status=active").status_code == 200
    assert staff.get(f"/admin/projects/target/{target.pk}/change/").status_code == 200
    staff.post("/admin/projects/target/", {"action": "pause", "_selected_action": [str(target.pk)]})
    assert Target.objects.get(pk=target.pk).status == "paused"


def test_system_presets_are_read_only(staff):
    system = Preset.objects.get(slug="standard", is_system=True)
    assert staff.get("/admin/projects/preset/").status_code == 200
    response = staff.get(f"/admin/projects/preset/{system.pk}/change/")
    assert response.status_code == 200 and b"Save" not in response.content
    response = staff.post(f"/admin/projects/preset/{system.pk}/change/", {"name": "Hacked", "description": ""})
    assert response.status_code == 403
    assert Preset.objects.get(pk=system.pk).name == "Standard"
    assert staff.post(f"/admin/projects/preset/{system.pk}/delete/", {"post": "yes"}).status_code == 403
