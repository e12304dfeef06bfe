"""`make run`: set up and serve in ONE process.

With the emulated engine the database lives in this process's memory, so migrating, seeding
and serving in separate commands would lose everything between them. This command migrates,
seeds the system presets (and demo data when asked), creates an admin login, prints the URL and
runs the development server without the autoreloader (which would start a second process).
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandParser

from sentimatrix.db.capabilities import is_emulated


class Command(BaseCommand):
    help = "Migrate, seed presets, create an admin login and serve on ADDRPORT, all in one process (make run)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--admin-email", default="admin@localhost")
        parser.add_argument("--demo", action="store_true", help="also load the demo tenant (seed_demo_data)")

    def handle(self, *args: Any, **options: Any) -> None:
        from accounts.models import User

        call_command("migrate", interactive=False, verbosity=0)
        commands = get_commands()
        if "seed_presets" in commands:
            call_command("seed_presets")
        if options["demo"] and "seed_demo_data" in commands:
            call_command("seed_demo_data")
        password = secrets.token_urlsafe(12)
        email = options["admin_email"]
        admin = User.objects.filter(email=email).first()
        if admin is None:
            admin = User.objects.create_superuser(email, password, name="Admin", email_verified=True)
        else:
            admin.set_password(password)
            admin.save(update_fields=["password"])
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
