"""Test settings: emulated engine, fast hasher, in-memory mail, eager Celery."""

from sentimatrix.settings.base import *  # noqa: F403
from sentimatrix.settings.base import REDIS_URL, env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Tests that need Redis (rate limits, the broker round trip) use their own database number.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.fidelity_app"]  # noqa: F405
TEST_REDIS_URL = env.str("TEST_REDIS_URL", default=REDIS_URL.rsplit("/", 1)[0] + "/15")
REDIS_URL = TEST_REDIS_URL
CELERY_BROKER_URL = TEST_REDIS_URL  # base derived it from the default REDIS_URL (database 0)
# integrations: a keyring derived from SECRET_KEY (never in production); no http:// webhook receivers.
SENTIMATRIX_ALLOW_DEV_FIELD_KEYS = True
WEBHOOK_ALLOW_HTTP_LOCALHOST = False
