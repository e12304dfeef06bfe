"""The "Support" group, created by data migration ``accounts.0003_support_group``.

What the group may do is decided in one place, ``sentimatrix.ops.support`` (view on the product
apps, change only where support actions need it, never add or delete, never API key material);
this module applies that policy inside the migration, with historical models. After every
``migrate`` the group is brought up to date for models other apps added later
(``accounts.apps`` post_migrate -> ``support_group_sync``), as ``bootstrap_admin`` does on deploy.
"""

from __future__ import annotations

from typing import Any

from sentimatrix.ops.support import CHANGE_MODELS, NEVER, SUPPORT_GROUP, VIEW_APPS


def ensure_permissions(*, apps: Any, using: str = "default") -> None:
    """Create the product apps' permissions now (Django only does it after migrate finishes)."""
    from django.contrib.auth.management import create_permissions

    for label in VIEW_APPS:
        try:
            app_config = apps.get_app_config(label)
        except LookupError:
            continue
        # Historical app configs have no models_module, and create_permissions skips those.
        app_config.models_module = getattr(app_config, "models_module", None) or True
        create_permissions(app_config, verbosity=0, using=using, apps=apps)


def create_support_group(*, apps: Any, using: str = "default") -> int:
    """Create the group with the policy's permissions for the models that exist so far; returns
    how many it holds. Idempotent."""
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    content_type_model = apps.get_model("contenttypes", "ContentType")
    group, _ = group_model.objects.using(using).get_or_create(name=SUPPORT_GROUP)
    models = {
        ct.pk: (ct.app_label, ct.model)
        for ct in content_type_model.objects.using(using).filter(app_label__in=VIEW_APPS)
    }
    wanted = []
    for permission in permission_model.objects.using(using).filter(content_type_id__in=list(models)):
        action = permission.codename.split("_", 1)[0]
        model = models[permission.content_type_id]
        if action == "view" or (action == "change" and model in CHANGE_MODELS and model not in NEVER):
            wanted.append(permission)
    if wanted:
        group.permissions.add(*wanted)
    return len(wanted)
