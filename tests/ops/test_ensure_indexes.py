"""ensure_indexes against the (emulated) database that `migrate` built for the tests."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from audit.models import AuditLog

pytestmark = pytest.mark.django_db


def audit_logs():
    return connection.database["audit_logs"]


def test_check_passes_after_migrate(run_command) -> None:
    code, out, err = run_command("ensure_indexes", "--check")
    assert code == 0, out + err
    assert "0 differences" in out
    assert not AuditLog.objects.exists()  # a check changes nothing, records nothing


def test_check_fails_after_an_index_is_dropped_by_hand(run_command, repair_indexes) -> None:
    audit_logs().drop_index("audit_user_created")
    code, out, err = run_command("ensure_indexes", "--check")
    assert code == 3
    assert "audit_logs: missing    audit_user_created {user_id:1, created_at:-1}" in out
    code, out, err = run_command("ensure_indexes", "--check", "--collection", "audit_logs")
    assert code == 3 and "1 collections checked, 1 differences" in err

    # --dry-run shows the plan and changes nothing
    code, out, _ = run_command("ensure_indexes", "--apply", "--dry-run")
    assert code == 0
    assert "would create audit_logs.audit_user_created" in out
    assert "audit_user_created" not in audit_logs().index_information()
    assert not AuditLog.objects.exists()

    code, out, _ = run_command("ensure_indexes", "--apply")
    assert code == 0 and "applied 1 index changes" in out
    assert audit_logs().index_information()["audit_user_created"]["key"] == [("user_id", 1), ("created_at", -1)]
    assert run_command("ensure_indexes", "--check", "--collection", "audit_logs")[0] == 0
    entry = AuditLog.objects.get(event_type="ops.indexes_applied")
    assert entry.user_id is None and entry.metadata["actor"] == "system"
    assert entry.metadata["created"] == ["audit_logs.audit_user_created"] and entry.metadata["dropped"] == []


def test_undeclared_index_is_reported_kept_or_dropped(run_command, repair_indexes) -> None:
    audit_logs().create_index([("ip_address", 1)], name="by_hand_ip")
    code, out, _ = run_command("ensure_indexes", "--check", "--collection", "audit_logs")
    assert code == 3 and "undeclared by_hand_ip {ip_address:1}" in out

    run_command("ensure_indexes", "--apply", "--keep-undeclared")
    assert "by_hand_ip" in audit_logs().index_information()

    code, out, _ = run_command("ensure_indexes", "--apply")
    assert code == 0 and "drop audit_logs.by_hand_ip" in out
    assert "by_hand_ip" not in audit_logs().index_information()


def test_changed_ttl_is_recreated(run_command, repair_indexes) -> None:
    audit_logs().drop_index("audit_created_ttl")
    audit_logs().create_index([("created_at", 1)], name="audit_created_ttl", expireAfterSeconds=60)
    code, out, _ = run_command("ensure_indexes", "--check", "--collection", "audit_logs")
    assert code == 3
    assert "changed    audit_created_ttl" in out and "expireAfterSeconds=60" in out

    run_command("ensure_indexes", "--apply", "--collection", "audit_logs")
    info = audit_logs().index_information()["audit_created_ttl"]
    assert info["expireAfterSeconds"] == 365 * 86400
    assert run_command("ensure_indexes", "--check", "--collection", "audit_logs")[0] == 0


def test_missing_collection_and_json_output(run_command, repair_indexes) -> None:
    connection.database.drop_collection("django_admin_log")
    code, out, _ = run_command("ensure_indexes", "--json", "--collection", "django_admin_log")
    assert code == 0
    body = json.loads(out)
    assert body["clean"] is False
    assert "django_admin_log: collection does not exist" in body["drift"]


def test_unknown_collection_is_a_usage_error(run_command) -> None:
    code, _, err = run_command("ensure_indexes", "--collection", "nope")
    assert code == 2 and "no model manages a collection named 'nope'" in err


def test_a_failure_midway_still_audits_the_indexes_already_changed(run_command, repair_indexes, monkeypatch) -> None:
    from sentimatrix.management.commands import ensure_indexes
    from sentimatrix.ops.schema import apply_action

    audit_logs().drop_index("audit_user_created")
    audit_logs().create_index([("ip_address", 1)], name="by_hand_ip")
    calls = []

    def second_fails(database, action):
        calls.append(f"{action.verb} {action.collection}.{action.spec.name}")
        if len(calls) == 2:
            raise RuntimeError("disk full")
        apply_action(database, action)

    monkeypatch.setattr(ensure_indexes, "apply_action", second_fails)
    code, _, err = run_command("ensure_indexes", "--apply", "--collection", "audit_logs")
    assert code == 1 and "RuntimeError: disk full" in err
    assert calls == ["drop audit_logs.by_hand_ip", "create audit_logs.audit_user_created"]  # drops come first
    entry = AuditLog.objects.get(event_type="ops.indexes_applied")
    assert entry.success is False
    assert entry.metadata["dropped"] == ["audit_logs.by_hand_ip"] and entry.metadata["created"] == []
    assert "disk full" in entry.metadata["error"]
