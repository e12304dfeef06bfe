"""Real deliveries over HTTP to a receiver on 127.0.0.1 (dev mode allows http to loopback), checked by the
receiver with its own HMAC code. Nothing leaves the machine."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from integrations.models import Webhook, WebhookDelivery
from integrations.services import events_emit, webhook_create
from integrations.services import webhooks as webhook_services
from integrations.webhooks import transport

pytestmark = pytest.mark.django_db


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_args):
        pass

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        headers = {k.lower(): v for k, v in self.headers.items()}
        ok = self.server.verify(headers, body)
        seen = headers.get("webhook-id") in self.server.seen_ids
        self.server.seen_ids.add(headers.get("webhook-id"))
        self.server.received.append({"headers": headers, "body": body, "verified": ok, "replay": seen})
        status = 204 if ok and not seen else 400
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def receiver(settings, monkeypatch):
    settings.WEBHOOK_ALLOW_HTTP_LOCALHOST = True
    monkeypatch.setattr(webhook_services, "transport_deliver", transport.deliver)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.received, server.seen_ids, server.secret = [], set(), None

    def verify(headers, body, tolerance=300):
        """Independent Standard Webhooks check: HMAC-SHA256 over id.timestamp.body, constant-time compare."""
        try:
            msg_id, ts, sigs = headers["webhook-id"], headers["webhook-timestamp"], headers["webhook-signature"]
        except KeyError:
            return False
        if abs(time.time() - int(ts)) > tolerance:
            return False
        key = base64.b64decode(server.secret[len("whsec_") :])
        mac = base64.b64encode(hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()).decode()
        return any(s.startswith("v1,") and hmac.compare_digest(s[3:], mac) for s in sigs.split())

    server.verify = verify
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_real_delivery_verifies_and_replay_or_tamper_fails(user, receiver):
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    webhook, secret = webhook_create(actor=user, url=url, events=["results.new"])
    receiver.secret = secret
    assert events_emit(event_type="results.new", user=user, data={"job_id": "j1", "count": 7}) == 1
    first = receiver.received[0]
    assert first["verified"] and not first["replay"]
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "success" and delivery.response.status_code == 204
    assert first["body"] == delivery.request.body.encode()

    # a replay of the same message (same webhook-id) is refused by the receiver's dedupe
    transport.deliver(url, headers=first["headers"], body=first["body"], allow_http_localhost=True, total_timeout=5)
    assert receiver.received[1]["verified"] and receiver.received[1]["replay"]
    # an altered body fails the HMAC check
    altered = first["body"].replace(b'"count":7', b'"count":8')
    headers = {**first["headers"], "webhook-id": "msg_other"}
    transport.deliver(url, headers=headers, body=altered, allow_http_localhost=True, total_timeout=5)
    assert receiver.received[2]["verified"] is False
    assert Webhook.objects.get(pk=webhook.pk).consecutive_failures == 0
