"""Users (collection ``users``), fields as in seeds/001 ``users``.

Django's ``password`` and ``last_login`` are stored under the seed's names ``password_hash`` and
``last_login_at``. Usage counters are only ever changed with ``$inc`` by ``accounts.services``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django_mongodb_backend.fields import EmbeddedModelField
from django_mongodb_backend.models import EmbeddedModel

from sentimatrix.db.indexes import SparseIndex, TTLIndex


class UserSettings(EmbeddedModel):
    timezone = models.CharField(max_length=64, default="UTC")
    email_notifications = models.BooleanField(default=True)
    weekly_digest = models.BooleanField(default=True)
    default_preset = models.CharField(max_length=64, default="standard")
    results_per_page = models.PositiveSmallIntegerField(default=20)
    dashboard_layout = models.CharField(max_length=8, default="grid", choices=[("grid", "grid"), ("list", "list")])


class OAuthIds(EmbeddedModel):
    google_id = models.CharField(max_length=255, null=True, blank=True)
    github_id = models.CharField(max_length=255, null=True, blank=True)


class UsageCounters(EmbeddedModel):
    projects_count = models.IntegerField(default=0)
    scrapes_this_month = models.IntegerField(default=0)
    api_calls_this_month = models.IntegerField(default=0)
    last_reset_at = models.DateTimeField(null=True, blank=True)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.update(is_staff=True, is_superuser=True, role=User.Role.ADMIN)
        return self._create(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    class Role(models.TextChoices):
        USER = "user"
        ADMIN = "admin"

    class Plan(models.TextChoices):
        STARTER = "starter"
        STANDARD = "standard"
        ADVANCED = "advanced"
        ENTERPRISE = "enterprise"

    class Status(models.TextChoices):
        ACTIVE = "active"
        SUSPENDED = "suspended"
        DELETED = "deleted"

    email = models.EmailField(max_length=254, unique=True)
    password = models.CharField(max_length=256, db_column="password_hash")
    name = models.CharField(max_length=200)
    company = models.CharField(max_length=200, blank=True, default="")
    avatar_url = models.URLField(max_length=500, blank=True, default="")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.USER)
    plan = models.CharField(max_length=16, choices=Plan.choices, default=Plan.STARTER)
    settings = EmbeddedModelField(UserSettings, default=UserSettings)
    oauth = EmbeddedModelField(OAuthIds, default=OAuthIds)
    usage = EmbeddedModelField(UsageCounters, default=UsageCounters)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    email_verified = models.BooleanField(default=False)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    is_staff = models.BooleanField(default=False, help_text="May log into the support admin.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_login = models.DateTimeField(null=True, blank=True, db_column="last_login_at")
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        db_table = "users"
        indexes = [
            SparseIndex(field="oauth.google_id", name="users_oauth_google_sparse"),
            SparseIndex(field="oauth.github_id", name="users_oauth_github_sparse"),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_active(self) -> bool:  # Django's auth and admin check this
        return self.status == self.Status.ACTIVE

    @property
    def last_login_at(self) -> Any:
        return self.last_login


class RefreshToken(models.Model):
    """One refresh token (collection ``refresh_tokens``); only its SHA-256 is stored.

    Tokens of one login form a *family* (``family_id``): each refresh marks the presented token
    used and issues a child in the same family, never living past ``family_expires_at`` (an
    absolute cap, ASVS 10.4.8). Presenting a used token again revokes the whole family (RFC 9700
    §4.14, ASVS 10.4.5). Documents expire through the TTL index on ``expires_at`` (real servers).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    family_id = models.CharField(max_length=32, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    family_expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=32, blank=True, default="")
    user_agent = models.CharField(max_length=512, blank=True, default="")
    ip_address = models.CharField(max_length=64, null=True, blank=True)

    class Meta:
        db_table = "refresh_tokens"
        indexes = [
            TTLIndex(field="expires_at", expire_after_seconds=0, name="refresh_tokens_expires_ttl"),
        ]

    def __str__(self) -> str:
        return f"refresh token {self.family_id} ({self.user_id})"
