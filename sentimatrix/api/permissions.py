from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class IsActiveUser(BasePermission):
    """Authenticated and not suspended or deleted (a token issued before suspension stops working)."""

    message = "Your account is not active."

    def has_permission(self, request: Request, view: object) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "status", "active") == "active")
