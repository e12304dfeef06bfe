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
