"""Shared fixtures. The emulated engine is the default; ``real_mongodb`` tests need TEST_MONGODB_URI."""

from __future__ import annotations

import os

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("TEST_MONGODB_URI"):
        return
    skip = pytest.mark.skip(reason="needs a real MongoDB server: set TEST_MONGODB_URI to run it")
    for item in items:
        if "real_mongodb" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()
