"""Create or update the first superuser from the environment, and sync the Support group."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import CommandError, CommandParser
from rest_framework.exceptions import ValidationError

from sentimatrix.api.errors import ApplicationError
from sentimatrix.ops.command import OpsCommand
from sentimatrix.ops.support import support_group_sync

EMAIL_VAR = "DJANGO_SUPERUSER_EMAIL"
PASSWORD_VAR = "DJANGO_SUPERUSER_PASSWORD"  # noqa: S105 - the variable's name, not a password
NAME_VAR = "DJANGO_SUPERUSER_NAME"


class Command(OpsCommand):
    help = (
        f"Create the first superuser from {EMAIL_VAR} and {PASSWORD_VAR} (and optionally "
        f"{NAME_VAR}), or bring an existing account with that e-mail up to date: active, "
        "verified, staff and superuser, and the password set to the variable's value when it "
        "differs (which ends the account's sessions). Safe to run on every deploy; the password is "
        "never printed or logged. Also creates the Support group (admin access without superuser rights) and keeps its "
        "permissions current. --if-configured exits 0 quietly when the variables are unset."
    )
    audit_event = "ops.admin_bootstrapped"
    changes_data = True

    def add_command_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-configured", action="store_true", help=f"do nothing (exit 0) when {EMAIL_VAR} is unset"
        )
        parser.add_argument(
            "--no-password-update",
            action="store_true",
            help="leave an existing account's password alone even when it differs",
        )

    def run(self, **options: Any) -> str:
        from accounts import services

        email = os.environ.get(EMAIL_VAR, "").strip().lower()
        password = os.environ.get(PASSWORD_VAR, "")
        name = os.environ.get(NAME_VAR, "").strip() or "Administrator"
        group_changes = support_group_sync(dry_run=self.dry_run)
        group_note = self._group_note(group_changes)
        if not email:
            if options["if_configured"]:
                self.record_changes(self._group_changes(group_changes))
                return f"{EMAIL_VAR} is not set; no admin account touched{group_note}"
            raise CommandError(f"set {EMAIL_VAR} and {PASSWORD_VAR}", returncode=1)

        try:
            result = services.admin_bootstrap(
                email=email, password=password, name=name,
                update_password=not options["no_password_update"], dry_run=self.dry_run,
            )  # fmt: skip
        except ApplicationError as exc:
            if exc.code == "password_required":
                raise CommandError(f"{PASSWORD_VAR} is required to create {email}", returncode=1) from None
            raise CommandError(exc.message, returncode=1) from None
        except ValidationError as exc:
            # The validators' messages describe the rule, never the password itself.
            rules = " ".join(exc.detail["password"])
            raise CommandError(f"{PASSWORD_VAR} is not acceptable: {rules}", returncode=1) from None
        fields = result.fields
        if result.created:
            if self.dry_run:
                return f"would create superuser {email}{group_note}"
            self.record_changes({"email": email, "created": True, **self._group_changes(group_changes)})
            return f"created superuser {email}{group_note}"
        if self.dry_run:
            return f"would update {email}: {', '.join(fields) or 'nothing'}{group_note}"
        if fields or any(group_changes.values()):
            changes = {"email": email, "created": False, "fields": fields, **self._group_changes(group_changes)}
            if result.password_changed:
                changes["sessions_revoked"] = result.revoked_count
            self.record_changes(changes)
        return f"updated {email}: {', '.join(fields)}{group_note}" if fields else f"{email} is up to date{group_note}"

    @staticmethod
    def _group_changes(changes: dict[str, Any]) -> dict[str, Any]:
        return {"support_group": changes} if any(changes.values()) else {}

    @staticmethod
    def _group_note(changes: dict[str, Any]) -> str:
        if changes["group_created"]:
            return f"; Support group created with {len(changes['permissions_added'])} permissions"
        if changes["permissions_added"] or changes["permissions_removed"]:
            return (
                f"; Support group +{len(changes['permissions_added'])}"
                f"/-{len(changes['permissions_removed'])} permissions"
            )
        return ""
