"""Webhook endpoints and deliveries (security.md 1): signed Standard Webhooks POSTs with a durable retry
schedule, auto-disable, and the SSRF guard at registration and at every attempt.

Flow: ``events_emit`` serializes the event once, stores one ``WebhookDelivery`` per matching endpoint
(status pending, ``next_attempt_at`` now) and enqueues ``integrations.deliver_webhook``. Each attempt
claims the delivery atomically (``find_one_and_update`` on status, due time and lease), signs the stored
bytes with the endpoint's current secret (and the previous one during its overlap), sends them through
``integrations.webhooks.transport.deliver`` and records the outcome. Later attempts are scheduled by
``next_attempt_at`` and picked up by the periodic ``integrations.dispatch_webhooks``, never by Celery
countdowns, so long waits survive restarts.

``resolver`` and ``transport_deliver`` are module attributes so tests can fake DNS and the network.
"""

from __future__ import annotations

import logging
import socket
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from django.conf import settings
from django.core.mail import send_mail
from django.db import connection
from django.utils import timezone
from pymongo import ReturnDocument
from rest_framework.exceptions import ValidationError

from audit.services import record
from integrations.crypto import DecryptionError, mask_key
from integrations.keys import decrypt_field, encrypt_field
from integrations.models import DeliveryRequest, Webhook, WebhookDelivery, WebhookStats
from integrations.webhooks import signing, transport
from integrations.webhooks.events import SUBSCRIBABLE_EVENT_TYPES, WEBHOOK_TEST
from integrations.webhooks.retry import next_attempt_delay
from integrations.webhooks.ssrf import BlockedDestination, ResolutionFailed, UnsafeUrl, vet_destination
from sentimatrix.api.errors import ConflictError
from sentimatrix.celery import BROKER_ERRORS

__all__ = [
    "delivery_attempt",
    "delivery_redeliver",
    "events_emit",
    "webhook_create",
    "webhook_delete",
    "webhook_dispatch_due",
    "webhook_rotate_secret",
    "webhook_send_test",
    "webhook_set_enabled",
    "webhook_signing_secrets",
    "webhook_update",
]

logger = logging.getLogger("sentimatrix.integrations.webhooks")

resolver = socket.getaddrinfo
transport_deliver = transport.deliver

COLLECTION = Webhook._meta.db_table
SECRET_FIELD = "encrypted_secret"
PREVIOUS_SECRET_FIELD = "previous_encrypted_secret"
MAX_OVERLAP_HOURS = 7 * 24  # security.md 1.2: overlap at most 7 days
RESPONSE_BODY_LIMIT = 4096
_RESPONSE_HEADER_LIMIT = 30
DISPATCH_BATCH = 500  # deliveries enqueued per dispatcher run; the next run takes the rest
_UNSET: Any = object()


def _deliveries() -> Any:
    return connection.get_collection(WebhookDelivery._meta.db_table)


def _webhooks() -> Any:
    return connection.get_collection(COLLECTION)


# --- endpoint management ---------------------------------------------------------------------------


def _vet_url(*, actor: Any, url: str) -> str:
    url = (url or "").strip()
    try:
        vet_destination(url, allow_http_localhost=settings.WEBHOOK_ALLOW_HTTP_LOCALHOST, resolver=resolver)
    except BlockedDestination as exc:
        record(
            event_type="webhook.destination_blocked",
            actor=actor,
            success=False,
            metadata={"stage": "registration", "reason": exc.reason},
        )
        raise ValidationError({"url": [f"This address is not allowed: {exc.reason}."]}) from None
    except UnsafeUrl as exc:
        raise ValidationError({"url": [f"{exc.reason}."]}) from None
    except ResolutionFailed as exc:
        raise ValidationError({"url": [f"The host could not be resolved ({exc.reason}); check the URL."]}) from None
    return url


def _clean_events(events: Any) -> list[str]:
    if not isinstance(events, list | tuple) or not events:
        raise ValidationError({"events": ["Choose at least one event."]})
    unknown = sorted({str(e) for e in events} - SUBSCRIBABLE_EVENT_TYPES)
    if unknown:
        raise ValidationError(
            {"events": [f"Unknown events {unknown}; choose from {sorted(SUBSCRIBABLE_EVENT_TYPES)}."]}
        )
    return sorted(set(events))


