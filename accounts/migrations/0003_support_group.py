"""Data migration: the "Support" group (policy in sentimatrix.ops.support)."""

from django.db import migrations


def create_support_group(apps, schema_editor):
    from accounts.support import create_support_group, ensure_permissions

    ensure_permissions(apps=apps, using=schema_editor.connection.alias)
    create_support_group(apps=apps, using=schema_editor.connection.alias)


def remove_support_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).filter(name="Support").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_refresh_tokens"),
        ("audit", "0001_initial"),
        ("auth", "0001_initial"),
        ("contenttypes", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_support_group, remove_support_group)]
