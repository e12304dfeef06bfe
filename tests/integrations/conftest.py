from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories_accounts import UserFactory


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def client_for():
    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def api(user, client_for):
    return client_for(user)
