"""`make run`: set up and serve in ONE process.

With the emulated engine the database lives in this process's memory, so migrating, seeding
and serving in separate commands would lose everything between them. This command migrates,
seeds the system presets (and demo data when asked), creates an admin login, prints the URL and
runs the development server without the autoreloader (which would start a second process).

The admin login goes through ``accounts.services.admin_bootstrap`` (audited). Against a real
server (MONGODB_URI) an existing admin's password is reset only with ``--reset-admin-password``.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sentimatrix.db.capabilities import is_emulated


class Command(BaseCommand):
    help = "Migrate, seed presets, create an admin login and serve on ADDRPORT, all in one process (make run)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--admin-email", default="admin@localhost")
        parser.add_argument("--demo", action="store_true", help="also load the demo tenant (seed_demo_data)")
        parser.add_argument(
            "--reset-admin-password",
            action="store_true",
            help="on a real (non-emulated) server, give an existing admin account a new random password",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from accounts import services

        call_command("migrate", interactive=False, verbosity=0)
        password = _admin_password()
        email = options["admin_email"]
        existing = not services.admin_bootstrap(email=email, password=password, name="Admin", dry_run=True).created
        if existing and not is_emulated() and not options["reset_admin_password"]:
            raise CommandError(
                f"{email} already exists on this database server and run_embedded will not reset its password "
                "there; pass --reset-admin-password to give it a new random one, or --admin-email for another login."
            )
        commands = get_commands()
        if "seed_presets" in commands:
            call_command("seed_presets")
        if options["demo"] and "seed_demo_data" in commands:
            call_command("seed_demo_data")
        services.admin_bootstrap(email=email, password=password, name="Admin")
        host = options["addrport"]
        self.stdout.write(self.style.SUCCESS(f"\nSentimatrix Studio on http://{host}/"))
        self.stdout.write(f"  admin:   http://{host}/admin/   login {email} / {password}")
        if options["demo"] and "seed_demo_data" in commands:
            from sentimatrix.ops.demo import DEMO_EMAIL, DEMO_PASSWORD

            self.stdout.write(f"  demo:    login {DEMO_EMAIL} / {DEMO_PASSWORD} (API and admin dashboard data)")
        self.stdout.write(f"  API:     http://{host}/api/docs/")
        self.stdout.write(f"  health:  http://{host}/health/ready")
        if is_emulated():
            self.stdout.write(self.style.WARNING("  engine:  EMULATED (in memory; everything is lost when this stops)"))
        call_command("runserver", host, use_reloader=False)


def _admin_password() -> str:
    """A random login password that the password validators accept (they want a digit, an
    upper-case and a lower-case letter, which a random token now and then lacks)."""
    while True:
        candidate = secrets.token_urlsafe(12)
        try:
            validate_password(candidate)
        except ValidationError:
            continue
        return candidate
