from __future__ import annotations

import pytest


@pytest.fixture
def system_presets(db):
    """The system presets (collections are emptied between tests, so seed them again)."""
    from projects.presets import seed_system_presets

    seed_system_presets()
