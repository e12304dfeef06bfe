"""The one place settings read the environment (django-environ underneath).

Optional values have defaults; required ones raise ``ImproperlyConfigured`` naming the variable.
A ``.env`` file next to ``manage.py`` is read for local use and never overrides real variables.
"""

from __future__ import annotations

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
_dotenv = BASE_DIR / ".env"
if _dotenv.exists():
    environ.Env.read_env(str(_dotenv), overwrite=False)


def env_required(name: str) -> str:
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(f"Set the {name} environment variable.")
    return value
