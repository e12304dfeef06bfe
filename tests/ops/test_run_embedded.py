"""run_embedded (make run): the admin login goes through the audited accounts service, and on a real
database server an existing admin's password is reset only when asked to."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import RefreshToken, User
from accounts.services import _issue
from audit.models import AuditLog
from sentimatrix.management.commands import run_embedded
from tests.factories_accounts import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

EMAIL = "admin@localhost"


@pytest.fixture
def steps(monkeypatch) -> list[str]:
    """The command's own call_command steps (migrate, seeding, runserver) only get noted down."""
    called: list[str] = []
    monkeypatch.setattr(run_embedded, "call_command", lambda name, *args, **kwargs: called.append(name))
    return called


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("run_embedded", *args, stdout=out)
    return out.getvalue()


def printed_password(out: str) -> str:
    match = re.search(rf"login {re.escape(EMAIL)} / (\S+)", out)
    assert match, out
    return match.group(1)


def test_creates_an_audited_admin_login_and_serves(steps) -> None:
    out = run("127.0.0.1:8123")
    assert "http://127.0.0.1:8123/" in out and "EMULATED" in out
    admin = User.objects.get(email=EMAIL)
    assert admin.is_superuser and admin.is_staff and admin.check_password(printed_password(out))
    entry = AuditLog.objects.get(event_type="account.admin_bootstrapped", user=admin)
    assert entry.metadata["created"] is True and entry.metadata["actor"] == "system"
    assert printed_password(out) not in str(entry.metadata)
    assert steps[0] == "migrate" and steps[-1] == "runserver"


def test_emulated_engine_gives_an_existing_admin_a_new_password(steps) -> None:
    first = printed_password(run())
    admin = User.objects.get(email=EMAIL)
    _issue(user=admin)
    second = printed_password(run())
    admin.refresh_from_db()
    assert second != first and admin.check_password(second)
    assert not RefreshToken.objects.filter(user=admin, revoked_at=None).exists()
    events = AuditLog.objects.filter(event_type="account.admin_bootstrapped", user=admin)
    assert sorted(e.metadata["created"] for e in events) == [False, True]


def test_real_server_refuses_to_reset_an_existing_admin(steps, monkeypatch) -> None:
    monkeypatch.setattr(run_embedded, "is_emulated", lambda alias="default": False)
    admin = UserFactory(email=EMAIL, is_staff=True, is_superuser=True)
    with pytest.raises(CommandError, match="--reset-admin-password"):
        run()
    admin.refresh_from_db()
    assert admin.check_password(DEFAULT_PASSWORD)
    assert "runserver" not in steps
    assert not AuditLog.objects.filter(event_type="account.admin_bootstrapped").exists()

    out = run("--reset-admin-password")
    admin.refresh_from_db()
    assert admin.check_password(printed_password(out)) and "EMULATED" not in out
    assert AuditLog.objects.filter(event_type="account.admin_bootstrapped", user=admin).count() == 1


def test_real_server_still_creates_a_missing_admin(steps, monkeypatch) -> None:
    monkeypatch.setattr(run_embedded, "is_emulated", lambda alias="default": False)
    out = run()
    assert User.objects.get(email=EMAIL).check_password(printed_password(out))
