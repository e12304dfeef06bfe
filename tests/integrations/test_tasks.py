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


def _production(**env: str) -> subprocess.CompletedProcess:
    base = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SECRET_KEY": "x" * 60,
        "MONGODB_URI": "mongodb://db.example/sentimatrix",
        "DJANGO_ALLOWED_HOSTS": "example.com",
        "DJANGO_DEBUG": "false",
    }
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import sentimatrix.settings.production as p; print(p.SENTIMATRIX_ALLOW_DEV_FIELD_KEYS)",
        ],
        env={**base, **env},
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