def _encrypt_secret(webhook: Webhook, secret: str, field: str) -> str:
    return encrypt_field(secret, owner_id=webhook.user_id, collection=COLLECTION, record_id=webhook.pk, field=field)


def _decrypt_secret(webhook: Webhook, token: str, field: str) -> str:
    return decrypt_field(token, owner_id=webhook.user_id, collection=COLLECTION, record_id=webhook.pk, field=field)


def webhook_signing_secrets(webhook: Webhook, *, now: datetime | None = None) -> list[str]:
    """Current secret, then the previous one while its overlap window is open (worker side only)."""
    now = now or timezone.now()
    secrets = [_decrypt_secret(webhook, webhook.encrypted_secret, SECRET_FIELD)]
    if (
        webhook.previous_encrypted_secret
        and webhook.previous_secret_expires_at is not None
        and webhook.previous_secret_expires_at > now
    ):
        secrets.append(_decrypt_secret(webhook, webhook.previous_encrypted_secret, PREVIOUS_SECRET_FIELD))
    return secrets


def webhook_create(
    *, actor: Any, url: str, events: list[str], label: str = "", project: Any = None
) -> tuple[Webhook, str]:
    """Register an endpoint. Returns it and its signing secret, which is never shown again."""
    if Webhook.objects.filter(user=actor).count() >= settings.WEBHOOK_MAX_PER_USER:
        raise ConflictError(
            f"You already have {settings.WEBHOOK_MAX_PER_USER} webhooks; delete one first.", code="too_many_webhooks"
        )
    url = _vet_url(actor=actor, url=url)
    events = _clean_events(events)
    secret = signing.generate_secret()
    webhook = Webhook(pk=ObjectId(), user=actor, project=project, url=url, events=events, label=(label or "")[:100])
    webhook.encrypted_secret = _encrypt_secret(webhook, secret, SECRET_FIELD)
    webhook.secret_hint = mask_key(secret)
    webhook.stats = WebhookStats()
    webhook.save(force_insert=True)
    record(
        event_type="webhook.created",
        actor=actor,
        metadata={"webhook_id": str(webhook.pk), "url": url, "events": events, "project_id": _str_or_none(project)},
    )
    return webhook, secret


def _str_or_none(obj: Any) -> str | None:
    return None if obj is None else str(getattr(obj, "pk", obj))


def webhook_update(
    *, actor: Any, webhook: Webhook, url: str | None = None, events: list[str] | None = None,
    label: str | None = None, project: Any = _UNSET,
) -> Webhook:  # fmt: skip
    changed: list[str] = []
    if url is not None and url.strip() != webhook.url:
        webhook.url = _vet_url(actor=actor, url=url)
        changed.append("url")
    if events is not None:
        webhook.events = _clean_events(events)
        changed.append("events")
    if label is not None:
        webhook.label = label[:100]
        changed.append("label")
    if project is not _UNSET:
        webhook.project = project
        changed.append("project")
    if changed:
        webhook.save(update_fields=[*changed, "updated_at"])
        record(
            event_type="webhook.updated",
            actor=actor,
            metadata={"webhook_id": str(webhook.pk), "fields": changed, "url": webhook.url},
        )
    return webhook


def webhook_delete(*, actor: Any, webhook: Webhook) -> None:
    webhook_id, url = str(webhook.pk), webhook.url
    WebhookDelivery.objects.filter(webhook=webhook).delete()
    Webhook.objects.filter(pk=webhook.pk, user=webhook.user_id).delete()
    record(event_type="webhook.deleted", actor=actor, metadata={"webhook_id": webhook_id, "url": url})


