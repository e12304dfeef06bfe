"""Photograph the support admin with demo data in headless Chromium (README screenshots).

    .venv/bin/python scripts/screenshots.py [--scale 1.0] [--out docs/screenshots]

Everything happens in this one process, because the emulated engine keeps the database in memory:
migrate, seed the presets and the demo tenant (``seed_demo_data``), create a Support-group staff
user (not a superuser: the pictures show what support staff see), log that user in with Django's
test client to get a real session, serve the app on a random local port in a thread, and point
Debian's ``chromium --headless --screenshot`` at it.

Chromium gets the session through a one-time login URL that exists only in this script's WSGI
wrapper (a random token, used once, then 404): it sets the session cookie and redirects to the page
to photograph. The project's URLconf has no such view, so nothing of this reaches a real server.
Refuses to run against a real MongoDB (set no MONGODB_URI).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sentimatrix.settings.base")

WIDTH, HEIGHT = 1400, 1000


class OneTimeLogin:
    """WSGI wrapper: ``/__screenshot_login__/<token>?next=/admin/`` sets the session cookie once."""

    PREFIX = "/__screenshot_login__/"

    def __init__(self, app: Callable[..., Any], *, cookie_name: str, session_key: str) -> None:
        self.app = app
        self.cookie_name = cookie_name
        self.session_key = session_key
        self.tokens: set[str] = set()
        self.lock = threading.Lock()

    def issue(self, next_path: str) -> str:
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens.add(token)
        return f"{self.PREFIX}{token}?next={quote(next_path)}"

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(self.PREFIX):
            return self.app(environ, start_response)
        token = path[len(self.PREFIX) :]
        with self.lock:
            valid = token in self.tokens
            self.tokens.discard(token)
        next_path = parse_qs(environ.get("QUERY_STRING", "")).get("next", ["/admin/"])[0]
        if not valid or not next_path.startswith("/") or next_path.startswith("//"):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"unknown or used login token"]
        start_response(
            "302 Found",
            [
                ("Location", next_path),
                ("Set-Cookie", f"{self.cookie_name}={self.session_key}; Path=/; HttpOnly; SameSite=Lax"),
                ("Cache-Control", "no-store"),
            ],
        )
        return [b""]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if found is None:
        sys.exit("needs Debian's chromium (apt-get install chromium)")
    return found


def shoot(browser: str, url: str, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(  # noqa: S603 - fixed arguments, local URL
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
         f"--window-size={WIDTH},{HEIGHT}", "--virtual-time-budget=5000", f"--screenshot={out}", url],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    shown = out.relative_to(ROOT) if out.is_relative_to(ROOT) else out
    sys.stdout.write(f"  saved {shown} ({out.stat().st_size:,} bytes)\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="demo data size (seed_demo_data --scale)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    browser = chromium()

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import Group
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.management import call_command
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application
    from django.test import Client

    from sentimatrix.db.capabilities import is_emulated

    if not is_emulated():
        sys.exit("refusing: this script loads demo data; run it on the emulated engine (unset MONGODB_URI)")

    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed_presets", verbosity=0)
    call_command("seed_demo_data", "--scale", str(args.scale))

    from accounts.models import User
    from projects.models import Project
    from sentimatrix.ops.demo import DEMO_EMAIL, PROJECTS
    from sentimatrix.ops.support import SUPPORT_GROUP, support_group_sync

    support_group_sync()
    staff = User.objects.filter(email="support@sentimatrix.local").first()
    if staff is None:
        staff = User.objects.create_user(
            "support@sentimatrix.local", secrets.token_urlsafe(16), name="Support", is_staff=True
        )
    staff.groups.add(Group.objects.get(name=SUPPORT_GROUP))
    client = Client()
    client.force_login(staff)
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value

    # the Steam project: it has the 1.2 patch backlash (a sentiment dip) in the last 90 days
    project = Project.objects.filter(user__email=DEMO_EMAIL, name=PROJECTS[0].name).first()
    if project is None:
        sys.exit("the demo tenant has no Steam project; seed_demo_data did not run?")

    app = OneTimeLogin(
        StaticFilesHandler(get_wsgi_application()), cookie_name=settings.SESSION_COOKIE_NAME, session_key=session_key
    )

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    server.set_app(app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    sys.stdout.write(f"serving on {base} as {staff.email} (Support group, not a superuser)\n")
    try:
        shoot(browser, base + app.issue("/admin/"), args.out / "admin-dashboard.png")
        shoot(
            browser,
            base + app.issue(f"/admin/projects/project/{project.pk}/change/"),
            args.out / "admin-project-timeline.png",
        )
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
