from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


@pytest.fixture
def run_command() -> Callable[..., tuple[int, str, str]]:
    """Run a management command; returns (exit code, stdout, stderr) like cron would see them."""

    def run(name: str, *args: str, **options: Any) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command(name, *args, stdout=out, stderr=err, **options)
        except CommandError as exc:
            return exc.returncode, out.getvalue(), err.getvalue() + str(exc)
        return 0, out.getvalue(), err.getvalue()

    return run


@pytest.fixture
def repair_indexes():
    """Tests that break indexes by hand put them back (the test database outlives one test)."""
    yield
    call_command("ensure_indexes", "--apply", stdout=io.StringIO(), stderr=io.StringIO())