def webhook_set_enabled(*, actor: Any, webhook: Webhook, enabled: bool) -> Webhook:
    """Enable (resets the failure counter; paused deliveries stay paused until redelivered) or disable."""
    if enabled:
        updates = {"enabled": True, "consecutive_failures": 0, "disabled_reason": "", "disabled_at": None}
    else:
        updates = {"enabled": False, "disabled_reason": "disabled by the owner", "disabled_at": timezone.now()}
    Webhook.objects.filter(pk=webhook.pk).update(**updates, updated_at=timezone.now())
    if not enabled:
        _pause_pending(webhook)
    webhook.refresh_from_db()
    record(
        event_type="webhook.enabled" if enabled else "webhook.disabled",
        actor=actor,
        metadata={"webhook_id": str(webhook.pk)},
    )
    return webhook


def webhook_rotate_secret(*, actor: Any, webhook: Webhook, overlap_hours: int | None = None) -> tuple[Webhook, str]:
    """New current secret; the old one keeps signing for ``overlap_hours`` (default 24, 0 = revoke now)."""
    hours = settings.WEBHOOK_SECRET_OVERLAP_HOURS if overlap_hours is None else overlap_hours
    if not 0 <= hours <= MAX_OVERLAP_HOURS:
        raise ValidationError({"overlap_hours": [f"Choose between 0 and {MAX_OVERLAP_HOURS} hours."]})
    now = timezone.now()
    try:
        old_plain: str | None = _decrypt_secret(webhook, webhook.encrypted_secret, SECRET_FIELD)
    except DecryptionError:
        old_plain = None  # unreadable (altered, or its key is gone): rotating is the fix, without overlap
        hours = 0
    secret = signing.generate_secret()
    webhook.encrypted_secret = _encrypt_secret(webhook, secret, SECRET_FIELD)
    webhook.secret_hint = mask_key(secret)
    if hours and old_plain is not None:
        webhook.previous_encrypted_secret = _encrypt_secret(webhook, old_plain, PREVIOUS_SECRET_FIELD)
        webhook.previous_secret_expires_at = now + timedelta(hours=hours)
    else:
        webhook.previous_encrypted_secret = None
        webhook.previous_secret_expires_at = None
    del old_plain
    webhook.save(
        update_fields=[
            "encrypted_secret", "secret_hint", "previous_encrypted_secret", "previous_secret_expires_at", "updated_at",
        ]
    )  # fmt: skip
    record(
        event_type="webhook.secret_rotated",
        actor=actor,
        metadata={"webhook_id": str(webhook.pk), "overlap_hours": hours},
    )
    return webhook, secret


# --- events and deliveries ---------------------------------------------------------------------------


def _new_delivery(
    *, webhook: Webhook, event_type: str, body: bytes, project_id: Any, now: datetime, is_test: bool = False
) -> WebhookDelivery:
    message_id = signing.new_message_id()
    delivery = WebhookDelivery(
        webhook=webhook,
        user_id=webhook.user_id,
        project_id=project_id,
        event=event_type,
        is_test=is_test,
        message_id=message_id,
        status=WebhookDelivery.Status.PENDING,
        request=DeliveryRequest(
            url=webhook.url,
            headers={"content-type": "application/json", "webhook-id": message_id},
            body=body.decode("utf-8"),
        ),
        next_attempt_at=now,
        enqueued_until=now + timedelta(seconds=settings.WEBHOOK_CLAIM_LEASE_SECONDS),
        created_at=now,
    )
    delivery.save(force_insert=True)
    return delivery


def _enqueue(delivery_id: Any) -> None:
    from integrations.tasks import deliver_webhook

    deliver_webhook.delay(delivery_id=str(delivery_id))


def events_emit(*, event_type: str, user: Any, project: Any = None, data: dict[str, Any]) -> int:
    """Create a delivery for each enabled webhook of ``user`` subscribed to ``event_type`` (and scoped to
    ``project`` or unscoped) and enqueue sending. Returns how many deliveries were created.

    Never raises into the caller: a failure here is logged and must not fail the job that emitted.
    """
    created = 0
    try:
        user_id = getattr(user, "pk", user)
        project_id = None if project is None else getattr(project, "pk", project)
        if project_id is not None and not isinstance(project_id, ObjectId):
            project_id = ObjectId(str(project_id))
        hooks = Webhook.objects.filter(user=user_id, enabled=True, events__contains=[event_type])
        targets = [h for h in hooks if h.project_id is None or h.project_id == project_id]
        if not targets:
            return 0
        now = timezone.now()
        payload = dict(data)
        if project_id is not None:
            payload.setdefault("project_id", str(project_id))
        body = signing.encode_body(event_type, payload, now)  # serialized once; every attempt sends these bytes
        for webhook in targets:
            delivery = _new_delivery(webhook=webhook, event_type=event_type, body=body, project_id=project_id, now=now)
            created += 1
            try:
                _enqueue(delivery.pk)
            except Exception:  # broker down: the dispatcher picks it up when enqueued_until passes
                logger.exception("could not enqueue webhook delivery %s", delivery.pk)
    except Exception:
        logger.exception("events_emit(%s) failed after %d deliveries", event_type, created)
    return created


