from __future__ import annotations

import pytest

from tests.factories_projects import ProjectFactory, TargetFactory


@pytest.fixture
def project(db):
    return ProjectFactory()


@pytest.fixture
def user(project):
    return project.user


@pytest.fixture
def target(project):
    return TargetFactory(project=project, user=project.user)


@pytest.fixture
def client_for(api_client):
    def login(user):
        api_client.force_authenticate(user)
        return api_client

    return login
