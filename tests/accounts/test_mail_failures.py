"""A mail server that is down never turns an auth call into a 500: registration still creates the
account once, forgot-password answers exactly as for an unknown address, and only an explicit
request for a verification link says 503."""

from __future__ import annotations

import logging
import smtplib

import pytest
from django.core.mail.backends.base import BaseEmailBackend

from accounts.models import User
from audit.models import AuditLog
from tests.factories_accounts import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Str0ng-pass-phrase"


class DownEmailBackend(BaseEmailBackend):
    """Every send fails the way smtplib does when the server drops the connection."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class RefusedEmailBackend(BaseEmailBackend):
    """Every send fails like a connection that cannot be opened."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError(111, "Connection refused")


@pytest.fixture(params=[DownEmailBackend, RefusedEmailBackend], ids=["smtp_error", "os_error"])
def mail_down(request, settings):
    settings.EMAIL_BACKEND = f"{__name__}.{request.param.__name__}"


def test_register_creates_the_account_once_and_answers_201(api_client, mail_down, caplog) -> None:
    payload = {"email": "ada@example.com", "name": "Ada", "password": PASSWORD}
    with caplog.at_level(logging.ERROR, logger="sentimatrix.accounts"):
        response = api_client.post("/api/v1/auth/register", payload, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["email_verified"] is False
    assert User.objects.filter(email="ada@example.com").count() == 1
    assert AuditLog.objects.filter(event_type="auth.register").count() == 1
    logged = caplog.text
    assert "e-mail verification" in logged and "ada@example.com" not in logged and "token" not in logged
    # a retry is the usual "already registered" answer, not a second account
    assert api_client.post("/api/v1/auth/register", payload, format="json").status_code == 409


def test_forgot_password_answers_like_an_unknown_address(api_client, mail_down, caplog) -> None:
    user = UserFactory()
    with caplog.at_level(logging.ERROR, logger="sentimatrix.accounts"):
        known = api_client.post("/api/v1/auth/password/forgot", {"email": user.email}, format="json")
    unknown = api_client.post("/api/v1/auth/password/forgot", {"email": "nobody@example.com"}, format="json")
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert "password reset" in caplog.text and user.email not in caplog.text
    entry = AuditLog.objects.get(event_type="auth.password_reset_requested")
    assert entry.success is False and entry.metadata["reason"] == "mail_failed"


def test_explicit_verification_request_is_503(api_client, mail_down) -> None:
    user = UserFactory(email_verified=False)
    api_client.force_authenticate(user)
    response = api_client.post("/api/v1/auth/email/verify/send")
    assert response.status_code == 503, response.content
    error = response.json()["error"]
    assert error["code"] == "mail_unavailable" and "try again" in error["message"]
