from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_support_group(sender: AppConfig, **kwargs: Any) -> None:
    from sentimatrix.ops.support import support_group_sync

    support_group_sync()


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django_mongodb_backend.fields.ObjectIdAutoField"

    def ready(self) -> None:
        # After every migrate, so models that later migrations of other apps add join the
        # Support group (the data migration can only see the models migrated before it).
        post_migrate.connect(_sync_support_group, sender=self, dispatch_uid="accounts.sync_support_group")
