from __future__ import annotations

from bson import ObjectId

from accounts.models import User


def user_get_active(*, user_id: str) -> User | None:
    if not ObjectId.is_valid(user_id):
        return None
    return User.objects.filter(pk=ObjectId(user_id), status=User.Status.ACTIVE).first()
