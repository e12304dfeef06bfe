"""System presets (starter, standard, advanced, budget, enterprise), seeded from projects.presets.

Uses the same idempotent seeding as ``manage.py seed_presets``; reversing removes system presets
only (custom presets are never touched).
"""

from django.db import migrations


def seed(apps, schema_editor):
    from projects.presets import seed_system_presets

    seed_system_presets(using=schema_editor.connection.alias)


def unseed(apps, schema_editor):
    schema_editor.connection.get_collection("presets").delete_many({"is_system": True})


class Migration(migrations.Migration):
    dependencies = [("projects", "0002_validators")]

    operations = [migrations.RunPython(seed, unseed)]
