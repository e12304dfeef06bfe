"""Integrations write services. Cross-app contract (DJANGO.md): ``events_emit``, ``api_key_secret_for``,
``api_key_mark_invalid``; the rest serve this app's API, admin, tasks and commands."""

from integrations.services.alerts import (
    alert_evaluate_analysis_job,
    alert_record_job_sentiment,
    alert_rule_set,
    alert_sentiment_drop,
)
from integrations.services.api_keys import (
    api_key_create,
    api_key_decrypt,
    api_key_delete,
    api_key_mark_invalid,
    api_key_rename,
    api_key_secret_for,
    api_key_validate,
)
from integrations.services.webhooks import (
    delivery_attempt,
    delivery_redeliver,
    events_emit,
    webhook_create,
    webhook_delete,
    webhook_dispatch_due,
    webhook_rotate_secret,
    webhook_send_test,
    webhook_set_enabled,
    webhook_update,
)

__all__ = [
    "alert_evaluate_analysis_job",
    "alert_record_job_sentiment",
    "alert_rule_set",
    "alert_sentiment_drop",
    "delivery_attempt",
    "delivery_redeliver",
    "events_emit",
    "webhook_create",
    "webhook_delete",
    "webhook_dispatch_due",
    "webhook_rotate_secret",
    "webhook_send_test",
    "webhook_set_enabled",
    "webhook_update",
    "api_key_create",
    "api_key_decrypt",
    "api_key_delete",
    "api_key_mark_invalid",
    "api_key_rename",
    "api_key_secret_for",
    "api_key_validate",
]
