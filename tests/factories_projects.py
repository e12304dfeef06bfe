"""Factories for projects. Each app keeps its factories in tests/factories_<app>.py."""

from __future__ import annotations

import factory

from projects.models import Preset, Project, ProjectConfig, Target
from tests.factories_accounts import UserFactory


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Project {n}")
    description = "A test project"
    preset = "standard"
    config = factory.LazyFunction(ProjectConfig)


class TargetFactory(factory.django.DjangoModelFactory):
    """A Steam game target (app ids from a sequence, so urls are unique per project)."""

    class Meta:
        model = Target

    project = factory.SubFactory(ProjectFactory)
    user = factory.SelfAttribute("project.user")
    platform = "steam"
    detected_type = "game"
    platform_data = factory.Sequence(lambda n: {"app_id": 1000 + n})
    url = factory.LazyAttribute(lambda o: f"https://store.steampowered.com/app/{o.platform_data['app_id']}/")
    source_url = factory.SelfAttribute("url")
    label = factory.Sequence(lambda n: f"Target {n}")


class PresetFactory(factory.django.DjangoModelFactory):
    """A custom (per-user) preset."""

    class Meta:
        model = Preset

    user = factory.SubFactory(UserFactory)
    slug = factory.Sequence(lambda n: f"custom-{n}")
    name = factory.Sequence(lambda n: f"Custom preset {n}")
    is_system = False
    config = factory.LazyFunction(ProjectConfig)
