"""bootstrap_admin: idempotent superuser from the environment; the Support group."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from accounts.models import RefreshToken, User
from accounts.services import _issue
from audit.models import AuditLog
from sentimatrix.ops.support import SUPPORT_GROUP
from tests.factories_accounts import UserFactory

pytestmark = pytest.mark.django_db

SECRET = "Correct-Horse-Battery-9"


@pytest.fixture
def admin_env(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "Ops@Example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", SECRET)
    monkeypatch.setenv("DJANGO_SUPERUSER_NAME", "Ops Team")


def everything_printed(out: str, err: str) -> str:
    return out + err + "".join(str(e.metadata) for e in AuditLog.objects.all())


def test_creates_then_is_idempotent_and_never_prints_the_password(run_command, admin_env) -> None:
    code, out, err = run_command("bootstrap_admin")
    assert code == 0, err
    user = User.objects.get(email="ops@example.com")
    assert user.is_superuser and user.is_staff and user.role == "admin" and user.email_verified
    assert user.name == "Ops Team" and user.check_password(SECRET)
    assert "created superuser ops@example.com" in out
    assert "Support group" not in out  # migrate created it already (accounts.0003), nothing to sync

    code, out2, err2 = run_command("bootstrap_admin")
    assert code == 0 and "ops@example.com is up to date" in out2
    assert User.objects.filter(email="ops@example.com").count() == 1
    assert SECRET not in everything_printed(out + out2, err + err2)
    entries = AuditLog.objects.filter(event_type="ops.admin_bootstrapped")
    assert entries.count() == 1  # the second run changed nothing, so recorded nothing
    assert entries[0].metadata["actor"] == "system" and entries[0].metadata["created"] is True


def test_updates_an_existing_account(run_command, admin_env, monkeypatch) -> None:
    user = UserFactory(email="ops@example.com", status=User.Status.SUSPENDED)
    user.deleted_at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    user.save()
    code, out, _ = run_command("bootstrap_admin", "--dry-run")
    assert (
        code == 0
        and "would update ops@example.com: is_staff, is_superuser, role, status, email_verified, password" in out
    )
    assert not User.objects.get(pk=user.pk).is_superuser

    code, out, _ = run_command("bootstrap_admin")
    assert code == 0
    user.refresh_from_db()
    assert user.is_superuser and user.status == "active" and user.deleted_at is None and user.check_password(SECRET)
    entry = AuditLog.objects.get(event_type="ops.admin_bootstrapped")
    assert "password" in entry.metadata["fields"] and SECRET not in str(entry.metadata)

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Another-Secret-42x")
    run_command("bootstrap_admin", "--no-password-update")
    user.refresh_from_db()
    assert user.check_password(SECRET)


def test_rotating_the_password_ends_the_admins_sessions(run_command, admin_env, monkeypatch) -> None:
    code, _, err = run_command("bootstrap_admin")
    assert code == 0, err
    user = User.objects.get(email="ops@example.com")
    _issue(user=user)
    _issue(user=user)

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Rotated-After-Leak-77")
    code, out, err = run_command("bootstrap_admin")
    assert code == 0 and "updated ops@example.com: password" in out, err
    user.refresh_from_db()
    assert user.check_password("Rotated-After-Leak-77")
    tokens = RefreshToken.objects.filter(user=user)
    assert tokens.count() == 2 and not tokens.filter(revoked_at=None).exists()
    assert set(tokens.values_list("revoked_reason", flat=True)) == {"password_changed"}
    account = AuditLog.objects.filter(event_type="account.admin_bootstrapped", user=user).order_by("created_at", "id")
    assert [e.metadata["created"] for e in account] == [True, False]
    assert account.last().metadata["actor"] == "system" and account.last().metadata["revoked_count"] == 2
    assert account.last().metadata["fields"] == ["password"]
    ops = AuditLog.objects.filter(event_type="ops.admin_bootstrapped").order_by("created_at", "id").last()
    assert ops.metadata["fields"] == ["password"] and ops.metadata["sessions_revoked"] == 2
    assert "Rotated-After-Leak-77" not in everything_printed(out, err)

    # the same value again changes nothing: a new session survives, nothing more is recorded
    _issue(user=user)
    events = AuditLog.objects.count()
    code, out, _ = run_command("bootstrap_admin")
    assert code == 0 and "ops@example.com is up to date" in out
    assert RefreshToken.objects.filter(user=user, revoked_at=None).count() == 1
    assert AuditLog.objects.count() == events


def test_failures_exit_non_zero(run_command, monkeypatch) -> None:
    monkeypatch.delenv("DJANGO_SUPERUSER_EMAIL", raising=False)
    code, _, err = run_command("bootstrap_admin")
    assert code == 1 and "set DJANGO_SUPERUSER_EMAIL" in err
    code, out, _ = run_command("bootstrap_admin", "--if-configured")
    assert code == 0 and "not set; no admin account touched" in out

    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "ops@example.com")
    monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD", raising=False)
    code, _, err = run_command("bootstrap_admin")
    assert code == 1 and "DJANGO_SUPERUSER_PASSWORD is required" in err

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "password")
    code, _, err = run_command("bootstrap_admin")
    assert code == 1 and "is not acceptable" in err and "too common" in err
    assert not User.objects.filter(email="ops@example.com").exists()


def test_support_group_can_view_and_change_but_not_delete(run_command, admin_env) -> None:
    run_command("bootstrap_admin")
    group = Group.objects.get(name=SUPPORT_GROUP)
    codenames = {(p.content_type.app_label, p.codename) for p in group.permissions.select_related("content_type")}
    assert ("accounts", "view_user") in codenames and ("accounts", "change_user") in codenames
    assert ("audit", "view_auditlog") in codenames and ("audit", "change_auditlog") not in codenames
    assert not any(codename.startswith(("delete_", "add_")) for _, codename in codenames)
    assert ("integrations", "change_apikey") not in codenames


def test_bootstrap_resyncs_a_drifted_support_group(run_command, admin_env) -> None:
    group = Group.objects.get(name=SUPPORT_GROUP)
    view_user = group.permissions.get(codename="view_user", content_type__app_label="accounts")
    group.permissions.remove(view_user)
    code, out, _ = run_command("bootstrap_admin")
    assert code == 0 and "Support group +1/-0 permissions" in out
    assert group.permissions.filter(pk=view_user.pk).exists()
    entry = AuditLog.objects.get(event_type="ops.admin_bootstrapped")
    assert entry.metadata["support_group"]["permissions_added"] == ["accounts.view_user"]


# Group permissions go through accounts.backends.ModelBackend (no nested $lookup, which the
# emulated engine answers wrongly), so this holds on both engines.
def test_support_staff_get_group_permissions(run_command, admin_env) -> None:
    run_command("bootstrap_admin")
    group = Group.objects.get(name=SUPPORT_GROUP)
    staff = UserFactory(is_staff=True)
    staff.groups.add(group)
    staff = User.objects.get(pk=staff.pk)
    assert staff.has_perm("accounts.change_user") and not staff.has_perm("accounts.delete_user")
    assert not staff.is_superuser


def test_reset_monthly_usage(run_command) -> None:
    old = dt.datetime(2020, 1, 15)
    UserFactory.create_batch(3)

    connection.database["users"].update_many(
        {}, {"$set": {"usage.scrapes_this_month": 9, "usage.api_calls_this_month": 4, "usage.last_reset_at": old}}
    )
    code, out, _ = run_command("reset_monthly_usage", "--dry-run")
    assert code == 0 and "would reset 3 accounts" in out
    assert connection.database["users"].count_documents({"usage.scrapes_this_month": 9}) == 3
    code, out, _ = run_command("reset_monthly_usage")
    assert code == 0 and "reset 3 accounts" in out
    assert connection.database["users"].count_documents({"usage.scrapes_this_month": 0}) == 3
    code, out, _ = run_command("reset_monthly_usage")
    assert "reset 0 accounts" in out
    assert AuditLog.objects.filter(event_type="ops.usage_reset").count() == 1
