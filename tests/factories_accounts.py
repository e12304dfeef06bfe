"""Factories for accounts. Each app keeps its factories in tests/factories_<app>.py."""

from __future__ import annotations

import factory

from accounts.models import User

DEFAULT_PASSWORD = "Passw0rd-123"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Sequence(lambda n: f"User {n}")
    plan = User.Plan.STANDARD
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance: User, create: bool, results: dict | None = None) -> None:
        if create and results:
            instance.save()
