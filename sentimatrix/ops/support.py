"""The Support group: what support staff may do in the admin without being superusers.

Support reads everything a customer could ask about (accounts, projects, targets, jobs, results,
webhooks and their deliveries, the audit log) and changes only what support actions need
(suspending accounts, pausing projects and targets, cancelling jobs, correcting result labels and
re-analyzing, disabling webhooks). It
never deletes and never sees or changes API key material. Kept in sync by ``bootstrap_admin``
(idempotent), so a release that adds models extends the group on the next deploy.
"""

from __future__ import annotations

from typing import Any

SUPPORT_GROUP = "Support"
VIEW_APPS = ("accounts", "projects", "scraping", "results", "integrations", "audit")
CHANGE_MODELS = (
    ("accounts", "user"),
    ("projects", "project"),
    ("projects", "target"),
    ("scraping", "scrapejob"),
    ("results", "result"),  # label corrections and re-analysis (admin actions; the form stays read-only)
    ("results", "analysisjob"),
    ("integrations", "webhook"),
    ("integrations", "webhookdelivery"),
)
NEVER = {("integrations", "apikey")}  # support may see that a key exists, never change it


def support_permission_codenames() -> set[tuple[str, str]]:
    """(app_label, codename) pairs for the models that exist in this release."""
    from django.apps import apps

    wanted: set[tuple[str, str]] = set()
    for model in apps.get_models():
        label, name = model._meta.app_label, model._meta.model_name
        if label not in VIEW_APPS:
            continue
        wanted.add((label, f"view_{name}"))
        if (label, name) in CHANGE_MODELS and (label, name) not in NEVER:
            wanted.add((label, f"change_{name}"))
    return wanted


def support_group_sync(*, dry_run: bool = False) -> dict[str, Any]:
    """Create the group if needed and set its permissions exactly; returns what changed."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.management import create_contenttypes

    wanted = support_permission_codenames()

    def load() -> list[Any]:
        return [
            permission
            for permission in Permission.objects.select_related("content_type")
            if (permission.content_type.app_label, permission.codename) in wanted
        ]

    permissions = load()
    if len(permissions) < len(wanted) and not dry_run:
        # Permissions are created after migrate by a signal; a database migrated by another
        # process (or restored from a backup) may not have this release's yet.
        for label in VIEW_APPS:
            if apps.is_installed(label):
                config = apps.get_app_config(label)
                create_contenttypes(config, verbosity=0)
                create_permissions(config, verbosity=0)
        permissions = load()
    group = Group.objects.filter(name=SUPPORT_GROUP).first()
    created = group is None
    current = (
        set()
        if group is None
        else {(p.content_type.app_label, p.codename) for p in group.permissions.select_related("content_type")}
    )
    target = {(p.content_type.app_label, p.codename) for p in permissions}
    added, removed = sorted(target - current), sorted(current - target)
    if not dry_run and (created or added or removed):
        if group is None:
            group = Group.objects.create(name=SUPPORT_GROUP)
        group.permissions.set(permissions)
    return {
        "group_created": created,
        "permissions_added": [f"{a}.{c}" for a, c in added],
        "permissions_removed": [f"{a}.{c}" for a, c in removed],
    }
