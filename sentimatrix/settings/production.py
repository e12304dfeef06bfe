"""Production: the same settings, but refuse to start without the values that must be real."""

from django.core.exceptions import ImproperlyConfigured

from sentimatrix.db.engines import is_real_uri
from sentimatrix.lib.env import env, env_required
from sentimatrix.settings.base import *  # noqa: F403
from sentimatrix.settings.base import MONGODB_URI

SECRET_KEY = env_required("DJANGO_SECRET_KEY")
JWT_SIGNING_KEY = env.str("JWT_SIGNING_KEY", default=SECRET_KEY)
DEBUG = env.bool("DJANGO_DEBUG", default=False)
if DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be false in production.")
if not is_real_uri(MONGODB_URI):
    raise ImproperlyConfigured(
        "Production needs a real MongoDB: set MONGODB_URI to a mongodb:// or mongodb+srv:// URI "
        "(the emulated engine keeps nothing and is for tests and demos only)."
    )
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
CELERY_TASK_ALWAYS_EAGER = False
# base.py derives these from its own DEBUG, which defaults to true when DJANGO_DEBUG is unset:
# pin them here, or a tenant could point a webhook at http://127.0.0.1:<port> (SSRF).
WEBHOOK_ALLOW_HTTP_LOCALHOST = False

# integrations: stored secrets are encrypted with keys from the secrets manager, never derived from SECRET_KEY.
SENTIMATRIX_ALLOW_DEV_FIELD_KEYS = False
SENTIMATRIX_FIELD_KEYS = env_required("SENTIMATRIX_FIELD_KEYS")
SENTIMATRIX_FIELD_KEY_PRIMARY = env_required("SENTIMATRIX_FIELD_KEY_PRIMARY")
FIELD_FINGERPRINT_KEY = env_required("FIELD_FINGERPRINT_KEY")
try:
    from integrations.keys import parse_fingerprint_key, parse_keyring

    parse_keyring(SENTIMATRIX_FIELD_KEYS, SENTIMATRIX_FIELD_KEY_PRIMARY)
    parse_fingerprint_key(FIELD_FINGERPRINT_KEY)
except ValueError as exc:  # CryptoConfigError is a ValueError
    raise ImproperlyConfigured(f"Stored-secret keys are unusable: {exc}") from None

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
