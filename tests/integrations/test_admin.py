"""Admin smoke tests: changelists, search, change pages and actions; no page shows a stored secret."""

from __future__ import annotations

import pytest
from django.test import Client

from integrations.models import ApiKey, Webhook, WebhookDelivery
from integrations.services import events_emit, webhook_create
from integrations.services import webhooks as webhook_services
from integrations.webhooks.transport import DeliveryOutcome
from tests.factories_accounts import UserFactory
from tests.factories_integrations import make_api_key

pytestmark = pytest.mark.django_db

KEY = "sk-admin-visible-never-0123456789abcdefXYZ9"


@pytest.fixture
def admin_http(db):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def data(user, monkeypatch):
    monkeypatch.setattr(webhook_services, "resolver", lambda host, port, **kw: [(2, 1, 6, "", ("93.184.216.34", 443))])
    monkeypatch.setattr(
        webhook_services, "transport_deliver", lambda url, **kw: DeliveryOutcome(status_code=500, body_excerpt="no")
    )
    api_key = make_api_key(user=user, key=KEY)
    webhook, secret = webhook_create(actor=user, url="https://hooks.example.com/a", events=["job.completed"])
    events_emit(event_type="job.completed", user=user, data={"n": 1})
    return api_key, webhook, secret, WebhookDelivery.objects.get()


def test_pages_render_and_never_show_secrets(admin_http, data):
    api_key, webhook, secret, delivery = data
    pages = [
        "/admin/integrations/apikey/",
        "/admin/integrations/apikey/?q=openai",
        f"/admin/integrations/apikey/{api_key.pk}/change/",
        "/admin/integrations/webhook/",
        "/admin/integrations/webhook/?q=hooks",
        f"/admin/integrations/webhook/{webhook.pk}/change/",
        "/admin/integrations/webhookdelivery/",
        f"/admin/integrations/webhookdelivery/{delivery.pk}/change/",
        "/admin/integrations/alert/",
        "/admin/integrations/alertrule/",
    ]
    for page in pages:
        resp = admin_http.get(page)
        assert resp.status_code == 200, page
        html = resp.content.decode()
        for secret_text in (KEY, secret, secret[6:], api_key.encrypted_key, webhook.encrypted_secret):
            assert secret_text not in html, page
    assert "sk-…XYZ9" in admin_http.get("/admin/integrations/apikey/").content.decode()
    assert admin_http.get("/admin/integrations/apikey/add/").status_code == 403


def test_actions(admin_http, data, monkeypatch):
    api_key, webhook, _, delivery = data
    resp = admin_http.post(
        "/admin/integrations/webhook/", {"action": "disable", "_selected_action": [str(webhook.pk)]}, follow=True
    )
    assert resp.status_code == 200
    assert not Webhook.objects.get(pk=webhook.pk).enabled
    admin_http.post("/admin/integrations/webhook/", {"action": "enable", "_selected_action": [str(webhook.pk)]})
    assert Webhook.objects.get(pk=webhook.pk).enabled
    resp = admin_http.post(
        "/admin/integrations/webhook/", {"action": "send_test", "_selected_action": [str(webhook.pk)]}, follow=True
    )
    assert "failed (500)" in resp.content.decode()
    monkeypatch.setattr(
        webhook_services, "transport_deliver", lambda url, **kw: DeliveryOutcome(status_code=200, body_excerpt="ok")
    )
    admin_http.post(
        "/admin/integrations/webhookdelivery/", {"action": "redeliver", "_selected_action": [str(delivery.pk)]}
    )
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == "success"

    import httpx
    import respx

    with respx.mock:
        respx.get("https://api.openai.com/v1/models").mock(
            return_value=httpx.Response(401, json={"error": {"message": "bad key"}})
        )
        admin_http.post("/admin/integrations/apikey/", {"action": "revalidate", "_selected_action": [str(api_key.pk)]})
    assert ApiKey.objects.get(pk=api_key.pk).is_valid is False


def _action_names(client, url: str) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200, url
    form = response.context["action_form"]  # None when the user may run no action here
    return {name for name, _ in form.fields["action"].choices if name} if form is not None else set()


def test_support_staff_act_on_webhooks_but_never_on_api_keys_and_nobody_deletes_here(admin_http, data):
    from django.contrib.auth.models import Group

    from sentimatrix.ops.support import SUPPORT_GROUP

    api_key, webhook, _, delivery = data
    staff = UserFactory(is_staff=True)
    staff.groups.add(Group.objects.get(name=SUPPORT_GROUP))
    support = Client()
    support.force_login(staff)

    assert _action_names(support, "/admin/integrations/webhook/") == {"enable", "disable", "send_test"}
    assert _action_names(support, "/admin/integrations/webhookdelivery/") == {"redeliver"}
    assert _action_names(support, "/admin/integrations/apikey/") == set()
    # Posting the action anyway changes nothing: Django refuses an action the user may not run.
    support.post("/admin/integrations/apikey/", {"action": "revalidate", "_selected_action": [str(api_key.pk)]})
    assert ApiKey.objects.get(pk=api_key.pk).last_validated_at is None
    # Superusers revalidate, but deletes go through the owner's API (audited services), not the admin.
    assert _action_names(admin_http, "/admin/integrations/apikey/") == {"revalidate"}
    for model in ("apikey", "webhook", "webhookdelivery", "alert", "alertrule"):
        assert "delete_selected" not in _action_names(admin_http, f"/admin/integrations/{model}/")
    assert admin_http.get(f"/admin/integrations/apikey/{api_key.pk}/delete/").status_code == 403
    assert ApiKey.objects.filter(pk=api_key.pk).exists() and Webhook.objects.filter(pk=webhook.pk).exists()
