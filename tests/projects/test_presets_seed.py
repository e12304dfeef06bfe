"""System presets: created by the data migration, idempotent seeding, --reset, custom presets untouched."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from projects.models import Preset
from projects.presets import SYSTEM_PRESETS, seed_system_presets
from tests.factories_projects import PresetFactory

pytestmark = pytest.mark.django_db

SLUGS = ["starter", "standard", "advanced", "budget", "enterprise"]


def test_seed_twice_reports_nothing_changed_the_second_time():
    Preset.objects.filter(is_system=True).delete()
    first = seed_system_presets()
    assert first.created == SLUGS
    second = seed_system_presets()
    assert second.created == [] and second.updated == []
    assert second.unchanged == SLUGS
    assert Preset.objects.filter(is_system=True).count() == 5


def test_seeded_values_match_the_issue():
    seed_system_presets()
    starter = Preset.objects.get(is_system=True, slug="starter")
    assert (starter.config.llm.provider, starter.config.llm.model) == ("groq", "llama-3.3-70b-versatile")
    assert (starter.config.llm.temperature, starter.config.llm.max_tokens) == (0.3, 500)
    assert starter.config.analysis.sentiment_classes == 3 and starter.config.analysis.emotions is False
    limits = starter.config.limits
    assert (limits.max_results_per_target, limits.max_results_per_job, limits.request_delay_seconds) == (50, 100, 2.0)
    standard = Preset.objects.get(is_system=True, slug="standard")
    assert standard.config.scrapers.platforms == ["amazon", "steam", "youtube"]
    assert standard.config.analysis.emotion_model == "ekman"
    assert (standard.config.llm.temperature, standard.config.llm.max_tokens) == (0.5, 1000)
    advanced = Preset.objects.get(is_system=True, slug="advanced")
    assert "reddit" in advanced.config.scrapers.platforms
    assert advanced.config.scrapers.commercial_provider == "scraperapi"
    assert advanced.config.analysis.emotion_model == "goemotions"
    assert advanced.config.analysis.summarize and advanced.config.analysis.extract_insights
    assert advanced.config.schedule.enabled and advanced.config.schedule.time == "09:00"
    assert (advanced.config.limits.max_results_per_target, advanced.config.limits.max_results_per_job) == (200, 1000)
    budget = Preset.objects.get(is_system=True, slug="budget")
    assert budget.config.llm.model == "llama-3.1-8b-instant" and budget.config.llm.max_tokens == 300
    assert budget.config.limits.request_delay_seconds == 3.0
    assert "offline" in starter.description and "offline" in budget.description


def test_every_system_preset_config_is_valid():
    from projects.config import validate_full

    for slug, definition in SYSTEM_PRESETS.items():
        validate_full(definition["config"])  # raises on an invalid preset
        assert slug


def test_stored_shape_equals_what_the_orm_writes():
    seed_system_presets()
    collection = connection.database["presets"]
    for preset in Preset.objects.filter(is_system=True):
        raw_before = collection.find_one({"_id": preset.pk})
        preset.save()
        raw_after = collection.find_one({"_id": preset.pk})
        raw_before.pop("updated_at"), raw_after.pop("updated_at")
        assert raw_before == raw_after


def test_default_run_keeps_stored_values_and_fills_missing_fields_reset_rewrites():
    seed_system_presets()
    collection = connection.database["presets"]
    collection.update_one(
        {"slug": "starter", "is_system": True},
        {"$set": {"config.llm.temperature": 0.9}, "$unset": {"config.analysis.summarize": ""}},
    )
    custom = PresetFactory(name="Mine")
    report = seed_system_presets()
    assert report.updated == ["starter"] and report.differs == ["starter"]
    doc = collection.find_one({"slug": "starter", "is_system": True})
    assert doc["config"]["llm"]["temperature"] == 0.9
    assert doc["config"]["analysis"]["summarize"] is False
    report = seed_system_presets(reset=True)
    assert report.updated == ["starter"] and report.differs == []
    assert collection.find_one({"slug": "starter", "is_system": True})["config"]["llm"]["temperature"] == 0.3
    assert Preset.objects.get(pk=custom.pk).name == "Mine"


def test_command_output(capsys):
    Preset.objects.filter(is_system=True).delete()
    call_command("seed_presets")
    out = capsys.readouterr().out
    assert "created: 5" in out
    call_command("seed_presets")
    out = capsys.readouterr().out
    assert "created: 0" in out and "updated: 0" in out and "unchanged: 5" in out


def test_command_dry_run_changes_nothing_and_a_real_run_is_audited(capsys):
    from audit.models import AuditLog

    seed_system_presets()
    Preset.objects.filter(is_system=True, slug__in=["budget", "advanced"]).delete()
    call_command("seed_presets", "--dry-run")
    assert "created: 2 (advanced, budget)" in capsys.readouterr().out
    assert not Preset.objects.filter(is_system=True, slug__in=["budget", "advanced"]).exists()
    assert not AuditLog.objects.filter(event_type="ops.presets_seeded").exists()
    call_command("seed_presets")
    assert Preset.objects.filter(is_system=True, slug__in=["budget", "advanced"]).count() == 2
    [event] = AuditLog.objects.filter(event_type="ops.presets_seeded")
    assert event.user_id is None and event.metadata["actor"] == "system"
    assert (event.metadata["created"], event.metadata["updated"]) == (["advanced", "budget"], [])
    call_command("seed_presets")  # nothing changed: no second record
    assert AuditLog.objects.filter(event_type="ops.presets_seeded").count() == 1


def test_validators_are_installed():
    from sentimatrix.db.operations import collection_validator

    for name in ("projects", "targets", "presets"):
        assert collection_validator(connection.database, name) is not None


def test_migration_schemas_equal_module_schemas():
    import importlib

    from projects import validators

    migration = importlib.import_module("projects.migrations.0002_validators")
    assert migration.PROJECT_SCHEMA == validators.PROJECT_SCHEMA
    assert migration.TARGET_SCHEMA == validators.TARGET_SCHEMA
    assert migration.PRESET_SCHEMA == validators.PRESET_SCHEMA


def test_validator_rejects_bad_documents():
    from pymongo.errors import WriteError

    from tests.factories_projects import ProjectFactory

    project = ProjectFactory()
    doc = connection.database["projects"].find_one({"_id": project.pk})
    doc.pop("_id")
    doc["status"] = "deleted"
    with pytest.raises(WriteError):
        connection.database["projects"].insert_one(doc)
    doc["status"] = "active"
    doc["config"]["analysis"]["sentiment_classes"] = 4
    with pytest.raises(WriteError):
        connection.database["projects"].insert_one(doc)


def test_data_migration_creates_the_presets_on_an_empty_collection():
    import importlib

    from django.apps import apps as global_apps

    migration = importlib.import_module("projects.migrations.0003_system_presets")
    Preset.objects.all().delete()
    with connection.schema_editor() as editor:
        migration.seed(global_apps, editor)
    assert sorted(Preset.objects.filter(is_system=True).values_list("slug", flat=True)) == sorted(SLUGS)
    with connection.schema_editor() as editor:
        migration.unseed(global_apps, editor)
    assert Preset.objects.count() == 0
