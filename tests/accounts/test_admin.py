"""Support admin: a staff member in the Support group works users and the audit log through
the admin; actions go through the audited services; the audit log cannot be changed."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client

from accounts import services
from accounts.models import RefreshToken, User
from accounts.quotas import _users
from accounts.services import _issue
from accounts.support import SUPPORT_GROUP
from audit.models import AuditLog
from audit.services import record
from sentimatrix.api.errors import ForbiddenError
from tests.factories_accounts import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def support_user():
    user = UserFactory(is_staff=True, email="helper@example.com")
    user.groups.add(Group.objects.get(name=SUPPORT_GROUP))
    return user


@pytest.fixture
def support(support_user):
    client = Client()
    client.force_login(support_user)
    return client


def test_support_group_exists_with_view_and_change_only() -> None:
    group = Group.objects.get(name=SUPPORT_GROUP)
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"view_user", "change_user", "view_auditlog"} <= codenames
    assert not {"change_auditlog", "delete_auditlog", "add_auditlog", "delete_user", "add_user"} & codenames
    assert not any(c.startswith(("add_", "delete_")) for c in codenames)


def test_non_staff_cannot_reach_the_admin(user) -> None:
    client = Client()
    client.force_login(user)
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert Client().get("/admin/").status_code == 302


def test_staff_without_the_group_sees_nothing() -> None:
    client = Client()
    client.force_login(UserFactory(is_staff=True))
    assert client.get("/admin/accounts/user/").status_code == 403
    assert client.get("/admin/audit/auditlog/").status_code == 403


def test_support_lists_searches_and_opens_users(support) -> None:
    target = UserFactory(email="customer@example.com", name="Customer One", plan="advanced")
    UserFactory(email="other@example.com")
    response = support.get("/admin/accounts/user/")
    assert response.status_code == 200
    assert b"customer@example.com" in response.content and b"other@example.com" in response.content
    response = support.get("/admin/accounts/user/", {"q": "customer"})
    assert [u.email for u in response.context["cl"].result_list] == ["customer@example.com"]
    response = support.get("/admin/accounts/user/", {"plan__exact": "advanced"})
    assert [u.email for u in response.context["cl"].result_list] == ["customer@example.com"]
    response = support.get(f"/admin/accounts/user/{target.pk}/change/")
    assert response.status_code == 200 and b"Customer One" in response.content
    assert support.get("/admin/accounts/user/add/").status_code == 403
    assert support.get(f"/admin/accounts/user/{target.pk}/delete/").status_code == 403


def test_support_edit_goes_through_the_service_and_keeps_counters(support, support_user) -> None:
    target = UserFactory(name="Before", plan="starter")
    _users().update_one({"_id": target.pk}, {"$set": {"usage.scrapes_this_month": 12}})
    response = support.post(
        f"/admin/accounts/user/{target.pk}/change/",
        {
            "name": "After",
            "company": "",
            "avatar_url": "",
            "plan": "advanced",
            "email_verified": "on",
            "is_staff": "on",
        },  # is_staff is read-only for non-superusers: ignored
    )
    assert response.status_code == 302, response.content[:2000]
    target.refresh_from_db()
    assert target.name == "After" and target.plan == "advanced" and target.email_verified
    assert target.is_staff is False
    assert target.usage.scrapes_this_month == 12
    entry = AuditLog.objects.get(event_type="admin.user_changed")
    assert entry.user_id == target.pk and entry.metadata["actor_id"] == str(support_user.pk)
    assert entry.metadata["plan"] == ["starter", "advanced"]
    assert AuditLog.objects.filter(event_type="admin.change", user=target).exists()  # from the admin log


def _action(client: Client, action: str, users: list[User]):
    return client.post(
        "/admin/accounts/user/", {"action": action, "_selected_action": [str(u.pk) for u in users]}, follow=True
    )


def test_suspend_reactivate_reset_and_revoke_actions(support, support_user) -> None:
    target = UserFactory()
    _issue(user=target)
    _users().update_one({"_id": target.pk}, {"$set": {"usage.api_calls_this_month": 99}})

    assert _action(support, "suspend_selected", [target]).status_code == 200
    target.refresh_from_db()
    assert target.status == "suspended"
    assert RefreshToken.objects.filter(user=target, revoked_at=None).count() == 0

    _action(support, "reactivate_selected", [target])
    target.refresh_from_db()
    assert target.status == "active"

    _action(support, "reset_usage_selected", [target])
    assert _users().find_one({"_id": target.pk})["usage"]["api_calls_this_month"] == 0

    _issue(user=target)
    _action(support, "revoke_sessions_selected", [target])
    assert RefreshToken.objects.filter(user=target, revoked_at=None).count() == 0

    events = list(
        AuditLog.objects.filter(user=target, event_type__startswith="admin.")
        .order_by("created_at", "id")
        .values_list("event_type", flat=True)
    )
    assert events == ["admin.user_suspended", "admin.user_reactivated", "admin.usage_reset"]
    revoked = AuditLog.objects.get(user=target, event_type="account.sessions_revoked")
    assert revoked.metadata["actor_email"] == "helper@example.com"


def test_support_reads_but_cannot_change_the_audit_log(support) -> None:
    customer = UserFactory(email="audited@example.com")
    entry = record(event_type="auth.login", actor=customer, metadata={"method": "password"})
    record(event_type="auth.logout", actor=UserFactory())
    response = support.get("/admin/audit/auditlog/")
    assert (
        response.status_code == 200 and b"auth.login" in response.content and b"audited@example.com" in response.content
    )
    response = support.get("/admin/audit/auditlog/", {"q": "audited@example"})
    assert [e.event_type for e in response.context["cl"].result_list] == ["auth.login"]
    response = support.get("/admin/audit/auditlog/", {"event_type__exact": "auth.logout"})
    assert [e.event_type for e in response.context["cl"].result_list] == ["auth.logout"]
    detail = support.get(f"/admin/audit/auditlog/{entry.pk}/change/")
    assert detail.status_code == 200 and b"password" in detail.content  # read-only view of metadata
    assert support.post(f"/admin/audit/auditlog/{entry.pk}/change/", {"event_type": "x"}).status_code == 403
    assert support.get(f"/admin/audit/auditlog/{entry.pk}/delete/").status_code == 403
    assert support.post(f"/admin/audit/auditlog/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert support.get("/admin/audit/auditlog/add/").status_code == 403
    assert AuditLog.objects.filter(pk=entry.pk, event_type="auth.login").exists()


def test_even_a_superuser_cannot_delete_audit_entries() -> None:
    admin = User.objects.create_superuser(email="root@example.com", password="Sup3r-secret", name="Root")
    client = Client()
    client.force_login(admin)
    entry = record(event_type="auth.login", actor=admin)
    assert client.post(f"/admin/audit/auditlog/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditLog.objects.filter(pk=entry.pk).exists()


def test_reset_monthly_usage_command_is_idempotent(capsys) -> None:
    # the command lives in sentimatrix/management (ops); it calls accounts.services.usage_reset_monthly
    from datetime import UTC, datetime, timedelta

    fresh, stale, never = UserFactory(), UserFactory(), UserFactory()
    this_month = datetime.now(UTC).replace(tzinfo=None, day=1, hour=1)
    last_month = this_month - timedelta(days=3)
    for user, reset_at in [(fresh, this_month), (stale, last_month), (never, None)]:
        _users().update_one(
            {"_id": user.pk},
            {
                "$set": {
                    "usage.last_reset_at": reset_at,
                    "usage.scrapes_this_month": 5,
                    "usage.api_calls_this_month": 50,
                    "usage.projects_count": 2,
                }
            },
        )
    call_command("reset_monthly_usage")
    assert "reset 2 accounts" in capsys.readouterr().out
    usage = {u.pk: _users().find_one({"_id": u.pk})["usage"] for u in (fresh, stale, never)}
    assert usage[fresh.pk]["scrapes_this_month"] == 5
    assert usage[stale.pk]["scrapes_this_month"] == 0 and usage[stale.pk]["api_calls_this_month"] == 0
    assert usage[never.pk]["scrapes_this_month"] == 0
    assert all(u["projects_count"] == 2 for u in usage.values())  # not a monthly counter
    call_command("reset_monthly_usage")
    assert "reset 0 accounts" in capsys.readouterr().out


def test_support_cannot_suspend_a_superuser_or_themself(support, support_user) -> None:
    boss = UserFactory(is_staff=True, is_superuser=True, email="boss@example.com")
    customer = UserFactory()
    _issue(user=boss)
    response = _action(support, "suspend_selected", [boss, support_user, customer])
    notes = [str(m) for m in response.context["messages"]]
    assert "boss@example.com: Only a superuser can suspend a superuser account." in notes
    assert "helper@example.com: You cannot suspend your own account." in notes
    assert "Suspended 1 account(s); 2 skipped." in notes
    statuses = dict(User.objects.filter(pk__in=[boss.pk, support_user.pk, customer.pk]).values_list("pk", "status"))
    assert statuses == {boss.pk: "active", support_user.pk: "active", customer.pk: "suspended"}
    assert RefreshToken.objects.filter(user=boss, revoked_at=None).count() == 1
    refused = AuditLog.objects.filter(event_type="admin.user_suspended", success=False)
    assert sorted(e.metadata["refused"] for e in refused) == ["self", "superuser"]


def test_suspend_service_refuses_superuser_targets_and_self() -> None:
    staff = UserFactory(is_staff=True)
    boss = UserFactory(is_staff=True, is_superuser=True)
    for actor, target in [(staff, boss), (staff, staff), (boss, boss)]:
        with pytest.raises(ForbiddenError) as caught:
            services.user_suspend(actor=actor, user=target)
        assert caught.value.code == "suspend_forbidden"
    assert not User.objects.filter(status="suspended").exists()
    assert services.user_suspend(actor=boss, user=UserFactory(is_superuser=True)) is True  # superuser may
