"""Webhook endpoints and deliveries: CRUD, secrets shown once, rotation overlap, retries with a faked clock,
auto-disable, SSRF at registration and at delivery, events_emit. The network is faked (no sockets)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from audit.models import AuditLog
from integrations.models import Webhook, WebhookDelivery
from integrations.services import (
    delivery_attempt,
    events_emit,
    webhook_create,
    webhook_dispatch_due,
    webhook_rotate_secret,
)
from integrations.services import webhooks as webhook_services
from integrations.webhooks.transport import DeliveryOutcome
from tests.factories_projects import ProjectFactory

pytestmark = pytest.mark.django_db

PUBLIC_IP = "93.184.216.34"
URL = "https://hooks.example.com/sentimatrix"


def _addrinfo(ip: str):
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    return [(family, socket.SOCK_STREAM, 6, "", (ip, 443))]


class FakeNetwork:
    """Stands in for transport.deliver: records what would be sent and answers from a script."""

    def __init__(self):
        self.sent: list[dict] = []
        self.answers: list[DeliveryOutcome] = []

    def reply(self, *outcomes: DeliveryOutcome) -> None:
        self.answers.extend(outcomes)

    def __call__(self, url, *, headers, body, resolver, allow_http_localhost, **kwargs):
        self.sent.append({"url": url, "headers": dict(headers), "body": body})
        if self.answers:
            return self.answers.pop(0)
        return DeliveryOutcome(status_code=200, body_excerpt="ok", elapsed_ms=12)


def ok(status: int = 200, **kw) -> DeliveryOutcome:
    return DeliveryOutcome(status_code=status, body_excerpt=kw.pop("body", "ok"), elapsed_ms=15, **kw)


def down(error: str = "connect_error: refused") -> DeliveryOutcome:
    return DeliveryOutcome(status_code=None, error=error, elapsed_ms=3)


@pytest.fixture
def net(monkeypatch):
    network = FakeNetwork()
    monkeypatch.setattr(webhook_services, "transport_deliver", network)
    monkeypatch.setattr(webhook_services, "resolver", lambda host, port, **kw: _addrinfo(PUBLIC_IP))
    return network


def independent_verify(secret: str, headers: dict, body: bytes, *, now: int, tolerance: int = 300) -> bool:
    """A receiver's check written from the Standard Webhooks spec, not with the project's signing code."""
    msg_id, ts = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(now - int(ts)) > tolerance:
        return False
    key = base64.b64decode(secret.split("_", 1)[1])
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()).decode()
    return any(
        part.startswith("v1,") and hmac.compare_digest(part[3:], expected)
        for part in headers["webhook-signature"].split(" ")
    )


def _raw_webhook(webhook) -> dict:
    return connection.database["webhooks"].find_one({"_id": webhook.pk})


# --- CRUD and secrets ---------------------------------------------------------------------------------


def test_create_shows_secret_once_and_stores_it_encrypted(api, user, net):
    resp = api.post("/api/v1/webhooks", {"url": URL, "events": ["job.completed", "job.failed"]}, format="json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    secret = body["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    raw = _raw_webhook(Webhook.objects.get(pk=body["id"]))
    assert secret not in json.dumps(raw, default=str)
    assert raw["encrypted_secret"].startswith("v1:")
    # never again
    for resp in (api.get(f"/api/v1/webhooks/{body['id']}"), api.get("/api/v1/webhooks")):
        assert secret not in resp.content.decode()
        assert "secret" not in (resp.json().get("results") or [resp.json()])[0]
    assert secret not in json.dumps(list(AuditLog.objects.values_list("metadata", flat=True)))


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"url": "http://hooks.example.com/x", "events": ["job.completed"]}, "url"),
        ({"url": "https://127.0.0.1/x", "events": ["job.completed"]}, "url"),
        ({"url": "https://user:pw@hooks.example.com/x", "events": ["job.completed"]}, "url"),
        ({"url": URL, "events": []}, "events"),
        ({"url": URL, "events": ["job.exploded"]}, "events"),
        ({"url": URL, "events": ["webhook.test"]}, "events"),
        ({"url": URL, "events": ["job.completed"], "project_id": "nope"}, "project_id"),
    ],
)
def test_create_rejects_bad_input(api, net, payload, field):
    resp = api.post("/api/v1/webhooks", payload, format="json")
    assert resp.status_code == 400, resp.content
    assert field in resp.json()["error"]["details"]
    assert Webhook.objects.count() == 0


def test_foreign_project_scope_is_refused(api, other_user, net):
    theirs = ProjectFactory(user=other_user)
    resp = api.post(
        "/api/v1/webhooks", {"url": URL, "events": ["job.completed"], "project_id": str(theirs.pk)}, format="json"
    )
    assert resp.status_code == 400
    assert resp.json()["error"]["details"]["project_id"] == ["No such project."]


def test_update_enable_disable_delete_and_tenant_isolation(api, user, other_user, client_for, net):
    webhook, _ = webhook_create(actor=user, url=URL, events=["job.completed"])
    other = client_for(other_user)
    assert other.get(f"/api/v1/webhooks/{webhook.pk}").status_code == 404
    assert other.patch(f"/api/v1/webhooks/{webhook.pk}", {"label": "x"}, format="json").status_code == 404
    assert other.post(f"/api/v1/webhooks/{webhook.pk}/test").status_code == 404
    assert other.post(f"/api/v1/webhooks/{webhook.pk}/rotate-secret").status_code == 404
    assert other.get(f"/api/v1/webhooks/{webhook.pk}/deliveries").status_code == 404
    assert other.delete(f"/api/v1/webhooks/{webhook.pk}").status_code == 404
    assert other.get("/api/v1/webhooks").json()["count"] == 0

    resp = api.patch(f"/api/v1/webhooks/{webhook.pk}", {"label": "ops", "events": ["results.new"]}, format="json")
    assert resp.status_code == 200
    assert resp.json()["label"] == "ops" and resp.json()["events"] == ["results.new"]
    assert api.patch(f"/api/v1/webhooks/{webhook.pk}", {"url": "https://10.0.0.1/"}, format="json").status_code == 400
    assert api.post(f"/api/v1/webhooks/{webhook.pk}/disable").json()["enabled"] is False
    assert api.post(f"/api/v1/webhooks/{webhook.pk}/enable").json()["enabled"] is True
    assert api.delete(f"/api/v1/webhooks/{webhook.pk}").status_code == 204
    assert not Webhook.objects.exists()


def test_event_catalogue(api):
    types = [e["type"] for e in api.get("/api/v1/webhook-events").json()]
    assert "alert.sentiment_drop" in types and "webhook.test" not in types
    assert len(types) == 9


# --- signing and delivery ----------------------------------------------------------------------------


def test_emitted_event_is_signed_so_an_independent_receiver_accepts_it(user, net):
    webhook, secret = webhook_create(actor=user, url=URL, events=["job.completed"])
    assert events_emit(event_type="job.completed", user=user, data={"job_id": "j1", "results": 3}) == 1
    assert len(net.sent) == 1
    sent = net.sent[0]
    now = int(timezone.now().timestamp())
    assert independent_verify(secret, sent["headers"], sent["body"], now=now)
    payload = json.loads(sent["body"])
    assert payload["type"] == "job.completed" and payload["data"] == {"job_id": "j1", "results": 3}
    assert sent["body"] == json.dumps(payload, separators=(",", ":")).encode()  # compact, as signed
    # altered body, another secret, or a replay outside the tolerance all fail the receiver's check
    assert not independent_verify(secret, sent["headers"], sent["body"].replace(b"3", b"4"), now=now)
    assert not independent_verify(
        "whsec_" + base64.b64encode(b"x" * 32).decode(), sent["headers"], sent["body"], now=now
    )
    assert not independent_verify(secret, sent["headers"], sent["body"], now=now + 600)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "success" and delivery.attempts == 1
    assert delivery.request.body.encode() == sent["body"]
    assert delivery.response.status_code == 200


def test_events_emit_matches_subscription_and_project_scope(user, other_user, net):
    project = ProjectFactory(user=user)
    other_project = ProjectFactory(user=user)
    webhook_create(actor=user, url=URL, events=["job.completed"])  # unscoped
    webhook_create(actor=user, url=URL + "/p", events=["job.completed"], project=project)
    webhook_create(actor=user, url=URL + "/q", events=["results.new"])
    webhook_create(actor=other_user, url=URL + "/o", events=["job.completed"])
    assert events_emit(event_type="job.completed", user=user, project=project, data={}) == 2
    assert events_emit(event_type="job.completed", user=user, project=other_project, data={}) == 1
    assert events_emit(event_type="job.completed", user=user, data={}) == 1
    assert events_emit(event_type="job.failed", user=user, data={}) == 0
    payload = json.loads(net.sent[0]["body"])
    assert payload["data"]["project_id"] == str(project.pk)


def test_events_emit_never_raises(user, net, monkeypatch):
    webhook_create(actor=user, url=URL, events=["job.completed"])
    assert events_emit(event_type="job.completed", user=user, data={"blob": "x" * 30_000}) == 0  # too large
    assert events_emit(event_type="job.completed", user=user, data={"bad": object()}) == 0
    monkeypatch.setattr(webhook_services, "_enqueue", lambda _id: (_ for _ in ()).throw(RuntimeError("broker down")))
    assert events_emit(event_type="job.completed", user=user, data={}) == 1  # stored; the dispatcher will send it


def test_rotation_signs_with_both_secrets_during_overlap(api, user, net):
    webhook, old_secret = webhook_create(actor=user, url=URL, events=["job.completed"])
    resp = api.post(f"/api/v1/webhooks/{webhook.pk}/rotate-secret", {}, format="json")
    assert resp.status_code == 200
    new_secret = resp.json()["secret"]
    assert new_secret != old_secret
    expires = resp.json()["previous_secret_expires_at"]
    assert expires is not None
    events_emit(event_type="job.completed", user=user, data={})
    sent = net.sent[-1]
    now = int(timezone.now().timestamp())
    assert len(sent["headers"]["webhook-signature"].split(" ")) == 2
    assert independent_verify(new_secret, sent["headers"], sent["body"], now=now)
    assert independent_verify(old_secret, sent["headers"], sent["body"], now=now)
    # after the overlap, only the new secret signs
    delivery = WebhookDelivery.objects.order_by("-created_at").first()
    later = timezone.now() + timedelta(hours=25)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="pending", next_attempt_at=later)
    delivery_attempt(delivery_id=delivery.pk, now=later)
    sent = net.sent[-1]
    assert len(sent["headers"]["webhook-signature"].split(" ")) == 1
    ts = int(sent["headers"]["webhook-timestamp"])
    assert independent_verify(new_secret, sent["headers"], sent["body"], now=ts)
    assert not independent_verify(old_secret, sent["headers"], sent["body"], now=ts)
    assert AuditLog.objects.filter(event_type="webhook.secret_rotated").count() == 1


def test_rotate_now_drops_old_secret(user):
    webhook, _ = webhook_create(actor=user, url="https://93.184.216.34/x", events=["job.completed"])
    webhook, _ = webhook_rotate_secret(actor=user, webhook=webhook, overlap_hours=0)
    assert webhook.previous_encrypted_secret is None


# --- retries, auto-disable -----------------------------------------------------------------------------


def _emit_one(user) -> WebhookDelivery:
    events_emit(event_type="job.completed", user=user, data={"n": 1})
    return WebhookDelivery.objects.order_by("-created_at").first()


def test_retry_schedule_and_durable_next_attempt(user, net, settings):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 100  # look at the schedule alone here
    webhook, _ = webhook_create(actor=user, url=URL, events=["job.completed"])
    net.reply(*(down() for _ in range(7)))
    delivery = _emit_one(user)
    expected = [5, 300, 1800, 7200, 18000, 36000]
    clock = delivery.last_attempt_at
    for step, seconds in enumerate(expected, start=1):
        delivery.refresh_from_db()
        assert delivery.status == "pending" and delivery.attempts == step
        gap = (delivery.next_attempt_at - clock).total_seconds()
        assert seconds * 0.9 - 0.01 <= gap <= seconds * 1.1 + 0.01, (step, gap)
        # not due yet: nothing is sent
        assert delivery_attempt(delivery_id=delivery.pk, now=delivery.next_attempt_at - timedelta(seconds=1)) is None
        clock = delivery.next_attempt_at
        delivery_attempt(delivery_id=delivery.pk, now=clock)
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.attempts == 7 and delivery.next_attempt_at is None
    assert len(net.sent) == 7
    assert len({s["headers"]["webhook-id"] for s in net.sent}) == 1  # same id on every retry


def test_retry_after_is_honoured(user, net):
    webhook_create(actor=user, url=URL, events=["job.completed"])
    net.reply(ok(429, retry_after=3600.0))
    delivery = _emit_one(user)
    gap = (delivery.next_attempt_at - delivery.last_attempt_at).total_seconds()
    assert 3599 <= gap <= 3601


def test_five_consecutive_failures_disable_and_a_success_resets(user, net):
    webhook, _ = webhook_create(actor=user, url=URL, events=["job.completed"])
    net.reply(ok(500), ok(500), ok(500), ok(500), ok(200))
    for _ in range(5):
        _emit_one(user)
    webhook.refresh_from_db()
    assert webhook.enabled and webhook.consecutive_failures == 0  # the 5th succeeded
    assert webhook.stats.successful_deliveries == 1 and webhook.stats.failed_deliveries == 4

    net.reply(*(ok(503) for _ in range(5)))
    for _ in range(4):
        _emit_one(user)
    webhook.refresh_from_db()
    assert webhook.enabled and webhook.consecutive_failures == 4
    _emit_one(user)
    webhook.refresh_from_db()
    assert not webhook.enabled and webhook.consecutive_failures == 5
    assert "5 consecutive" in webhook.disabled_reason
    assert AuditLog.objects.filter(event_type="webhook.endpoint_disabled").count() == 1
    assert len(mail.outbox) == 1 and user.email in mail.outbox[0].to
    # undelivered messages are paused, and nothing more is sent
    assert WebhookDelivery.objects.filter(status="pending").count() == 0
    assert WebhookDelivery.objects.filter(status="paused").count() == 9  # 4 from the first round were waiting too
    sent = len(net.sent)
    assert events_emit(event_type="job.completed", user=user, data={}) == 0
    assert webhook_dispatch_due(now=timezone.now() + timedelta(days=1)) == 0
    assert len(net.sent) == sent


def test_410_disables_at_once(user, net):
    webhook, _ = webhook_create(actor=user, url=URL, events=["job.completed"])
    net.reply(ok(410, body="gone"))
    delivery = _emit_one(user)
    webhook.refresh_from_db()
    assert not webhook.enabled and "410" in webhook.disabled_reason
    assert delivery.status == "failed" and delivery.next_attempt_at is None


def test_redirect_is_a_failure(user, net):
    webhook_create(actor=user, url=URL, events=["job.completed"])
    net.reply(ok(302))
    delivery = _emit_one(user)
    assert delivery.status == "pending" and delivery.error == "HTTP 302"


def test_dispatcher_enqueues_due_retries_once(user, net):
    webhook_create(actor=user, url=URL, events=["job.completed"])
    net.reply(down())
    delivery = _emit_one(user)
    assert webhook_dispatch_due(now=delivery.next_attempt_at - timedelta(seconds=1)) == 0
    later = delivery.next_attempt_at + timedelta(seconds=1)
    # eager Celery: the enqueued task runs now with the real clock, before the retry is due, so it is not
    # claimed; the dispatcher marks it enqueued and will not enqueue it again within the lease
    assert webhook_dispatch_due(now=later) == 1
    assert webhook_dispatch_due(now=later) == 0
    delivery_attempt(delivery_id=delivery.pk, now=later)
    delivery.refresh_from_db()
    assert delivery.status == "success" and delivery.attempts == 2


def test_claim_is_exclusive(user, net):
    webhook_create(actor=user, url=URL, events=["job.completed"])
    net.reply(down())
    delivery = _emit_one(user)
    due = delivery.next_attempt_at
    connection.database["webhook_deliveries"].update_one(
        {"_id": delivery.pk}, {"$set": {"lease_until": due + timedelta(seconds=60)}}
    )
    assert delivery_attempt(delivery_id=delivery.pk, now=due) is None  # another worker holds it
    assert delivery_attempt(delivery_id=delivery.pk, now=due + timedelta(seconds=61)) is not None


# --- SSRF ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ip",
    ["127.0.0.1", "10.1.2.3", "100.64.0.1", "169.254.169.254", "172.16.0.1", "192.168.1.1", "0.0.0.0", "224.0.0.1",  # noqa: S104
     "::1", "fc00::1", "fe80::1", "::ffff:127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::"],
)  # fmt: skip
def test_registration_refuses_names_resolving_to_non_public(api, monkeypatch, ip):
    monkeypatch.setattr(webhook_services, "resolver", lambda host, port, **kw: _addrinfo(ip))
    resp = api.post("/api/v1/webhooks", {"url": URL, "events": ["job.completed"]}, format="json")
    assert resp.status_code == 400
    assert "not allowed" in resp.json()["error"]["message"]
    assert AuditLog.objects.filter(event_type="webhook.destination_blocked").exists()


@pytest.mark.parametrize(
    "url",
    ["https://2130706433/", "https://0x7f000001/", "https://0177.0.0.1/", "https://127.1/", "https://localhost/",
     "https://metadata.google.internal/", "https://[::1]/", "https://169.254.169.254/latest/meta-data/"],
)  # fmt: skip
def test_registration_refuses_odd_and_internal_hosts(api, net, url):
    resp = api.post("/api/v1/webhooks", {"url": url, "events": ["job.completed"]}, format="json")
    assert resp.status_code == 400, url


def test_dns_rebinding_is_caught_at_delivery(user, monkeypatch, net):
    # public at registration ...
    webhook, _ = webhook_create(actor=user, url=URL, events=["job.completed"])
    # ... 127.0.0.1 at delivery: the real transport runs its checks and refuses before any connection
    from integrations.webhooks import transport

    monkeypatch.setattr(webhook_services, "transport_deliver", transport.deliver)
    monkeypatch.setattr(webhook_services, "resolver", lambda host, port, **kw: _addrinfo("127.0.0.1"))
    delivery = _emit_one(user)
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.error.startswith("blocked:") and "127.0.0.1" in delivery.error
    assert delivery.response is None
    event = AuditLog.objects.get(event_type="webhook.destination_blocked")
    assert event.metadata["stage"] == "delivery" and event.user_id == user.pk


# --- test endpoint, deliveries, redeliver -------------------------------------------------------------


def test_test_endpoint_sends_synchronously_and_records(api, user, net):
    webhook, secret = webhook_create(actor=user, url=URL, events=["job.completed"])
    resp = api.post(f"/api/v1/webhooks/{webhook.pk}/test")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["success"] is True and body["status_code"] == 200 and body["time_ms"] == 12
    assert body["delivery"]["event"] == "webhook.test"
    sent = net.sent[-1]
    assert independent_verify(secret, sent["headers"], sent["body"], now=int(timezone.now().timestamp()))
    net.reply(ok(500, body="nope"))
    body = api.post(f"/api/v1/webhooks/{webhook.pk}/test").json()
    assert body["success"] is False and body["status_code"] == 500
    assert body["delivery"]["status"] == "failed" and body["delivery"]["next_attempt_at"] is None
    webhook.refresh_from_db()
    assert webhook.consecutive_failures == 0  # tests do not count towards auto-disable


def test_deliveries_list_filters_and_redeliver(api, user, net):
    webhook, _ = webhook_create(actor=user, url=URL, events=["job.completed", "results.new"])
    net.reply(ok(500))
    events_emit(event_type="job.completed", user=user, data={})
    events_emit(event_type="results.new", user=user, data={"count": 2})
    listing = api.get(f"/api/v1/webhooks/{webhook.pk}/deliveries").json()
    assert listing["count"] == 2
    failed = api.get(f"/api/v1/webhooks/{webhook.pk}/deliveries?status=pending").json()["results"]
    assert [d["event"] for d in failed] == ["job.completed"]
    assert api.get(f"/api/v1/webhooks/{webhook.pk}/deliveries?event=results.new").json()["count"] == 1
    assert api.get(f"/api/v1/webhooks/{webhook.pk}/deliveries?status=bogus").status_code == 400
    delivery_id = failed[0]["id"]
    detail = api.get(f"/api/v1/webhooks/{webhook.pk}/deliveries/{delivery_id}").json()
    assert detail["response"]["status_code"] == 500 and detail["request"]["headers"]["webhook-id"]

    resp = api.post(f"/api/v1/webhooks/{webhook.pk}/deliveries/{delivery_id}/redeliver")
    assert resp.status_code == 202, resp.content
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    assert delivery.status == "success" and delivery.attempts == 1
    assert net.sent[-1]["headers"]["webhook-id"] == detail["message_id"]
    assert net.sent[-1]["body"] == net.sent[0]["body"]


def test_redeliver_on_disabled_endpoint_is_409(api, user, net):
    webhook, _ = webhook_create(actor=user, url=URL, events=["job.completed"])
    delivery = _emit_one(user)
    api.post(f"/api/v1/webhooks/{webhook.pk}/disable")
    resp = api.post(f"/api/v1/webhooks/{webhook.pk}/deliveries/{delivery.pk}/redeliver")
    assert resp.status_code == 409


def test_redeliver_with_broker_down_is_202_and_the_dispatcher_sends_it(api, user, net, monkeypatch):
    from unittest import mock

    from kombu.exceptions import OperationalError

    webhook, _ = webhook_create(actor=user, url=URL, events=["job.completed"])
    net.reply(ok(500))
    delivery = _emit_one(user)
    assert delivery.status == "pending" and delivery.attempts == 1
    broker_down = OperationalError("Error 111 connecting to localhost:6379. Connection refused.")
    with mock.patch("integrations.tasks.deliver_webhook.delay", side_effect=broker_down):
        resp = api.post(f"/api/v1/webhooks/{webhook.pk}/deliveries/{delivery.pk}/redeliver")
    assert resp.status_code == 202, resp.content
    assert resp.json()["status"] == "pending" and resp.json()["attempts"] == 0
    assert AuditLog.objects.filter(event_type="webhook.redelivered").count() == 1
    sent_before = len(net.sent)
    # The broker is back: the next dispatcher run picks the delivery up (not held off by the redeliver's mark).
    assert webhook_dispatch_due(now=timezone.now()) == 1
    delivery.refresh_from_db()
    assert delivery.status == "success" and delivery.attempts == 1 and len(net.sent) == sent_before + 1


def test_redeliver_lets_a_bug_in_the_task_surface(user, net, monkeypatch):
    webhook, _ = webhook_create(actor=user, url=URL, events=["job.completed"])
    net.reply(ok(500))
    delivery = _emit_one(user)
    monkeypatch.setattr(webhook_services, "_enqueue", lambda _id: (_ for _ in ()).throw(KeyError("bug")))
    with pytest.raises(KeyError):
        webhook_services.delivery_redeliver(actor=user, delivery=delivery)


def test_webhook_limit(user, net, settings):
    settings.WEBHOOK_MAX_PER_USER = 1
    webhook_create(actor=user, url=URL, events=["job.completed"])
    from sentimatrix.api.errors import ConflictError

    with pytest.raises(ConflictError):
        webhook_create(actor=user, url=URL, events=["job.completed"])


# --- unreadable stored secrets ---------------------------------------------------------------------------


def test_tampered_webhook_secret_fails_delivery_cleanly_and_rotation_fixes_it(api, user, net):
    webhook, _ = webhook_create(actor=user, url=URL, events=["job.completed"])
    other, _ = webhook_create(actor=user, url=URL + "/2", events=["results.new"])
    Webhook.objects.filter(pk=webhook.pk).update(encrypted_secret=other.encrypted_secret)  # moved ciphertext
    delivery = _emit_one(user)
    assert delivery.status == "failed" and delivery.error.startswith("signing secret unreadable")
    assert net.sent == []  # nothing unsigned leaves
    assert AuditLog.objects.filter(event_type="webhook.secret_unreadable").count() == 1
    resp = api.post(f"/api/v1/webhooks/{webhook.pk}/test")
    assert resp.status_code == 200 and resp.json()["success"] is False
    resp = api.post(f"/api/v1/webhooks/{webhook.pk}/rotate-secret", {}, format="json")
    assert resp.status_code == 200 and resp.json()["previous_secret_expires_at"] is None
    assert api.post(f"/api/v1/webhooks/{webhook.pk}/test").json()["success"] is True