def _pause_pending(webhook: Webhook) -> int:
    result = _deliveries().update_many(
        {"webhook_id": webhook.pk, "status": WebhookDelivery.Status.PENDING},
        {"$set": {"status": WebhookDelivery.Status.PAUSED, "next_attempt_at": None}},
    )
    return result.modified_count


def _disable(webhook_id: Any, *, reason: str, last_error: str) -> bool:
    """Disable once (conditional update), pause its pending deliveries, audit, tell the owner by email."""
    now = timezone.now()
    doc = _webhooks().find_one_and_update(
        {"_id": webhook_id, "enabled": True},
        {"$set": {"enabled": False, "disabled_reason": reason[:200], "disabled_at": now, "updated_at": now}},
        return_document=ReturnDocument.AFTER,
    )
    if doc is None:
        return False
    webhook = Webhook.objects.select_related("user").get(pk=webhook_id)
    paused = _pause_pending(webhook)
    record(
        event_type="webhook.endpoint_disabled",
        actor=None,
        user=webhook.user,
        success=False,
        metadata={"webhook_id": str(webhook.pk), "reason": reason, "last_error": last_error[:300], "paused": paused},
    )
    try:
        send_mail(
            subject="A webhook endpoint was disabled",
            message=(
                f"Sentimatrix stopped sending to {webhook.url} ({reason}). Last error: {last_error[:300]}\n"
                f"{paused} undelivered events are paused; re-enable the endpoint and redeliver them when it is fixed."
            ),
            from_email=None,
            recipient_list=[webhook.user.email],
            fail_silently=True,
        )
    except Exception:  # mail trouble must not break delivery bookkeeping
        logger.exception("could not email the owner of webhook %s", webhook.pk)
    return True


