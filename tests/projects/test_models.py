"""Models: defaults of the embedded config, indexes of seeds/000 2.2 and 2.3, the unique (project, url)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection

from projects import selectors
from projects.models import Project, Target
from sentimatrix.api.errors import NotFoundError
from tests.factories_projects import ProjectFactory, TargetFactory

pytestmark = pytest.mark.django_db


def test_project_defaults_are_stored_nested():
    project = ProjectFactory()
    doc = connection.database["projects"].find_one({"_id": project.pk})
    assert doc["user_id"] == project.user.pk
    assert doc["status"] == "active"
    assert doc["config"]["llm"]["temperature"] == 0.7
    assert doc["config"]["analysis"]["sentiment_classes"] == 3
    assert doc["config"]["schedule"]["enabled"] is False
    assert doc["config"]["schedule"]["next_run_at"] is None
    assert doc["config"]["schedule"]["history"] == []
    assert doc["config"]["limits"] == {
        "max_results_per_target": 100,
        "max_results_per_job": 500,
        "request_delay_seconds": 1.0,
    }
    assert doc["stats"]["sentiment_distribution"] == {"positive": 0, "neutral": 0, "negative": 0}


def test_indexes_exist():
    projects = connection.database["projects"].index_information()
    assert projects["projects_user_status_created"]["key"] == [("user_id", 1), ("status", 1), ("created_at", -1)]
    assert projects["projects_user_archived"]["key"] == [("user_id", 1), ("archived_at", 1)]
    due = projects["projects_schedule_due"]
    assert due["key"] == [("config.schedule.next_run_at", 1)]
    assert due["partialFilterExpression"] == {"config.schedule.enabled": True}
    targets = connection.database["targets"].index_information()
    assert targets["targets_project_status"]["key"] == [("project_id", 1), ("status", 1)]
    assert targets["targets_user_platform"]["key"] == [("user_id", 1), ("platform", 1)]
    assert targets["targets_project_url_unique"]["unique"] is True


def test_target_url_unique_per_project():
    target = TargetFactory()
    with pytest.raises(IntegrityError):
        Target.objects.create(project=target.project, user=target.user, url=target.url, platform="steam")
    other = ProjectFactory(user=target.user)
    Target.objects.create(project=other, user=target.user, url=target.url, platform="steam")
    assert Target.objects.filter(url=target.url).count() == 2


def test_selectors_scope_by_tenant():
    mine = ProjectFactory()
    theirs = ProjectFactory()
    target = TargetFactory(project=theirs)
    assert selectors.project_get(user=mine.user, project_id=str(mine.pk)) == mine
    with pytest.raises(NotFoundError):
        selectors.project_get(user=mine.user, project_id=theirs.pk)
    with pytest.raises(NotFoundError):
        selectors.project_get(user=mine.user, project_id="not-an-id")
    with pytest.raises(NotFoundError):
        selectors.target_get(user=mine.user, target_id=target.pk)
    assert list(selectors.project_list(user=mine.user)) == [mine]
    assert selectors.target_get(user=theirs.user, target_id=target.pk) == target
    assert list(selectors.target_list(user=theirs.user, project=theirs)) == [target]
    assert list(selectors.target_list(user=mine.user, project=theirs)) == []


def test_project_delete_cascades_targets():
    project = ProjectFactory()
    TargetFactory.create_batch(3, project=project)
    other = TargetFactory()  # another project's target survives
    assert Target.objects.filter(project=project).count() == 3
    project_pk = project.pk
    project.delete()
    assert list(Target.objects.values_list("pk", flat=True)) == [other.pk]
    assert not Project.objects.filter(pk=project_pk).exists()
    assert Project.objects.filter(pk=other.project_id).exists()
