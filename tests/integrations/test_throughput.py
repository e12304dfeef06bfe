"""Cost of the delivery path on the emulated engine (fake network): 100 events, each stored, claimed,
signed, "sent" and counted. Read the time with ``pytest --durations=1``; the bound only catches regressions
by an order of magnitude."""

from __future__ import annotations

import time

import pytest

from integrations.models import WebhookDelivery
from integrations.services import events_emit, webhook_create
from integrations.services import webhooks as webhook_services
from integrations.webhooks.transport import DeliveryOutcome

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_hundred_deliveries(user, monkeypatch):
    monkeypatch.setattr(webhook_services, "resolver", lambda host, port, **kw: [(2, 1, 6, "", ("93.184.216.34", 443))])
    monkeypatch.setattr(webhook_services, "transport_deliver", lambda url, **kw: DeliveryOutcome(status_code=204))
    webhook_create(actor=user, url="https://hooks.example.com/a", events=["results.new"])
    started = time.perf_counter()
    for i in range(100):
        assert events_emit(event_type="results.new", user=user, data={"job_id": f"j{i}", "count": i}) == 1
    elapsed = time.perf_counter() - started
    assert WebhookDelivery.objects.filter(status="success").count() == 100
    assert elapsed < 30, f"100 deliveries took {elapsed:.1f} s"
