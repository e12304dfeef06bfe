"""Factories for integrations. Records are created through the services so secrets are really encrypted."""

from __future__ import annotations

import itertools

from tests.factories_accounts import UserFactory

_counter = itertools.count(1)


def make_api_key(*, user=None, provider: str = "openai", key: str | None = None, name: str = ""):
    from integrations.services import api_key_create

    user = user or UserFactory()
    key = key or f"sk-test-{next(_counter):04d}-abcdefghijklmnopqrstuvwxyz"
    return api_key_create(actor=user, provider=provider, name=name or provider, key=key)


# A public IP literal: registration checks it without DNS, so factories never touch the network. Deliveries
# still go through the (faked or real) transport; tests that send must fake ``webhooks.transport_deliver``.
WEBHOOK_URL = "https://93.184.216.34/sentimatrix-hook"


def make_webhook(*, user=None, events=("job.completed",), label: str = "", project=None, url: str = WEBHOOK_URL):
    """A webhook and its plaintext secret: ``(webhook, secret)``."""
    from integrations.services import webhook_create

    user = user or UserFactory()
    return webhook_create(actor=user, url=url, events=list(events), label=label, project=project)


def make_delivery(*, webhook, event: str = "job.completed", data: dict | None = None):
    """A stored, pending delivery for ``webhook`` (not sent)."""
    from django.utils import timezone

    from integrations.services.webhooks import _new_delivery
    from integrations.webhooks.signing import encode_body

    now = timezone.now()
    body = encode_body(event, data or {"marker": "delivery"}, now)
    return _new_delivery(webhook=webhook, event_type=event, body=body, project_id=webhook.project_id, now=now)


def make_alert(*, project, job_id: str = "job-1", data: dict | None = None):
    from integrations.models import Alert

    return Alert.objects.create(
        project=project, user_id=project.user_id, job_id=job_id, data=data or {"metric": "negative_share"}
    )