def _response_headers(headers: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in list(dict(headers or {}).items())[:_RESPONSE_HEADER_LIMIT]:
        key = str(name).lower().replace(".", "_").lstrip("$")  # MongoDB keys may not contain '.' or start with '$'
        out[key] = str(value)[:500]
    return out


def _claim(delivery_id: ObjectId, now: datetime) -> dict[str, Any] | None:
    lease = now + timedelta(seconds=settings.WEBHOOK_CLAIM_LEASE_SECONDS)
    return _deliveries().find_one_and_update(
        {
            "_id": delivery_id,
            "status": WebhookDelivery.Status.PENDING,
            "next_attempt_at": {"$lte": now},
            "$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}],
        },
        {"$set": {"lease_until": lease}, "$inc": {"attempts": 1}},
        return_document=ReturnDocument.AFTER,
    )


def delivery_attempt(*, delivery_id: Any, now: datetime | None = None) -> WebhookDelivery | None:
    """Make one attempt if the delivery is due and not held by another worker; None when not claimed."""
    now = now or timezone.now()
    oid = delivery_id if isinstance(delivery_id, ObjectId) else ObjectId(str(delivery_id))
    claimed = _claim(oid, now)
    if claimed is None:
        return None
    attempt_number = claimed["attempts"]
    is_test = bool(claimed.get("is_test"))
    webhook = Webhook.objects.filter(pk=claimed["webhook_id"]).first()
    if webhook is None:
        _deliveries().update_one(
            {"_id": oid}, {"$set": {"status": "failed", "error": "endpoint deleted", "lease_until": None}}
        )
        return WebhookDelivery.objects.filter(pk=oid).first()
    if not webhook.enabled and not is_test:
        _deliveries().update_one(
            {"_id": oid},
            {"$set": {"status": "paused", "next_attempt_at": None, "lease_until": None}, "$inc": {"attempts": -1}},
        )
        return WebhookDelivery.objects.filter(pk=oid).first()

    body = claimed["request"]["body"].encode("utf-8")
    message_id = claimed["message_id"]
    timestamp = int(now.timestamp())
    try:
        secrets = webhook_signing_secrets(webhook, now=now)
    except DecryptionError as exc:
        # Nothing unsigned is ever sent. Permanent until the owner rotates the secret.
        _deliveries().update_one(
            {"_id": oid},
            {"$set": {"status": "failed", "error": f"signing secret unreadable: {exc}"[:1000], "next_attempt_at": None,
                      "lease_until": None, "enqueued_until": None, "last_attempt_at": now}},
        )  # fmt: skip
        record(
            event_type="webhook.secret_unreadable",
            actor=None,
            user=webhook.user,
            success=False,
            metadata={"webhook_id": str(webhook.pk), "reason": str(exc)},
        )
        return WebhookDelivery.objects.filter(pk=oid).first()
    headers = {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signing.signature_header(secrets, message_id, timestamp, body),
    }
    outcome = transport_deliver(
        webhook.url,
        headers=headers,
        body=body,
        resolver=resolver,
        allow_http_localhost=settings.WEBHOOK_ALLOW_HTTP_LOCALHOST,
        connect_timeout=settings.WEBHOOK_CONNECT_TIMEOUT,
        total_timeout=settings.WEBHOOK_TOTAL_TIMEOUT,
        max_body=RESPONSE_BODY_LIMIT,
    )
    result = outcome.result
    response = None
    if outcome.status_code is not None:
        response = {
            "status_code": outcome.status_code,
            "headers": _response_headers(outcome.headers),
            "body": outcome.body_excerpt[:RESPONSE_BODY_LIMIT],
            "time_ms": outcome.elapsed_ms,
        }
    error = outcome.error or ("" if result == "success" else f"HTTP {outcome.status_code}")
    updates: dict[str, Any] = {
        "request.url": webhook.url,
        "request.headers": headers,
        "response": response,
        "error": error[:1000],
        "last_attempt_at": now,
        "lease_until": None,
        "enqueued_until": None,  # the message that brought this attempt is consumed; the dispatcher may enqueue again
    }
    if result == "success":
        updates.update(status="success", delivered_at=now, next_attempt_at=None)
    else:
        delay = None
        if result == "failure" and not is_test:
            delay = next_attempt_delay(attempt_number, retry_after=outcome.retry_after)
        if delay is None:
            updates.update(status="failed", next_attempt_at=None)
        else:
            updates.update(status="pending", next_attempt_at=now + timedelta(seconds=delay))
    _deliveries().update_one({"_id": oid, "attempts": attempt_number}, {"$set": updates})

    if outcome.blocked:
        record(
            event_type="webhook.destination_blocked",
            actor=None,
            user=webhook.user,
            success=False,
            metadata={"stage": "delivery", "webhook_id": str(webhook.pk), "reason": outcome.error or ""},
        )
    if not is_test:
        _count_outcome(webhook, result=result, now=now, error=error)
    return WebhookDelivery.objects.filter(pk=oid).first()


def _count_outcome(webhook: Webhook, *, result: str, now: datetime, error: str) -> None:
    stats_inc = {"stats.total_deliveries": 1}
    if result == "success":
        stats_inc["stats.successful_deliveries"] = 1
        _webhooks().update_one(
            {"_id": webhook.pk},
            {
                "$inc": stats_inc,
                "$set": {"consecutive_failures": 0, "stats.last_delivery": now, "stats.last_status": "success"},
            },
        )
        return
    stats_inc["stats.failed_deliveries"] = 1
    doc = _webhooks().find_one_and_update(
        {"_id": webhook.pk},
        {
            "$inc": {**stats_inc, "consecutive_failures": 1},
            "$set": {"stats.last_delivery": now, "stats.last_status": "failed"},
        },
        return_document=ReturnDocument.AFTER,
    )
    if doc is None:
        return
    if result == "gone":
        _disable(webhook.pk, reason="the receiver answered 410 Gone", last_error=error)
    elif doc.get("consecutive_failures", 0) >= settings.WEBHOOK_DISABLE_AFTER_FAILURES:
        _disable(
            webhook.pk,
            reason=f"{doc['consecutive_failures']} consecutive failed attempts",
            last_error=error,
        )


def webhook_send_test(*, actor: Any, webhook: Webhook) -> WebhookDelivery:
    """Send a ``webhook.test`` event now (synchronously, one attempt) and return the recorded delivery."""
    now = timezone.now()
    body = signing.encode_body(
        WEBHOOK_TEST,
        {"webhook_id": str(webhook.pk), "message": "This is a test event from Sentimatrix Studio."},
        now,
    )
    delivery = _new_delivery(
        webhook=webhook, event_type=WEBHOOK_TEST, body=body, project_id=webhook.project_id, now=now, is_test=True
    )
    result = delivery_attempt(delivery_id=delivery.pk, now=now) or delivery
    record(
        event_type="webhook.test_sent",
        actor=actor,
        success=result.status == WebhookDelivery.Status.SUCCESS,
        metadata={"webhook_id": str(webhook.pk), "delivery_id": str(delivery.pk), "status": result.status},
    )
    return result


def delivery_redeliver(*, actor: Any, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again: same ``webhook-id`` and body (consumers dedupe on the id), schedule restarted.

    The reset is the change; the enqueue only makes it go out at once. When the broker refuses the
    message the delivery stays pending and due, the mark that holds off the dispatcher is cleared, and
    ``webhook_dispatch_due`` (beat, every WEBHOOK_DISPATCH_INTERVAL_SECONDS) enqueues it once the broker is back.
    """
    webhook = Webhook.objects.filter(pk=delivery.webhook_id).first()
    if webhook is None or not webhook.enabled:
        raise ConflictError("The endpoint is disabled; enable it before redelivering.", code="webhook_disabled")
    now = timezone.now()
    claimed = _deliveries().find_one_and_update(
        {"_id": delivery.pk, "$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}]},
        {
            "$set": {
                "status": WebhookDelivery.Status.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "enqueued_until": now + timedelta(seconds=settings.WEBHOOK_CLAIM_LEASE_SECONDS),
                "is_test": False,
            }
        },
    )
    if claimed is None:
        raise ConflictError("This delivery is being sent right now; try again in a minute.", code="delivery_in_flight")
    record(
        event_type="webhook.redelivered",
        actor=actor,
        metadata={"webhook_id": str(webhook.pk), "delivery_id": str(delivery.pk), "event": delivery.event},
    )
    try:
        _enqueue(delivery.pk)
    except BROKER_ERRORS:
        # Only broker errors: with eager tasks a bug inside the task must surface, not read as "queue down".
        logger.exception("could not enqueue redelivery %s; the dispatcher sends it", delivery.pk)
        _deliveries().update_one(
            {"_id": delivery.pk, "status": WebhookDelivery.Status.PENDING}, {"$set": {"enqueued_until": None}}
        )
    delivery.refresh_from_db()
    return delivery


def webhook_dispatch_due(*, now: datetime | None = None, limit: int = DISPATCH_BATCH) -> int:
    """Enqueue one attempt for each due delivery not already enqueued recently. Safe to run concurrently:
    each delivery is marked with a conditional update before it is enqueued."""
    now = now or timezone.now()
    lease = now + timedelta(seconds=settings.WEBHOOK_CLAIM_LEASE_SECONDS)
    due = {
        "status": WebhookDelivery.Status.PENDING,
        "next_attempt_at": {"$lte": now},
        "$and": [
            {"$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}]},
            {"$or": [{"enqueued_until": None}, {"enqueued_until": {"$lt": now}}]},
        ],
    }
    enqueued = 0
    for _ in range(limit):
        doc = _deliveries().find_one_and_update(
            due, {"$set": {"enqueued_until": lease}}, sort=[("next_attempt_at", 1)], projection={"_id": 1}
        )
        if doc is None:
            break
        _enqueue(doc["_id"])
        enqueued += 1
    return enqueued
