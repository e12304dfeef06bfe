"""Celery adapters for webhook delivery. Ids in, one service call, nothing returned.

``integrations.deliver_webhook`` runs on the ``webhooks`` queue (CELERY_TASK_ROUTES ``integrations.deliver_*``);
``integrations.dispatch_webhooks`` runs from beat every WEBHOOK_DISPATCH_INTERVAL_SECONDS and enqueues due
retries. Retries are never Celery countdowns (security.md 1.3): they live in ``next_attempt_at``.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(name="integrations.deliver_webhook", ignore_result=True, acks_late=True, soft_time_limit=60, time_limit=90)
def deliver_webhook(*, delivery_id: str) -> None:
    from integrations.services.webhooks import delivery_attempt

    delivery_attempt(delivery_id=delivery_id)


@shared_task(
    name="integrations.dispatch_webhooks", ignore_result=True, acks_late=True, soft_time_limit=60, time_limit=90
)
def dispatch_webhooks() -> None:
    from integrations.services.webhooks import webhook_dispatch_due

    webhook_dispatch_due()
