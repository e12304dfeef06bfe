"""Task names are pinned (renaming strands queued messages); routing and the beat entry exist; production
settings refuse to start without usable stored-secret keys."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

from django.conf import settings

from integrations.crypto import generate_keyring_entry
from integrations.tasks import deliver_webhook, dispatch_webhooks


def test_task_names_and_routes():
    assert deliver_webhook.name == "integrations.deliver_webhook"
    assert dispatch_webhooks.name == "integrations.dispatch_webhooks"
    from sentimatrix.celery import app

    route = app.amqp.router.route({}, deliver_webhook.name)
    assert route["queue"].name == "webhooks"
    entry = settings.CELERY_BEAT_SCHEDULE["integrations.dispatch_webhooks"]
    assert entry["task"] == "integrations.dispatch_webhooks"


def _production(*, show: str = "p.SENTIMATRIX_ALLOW_DEV_FIELD_KEYS", **env: str | None) -> subprocess.CompletedProcess:
    base = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SECRET_KEY": "x" * 60,
        "MONGODB_URI": "mongodb://db.example/sentimatrix",
        "DJANGO_ALLOWED_HOSTS": "example.com",
        "DJANGO_DEBUG": "false",
    }
    return subprocess.run(  # noqa: S603 - our interpreter and a settings expression chosen by the test
        [
            sys.executable,
            "-c",
            f"import sentimatrix.settings.production as p; print({show})",
        ],
        env={key: value for key, value in {**base, **env}.items() if value is not None},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=60,
    )


def test_production_requires_usable_keys():
    fingerprint = base64.b64encode(b"f" * 32).decode()
    good = _production(
        SENTIMATRIX_FIELD_KEYS=generate_keyring_entry("k1"),
        SENTIMATRIX_FIELD_KEY_PRIMARY="k1",
        FIELD_FINGERPRINT_KEY=fingerprint,
    )
    assert good.returncode == 0, good.stderr
    assert good.stdout.strip() == "False"
    missing = _production(FIELD_FINGERPRINT_KEY=fingerprint)
    assert "SENTIMATRIX_FIELD_KEYS" in missing.stderr
    bad = _production(
        SENTIMATRIX_FIELD_KEYS="k1:abc", SENTIMATRIX_FIELD_KEY_PRIMARY="k1", FIELD_FINGERPRINT_KEY=fingerprint
    )
    assert "Stored-secret keys are unusable" in bad.stderr


def test_production_never_allows_http_webhooks_to_localhost_even_with_debug_unset():
    # base.py's DEBUG defaults to true when DJANGO_DEBUG is unset; production must not inherit the
    # localhost allowance derived from it.
    unset = _production(
        show="p.DEBUG, p.WEBHOOK_ALLOW_HTTP_LOCALHOST",
        DJANGO_DEBUG=None,
        SENTIMATRIX_FIELD_KEYS=generate_keyring_entry("k1"),
        SENTIMATRIX_FIELD_KEY_PRIMARY="k1",
        FIELD_FINGERPRINT_KEY=base64.b64encode(b"f" * 32).decode(),
    )
    assert unset.returncode == 0, unset.stderr
    assert unset.stdout.strip() == "False False"
