"""Authentication backend: Django's ModelBackend with group permissions read in two flat queries.

Django's own ``Permission.objects.filter(group__in=user.groups.all())`` becomes a ``$lookup``
nested in another ``$lookup``'s pipeline on MongoDB; reading the group ids first makes it one
join, which is cheaper on a real server and also works on the emulated engine (whose nested
``$lookup`` matches nothing).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.contrib.auth.models import Permission
from django.db.models import QuerySet


class ModelBackend(DjangoModelBackend):
    def _get_group_permissions(self, user_obj: Any) -> QuerySet[Permission]:
        group_ids = list(user_obj.groups.values_list("pk", flat=True))
        return Permission.objects.filter(group__in=group_ids)
