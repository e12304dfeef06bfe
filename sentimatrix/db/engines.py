"""Choose the database engine from ``MONGODB_URI``.

- ``mongodb://`` or ``mongodb+srv://``: the real ``django_mongodb_backend`` (the URI is HOST).
- ``emulated://[name]``: the in-process engine in ``sentimatrix.db.emulated`` (tests, demos).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

EMULATED_ENGINE = "sentimatrix.db.emulated"
REAL_ENGINE = "django_mongodb_backend"
DEFAULT_DB_NAME = "sentimatrix"


def is_real_uri(uri: str) -> bool:
    return uri.startswith(("mongodb://", "mongodb+srv://"))


def database_settings(uri: str, *, name: str = "", options: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``DATABASES["default"]`` entry for ``uri``."""
    if is_real_uri(uri):
        database_name = name or (urlsplit(uri).path.lstrip("/") or DEFAULT_DB_NAME)
        return {
            "ENGINE": REAL_ENGINE,
            "HOST": uri,
            "NAME": database_name,
            "OPTIONS": {"serverSelectionTimeoutMS": 5000, **(options or {})},
        }
    if uri.startswith("emulated://"):
        return {
            "ENGINE": EMULATED_ENGINE,
            "HOST": uri,
            "NAME": name or uri.removeprefix("emulated://").strip("/") or DEFAULT_DB_NAME,
            "OPTIONS": {},
        }
    raise ImproperlyConfigured(
        f"MONGODB_URI must start with mongodb://, mongodb+srv:// or emulated:// (got {uri.split('://')[0]!r})."
    )
