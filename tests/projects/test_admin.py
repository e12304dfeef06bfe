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


def _audit(event_type: str) -> list:
    from audit.models import AuditLog

    return list(AuditLog.objects.filter(event_type=event_type).order_by("created_at"))


def test_admin_deletes_go_through_the_services(staff):
    from accounts.models import User
    from projects import services
    from results.models import Result
    from tests.factories_results import make_result

    owner = UserFactory(email="owner@example.com")
    kept = services.project_create(actor=owner, name="Kept", preset="standard")
    doomed = [services.project_create(actor=owner, name=f"Doomed {n}", preset="standard") for n in range(2)]
    make_result(target=TargetFactory(project=doomed[0]))
    make_result(target=TargetFactory(project=kept))
    assert User.objects.get(pk=owner.pk).usage.projects_count == 3

    response = staff.post(
        "/admin/projects/project/",
        {"action": "delete_selected", "_selected_action": [str(p.pk) for p in doomed], "post": "yes"},
    )
    assert response.status_code == 302
    assert list(Project.objects.values_list("name", flat=True)) == ["Kept"]
    # The owner's count is released (not the admin's), the results go too, and each delete is audited
    # on the owner's account with the admin as actor.
    assert User.objects.get(pk=owner.pk).usage.projects_count == 1
    assert Result.objects.filter(project_id__in=[p.pk for p in doomed]).count() == 0
    assert Result.objects.filter(project_id=kept.pk).count() == 1
    deletes = _audit("project.delete")
    assert [e.user_id for e in deletes] == [owner.pk, owner.pk]
    assert {e.metadata["actor_email"] for e in deletes} == {"admin@example.com"}


def test_admin_target_delete_recomputes_the_project_stats(staff):
    from projects import services
    from tests.factories_results import make_result

    owner = UserFactory()
    project = services.project_create(actor=owner, name="Stats", preset="standard")
    gone, stays = TargetFactory(project=project), TargetFactory(project=project)
    for _ in range(2):
        make_result(target=gone, label="negative", score=-0.8)
    make_result(target=stays, label="positive", score=0.6)
    from results.services import project_stats_refresh

    project_stats_refresh(project=project)
    assert Project.objects.get(pk=project.pk).stats.total_results == 3

    response = staff.post(f"/admin/projects/target/{gone.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    stats = Project.objects.get(pk=project.pk).stats
    assert stats.total_results == 1 and stats.sentiment_distribution.positive == 1
    assert stats.sentiment_distribution.negative == 0
    assert [e.user_id for e in _audit("target.delete")] == [owner.pk]


def test_admin_project_form_saves_through_the_service_and_cannot_set_status(staff):
    project = ProjectFactory(name="Before", user=UserFactory())
    response = staff.post(
        f"/admin/projects/project/{project.pk}/change/",
        {
            "name": "After",
            "description": "set by support",
            "status": "archived",  # not a form field: status changes only through the actions
            "targets-TOTAL_FORMS": "0",
            "targets-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    saved = Project.objects.get(pk=project.pk)
    assert (saved.name, saved.description, saved.status) == ("After", "set by support", "active")
    [update] = _audit("project.update")
    assert update.user_id == project.user_id and sorted(update.metadata["fields"]) == ["description", "name"]


def test_custom_presets_are_read_only_and_delete_through_the_service(staff):
    from projects import services

    owner = UserFactory()
    custom = services.preset_create(actor=owner, name="Mine", base="standard")
    response = staff.post(f"/admin/projects/preset/{custom.pk}/change/", {"name": "Hacked", "description": ""})
    assert response.status_code == 403
    assert staff.post(f"/admin/projects/preset/{custom.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Preset.objects.filter(pk=custom.pk).exists()
    assert [e.user_id for e in _audit("preset.delete")] == [owner.pk]
