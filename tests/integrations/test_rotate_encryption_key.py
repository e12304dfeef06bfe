"""rotate_encryption_key: re-encrypts API keys and webhook secrets (current and previous) to the primary key,
resumable, idempotent, with counts; tampered rows are reported, never carried forward."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditLog
from integrations.crypto import generate_keyring_entry
from integrations.models import ApiKey, Webhook
from integrations.services import api_key_decrypt, webhook_create, webhook_rotate_secret
from integrations.services import webhooks as webhook_services
from integrations.services.rotation import secrets_rotate
from integrations.services.webhooks import webhook_signing_secrets
from tests.factories_integrations import make_api_key

pytestmark = pytest.mark.django_db

K1, K2 = generate_keyring_entry("k1"), generate_keyring_entry("k2")


def run(*args: str) -> str:
    out = StringIO()
    call_command("rotate_encryption_key", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def old_data(settings, user, other_user, monkeypatch):
    monkeypatch.setattr(webhook_services, "resolver", lambda host, port, **kw: [(2, 1, 6, "", ("93.184.216.34", 443))])
    settings.SENTIMATRIX_FIELD_KEYS = K1
    settings.SENTIMATRIX_FIELD_KEY_PRIMARY = "k1"
    keys = [
        make_api_key(user=u, key=f"sk-rotate-{i}-000000000000000000000000")
        for i, u in enumerate([user, other_user, user])
    ]
    webhook, _ = webhook_create(actor=user, url="https://hooks.example.com/a", events=["job.completed"])
    webhook, secret = webhook_rotate_secret(actor=user, webhook=webhook)  # has a previous secret too
    # promote k2
    settings.SENTIMATRIX_FIELD_KEYS = f"{K1},{K2}"
    settings.SENTIMATRIX_FIELD_KEY_PRIMARY = "k2"
    return keys, webhook, secret


def test_rotation_moves_everything_and_second_run_changes_nothing(old_data, settings):
    keys, webhook, secret = old_data
    out = run()
    assert "checked=5 rotated=5 conflicts=0 failed=0" in out
    assert all(k.startswith("v1:k2:") for k in ApiKey.objects.values_list("encrypted_key", flat=True))
    webhook.refresh_from_db()
    assert webhook.encrypted_secret.startswith("v1:k2:") and webhook.previous_encrypted_secret.startswith("v1:k2:")
    before = list(ApiKey.objects.order_by("pk").values_list("encrypted_key", flat=True))
    assert "checked=0 rotated=0" in run()
    assert list(ApiKey.objects.order_by("pk").values_list("encrypted_key", flat=True)) == before
    # the old key can now be removed and everything still decrypts
    settings.SENTIMATRIX_FIELD_KEYS = K2
    assert sorted(api_key_decrypt(k) for k in ApiKey.objects.all()) == sorted(
        f"sk-rotate-{i}-000000000000000000000000" for i in range(3)
    )
    assert webhook_signing_secrets(webhook)[0] == secret
    event = AuditLog.objects.filter(event_type="encryption.keys_rotated").first()
    assert event.metadata["rotated"] == 0  # the latest run
    assert AuditLog.objects.filter(event_type="encryption.keys_rotated").count() == 2


def test_dry_run_writes_nothing(old_data):
    out = run("--dry-run")
    assert "would rotate=5" in out
    assert all(k.startswith("v1:k1:") for k in ApiKey.objects.values_list("encrypted_key", flat=True))
    assert not AuditLog.objects.filter(event_type="encryption.keys_rotated").exists()


def test_resumable_with_limit(old_data):
    assert "rotated=2" in run("--limit", "2", "--batch", "1")
    assert ApiKey.objects.filter(encrypted_key__startswith="v1:k1:").count() == 1
    assert "checked=3 rotated=3" in run("--batch", "2")
    assert "checked=0" in run()


def test_tampered_row_is_reported_and_left_alone(old_data):
    keys, _, _ = old_data
    other = ApiKey.objects.exclude(user=keys[0].user).get()
    ApiKey.objects.filter(pk=keys[0].pk).update(encrypted_key=other.encrypted_key)  # moved ciphertext
    with pytest.raises(CommandError, match="1 stored secrets could not be decrypted"):
        run()
    assert ApiKey.objects.get(pk=keys[0].pk).encrypted_key.startswith("v1:k1:")
    assert ApiKey.objects.filter(encrypted_key__startswith="v1:k2:").count() == 2
    assert Webhook.objects.filter(encrypted_secret__startswith="v1:k2:").count() == 1


def test_limit_counts_rotated_rows_so_bad_rows_first_do_not_stall_resumed_runs(old_data):
    keys, webhook, _ = old_data
    first, second = sorted(keys, key=lambda k: k.pk)[:2]
    # Two undecryptable rows sort before every good one: ciphertexts swapped between records.
    ApiKey.objects.filter(pk=first.pk).update(encrypted_key=second.encrypted_key)
    ApiKey.objects.filter(pk=second.pk).update(encrypted_key=first.encrypted_key)
    report = secrets_rotate(limit=2, batch_size=1)
    assert (report.rotated, len(report.failed)) == (2, 2), report.as_dict()
    report = secrets_rotate(limit=2, batch_size=1)
    assert (report.rotated, len(report.failed)) == (1, 2), report.as_dict()
    assert secrets_rotate(limit=2).rotated == 0
    assert ApiKey.objects.filter(encrypted_key__startswith="v1:k2:").count() == 1
    webhook.refresh_from_db()
    assert webhook.encrypted_secret.startswith("v1:k2:") and webhook.previous_encrypted_secret.startswith("v1:k2:")
