"""Settings shared by every environment; every value comes from the environment.

``test.py`` and ``production.py`` change little. See ``.env.example`` for the variables.
"""

from __future__ import annotations

from datetime import timedelta

from celery.schedules import crontab

from sentimatrix.db.engines import database_settings
from sentimatrix.lib.env import BASE_DIR, env

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-only-insecure-secret-key-change-me-0123456789abcdef")
DEBUG = env.bool("DJANGO_DEBUG", default=True)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "sentimatrix.contrib_apps.MongoAdminConfig",
    "sentimatrix.contrib_apps.MongoAuthConfig",
    "sentimatrix.contrib_apps.MongoContentTypesConfig",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_mongodb_backend",
    "sentimatrix",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "audit",
    "accounts",
    "projects",
    "scraping",
    "results",
    "integrations",
]

MIDDLEWARE = [
    "sentimatrix.api.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "sentimatrix.urls"
WSGI_APPLICATION = "sentimatrix.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "sentimatrix" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database ----------------------------------------------------------------------------------
# MONGODB_URI: mongodb:// or mongodb+srv:// for a real server, emulated:// for the in-process
# engine (tests and `make run`). Production settings refuse to start without a real URI.
MONGODB_URI = env.str("MONGODB_URI", default="emulated://sentimatrix")
DATABASES = {"default": database_settings(MONGODB_URI, name=env.str("MONGODB_NAME", default=""))}
DATABASE_ROUTERS = ["django_mongodb_backend.routers.MongoRouter"]
DEFAULT_AUTO_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"
MIGRATION_MODULES = {label: f"mongo_migrations.{label}" for label in ("admin", "auth", "contenttypes")}

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# --- Redis, cache, Celery ----------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "TIMEOUT": 300,
    }
}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=600)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=630)
# Must exceed the longest task and any countdown (docs/security.md 5.1): 2 x the hard limit.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * CELERY_TASK_TIME_LIMIT}
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = 20
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "scraping.*": {"queue": "scrape"},
    "results.*": {"queue": "analyze"},
    "integrations.deliver_*": {"queue": "webhooks"},
}
# With the emulated engine tasks must run in this process (a worker could not see its data).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=MONGODB_URI.startswith("emulated://"))
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_IMPORTS = ["sentimatrix.tasks"]
CELERY_BEAT_SCHEDULE: dict[str, dict] = {}

# --- API ---------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "sentimatrix.api.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "sentimatrix.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "sentimatrix.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Sentimatrix Studio API",
    "DESCRIPTION": "Review collection and analysis. Errors: {error: {code, message, details, request_id}}.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}
# Largest accepted request body (JSON); bigger bodies get 413 in the error envelope.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)

# --- auth tokens ---------------------------------------------------------------------------------
JWT_SIGNING_KEY = env.str("JWT_SIGNING_KEY", default=SECRET_KEY)
JWT_ALGORITHM = "HS256"
JWT_ISSUER = env.str("JWT_ISSUER", default="sentimatrix")
JWT_AUDIENCE = env.str("JWT_AUDIENCE", default="sentimatrix-api")
ACCESS_TOKEN_LIFETIME = timedelta(minutes=env.int("ACCESS_TOKEN_MINUTES", default=15))
REFRESH_TOKEN_LIFETIME = timedelta(days=env.int("REFRESH_TOKEN_DAYS", default=14))

# --- email ---------------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Sentimatrix Studio <no-reply@localhost>")
FRONTEND_URL = env.str("FRONTEND_URL", default="http://localhost:8000")

# --- audit ---------------------------------------------------------------------------------------
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=365)
TRUST_X_FORWARDED_FOR = env.bool("TRUST_X_FORWARDED_FOR", default=False)

# --- accounts: sessions, passwords, OAuth, throttling (docs/security.md 3) -------------------------
# A login session (refresh-token family) never outlives this, however often it is refreshed.
REFRESH_TOKEN_FAMILY_MAX_DAYS = env.int("REFRESH_TOKEN_FAMILY_MAX_DAYS", default=30)
# Seconds during which presenting a just-spent refresh token again is a benign retry (another
# child is issued) instead of reuse; 0 = every reuse revokes the session (issue 3's rule).
REFRESH_TOKEN_REUSE_LEEWAY_SECONDS = env.int("REFRESH_TOKEN_REUSE_LEEWAY_SECONDS", default=0)
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT_SECONDS", default=3600)  # Django's setting
EMAIL_VERIFICATION_TIMEOUT = env.int("EMAIL_VERIFICATION_TIMEOUT_SECONDS", default=3 * 86400)
AUTH_PASSWORD_VALIDATORS = [*AUTH_PASSWORD_VALIDATORS, {"NAME": "accounts.passwords.ComplexityValidator"}]
# OAuth login: a provider is enabled only when its client id and secret are both set.
OAUTH_GOOGLE_CLIENT_ID = env.str("OAUTH_GOOGLE_CLIENT_ID", default="")
OAUTH_GOOGLE_CLIENT_SECRET = env.str("OAUTH_GOOGLE_CLIENT_SECRET", default="")
OAUTH_GOOGLE_AUTHORIZE_URL = env.str(
    "OAUTH_GOOGLE_AUTHORIZE_URL", default="https://accounts.google.com/o/oauth2/v2/auth"
)
OAUTH_GOOGLE_TOKEN_URL = env.str("OAUTH_GOOGLE_TOKEN_URL", default="https://oauth2.googleapis.com/token")
OAUTH_GOOGLE_USERINFO_URL = env.str(
    "OAUTH_GOOGLE_USERINFO_URL", default="https://openidconnect.googleapis.com/v1/userinfo"
)
OAUTH_GITHUB_CLIENT_ID = env.str("OAUTH_GITHUB_CLIENT_ID", default="")
OAUTH_GITHUB_CLIENT_SECRET = env.str("OAUTH_GITHUB_CLIENT_SECRET", default="")
OAUTH_GITHUB_AUTHORIZE_URL = env.str("OAUTH_GITHUB_AUTHORIZE_URL", default="https://github.com/login/oauth/authorize")
OAUTH_GITHUB_TOKEN_URL = env.str("OAUTH_GITHUB_TOKEN_URL", default="https://github.com/login/oauth/access_token")
OAUTH_GITHUB_API_URL = env.str("OAUTH_GITHUB_API_URL", default="https://api.github.com")
# The provider sends the browser to <this>/oauth/<provider>/callback (register that exact URI).
OAUTH_REDIRECT_BASE_URL = env.str("OAUTH_REDIRECT_BASE_URL", default=FRONTEND_URL)
OAUTH_STATE_TTL_SECONDS = env.int("OAUTH_STATE_TTL_SECONDS", default=600)
OAUTH_HTTP_TIMEOUT = env.float("OAUTH_HTTP_TIMEOUT", default=10.0)
# Throttling and lockout counters live in Redis (empty: REDIS_URL). Per-user API rate limits
# come from the plan (accounts/plans.py); API_THROTTLE_ENABLED=False turns the per-minute
# throttle off (the monthly API-call quota still counts).
RATE_LIMIT_REDIS_URL = env.str("RATE_LIMIT_REDIS_URL", default="")
RATE_LIMIT_PREFIX = env.str("RATE_LIMIT_PREFIX", default="sm:acc")
API_THROTTLE_ENABLED = env.bool("API_THROTTLE_ENABLED", default=True)
LOGIN_MAX_FAILURES_PER_EMAIL = env.int("LOGIN_MAX_FAILURES_PER_EMAIL", default=10)
LOGIN_MAX_FAILURES_PER_IP = env.int("LOGIN_MAX_FAILURES_PER_IP", default=100)
LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", default=900)
PASSWORD_RESET_EMAILS_PER_HOUR = env.int("PASSWORD_RESET_EMAILS_PER_HOUR", default=3)
VERIFICATION_EMAILS_PER_HOUR = env.int("VERIFICATION_EMAILS_PER_HOUR", default=5)
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["accounts.throttling.PlanRateThrottle"]
MIDDLEWARE = [*MIDDLEWARE, "accounts.middleware.RateLimitHeadersMiddleware"]
# Group permissions without a nested $lookup (see accounts/backends.py).
AUTHENTICATION_BACKENDS = ["accounts.backends.ModelBackend"]

# --- integrations: stored secrets, provider key checks, webhooks (docs/security.md 1 and 2) --------
# Keyring "id:base64key[,id:base64key]" (32-byte keys) + the id that encrypts; FIELD_FINGERPRINT_KEY is
# base64 (>= 16 bytes). Without them a dev keyring derived from SECRET_KEY is used, but only when
# SENTIMATRIX_ALLOW_DEV_FIELD_KEYS (DEBUG or the test settings); production.py refuses to start without them.
SENTIMATRIX_FIELD_KEYS = env.str("SENTIMATRIX_FIELD_KEYS", default="")
SENTIMATRIX_FIELD_KEY_PRIMARY = env.str("SENTIMATRIX_FIELD_KEY_PRIMARY", default="")
FIELD_FINGERPRINT_KEY = env.str("FIELD_FINGERPRINT_KEY", default="")
SENTIMATRIX_ALLOW_DEV_FIELD_KEYS = DEBUG or env.str("DJANGO_SETTINGS_MODULE", default="").endswith("settings.test")
# Base URL per provider for the key check (provider=url,...); unset providers use the catalogue's default.
PROVIDER_BASE_URLS = env.dict("PROVIDER_BASE_URLS", default={})
PROVIDER_KEY_CHECK_TIMEOUT = env.float("PROVIDER_KEY_CHECK_TIMEOUT", default=10.0)
WEBHOOK_DELIVERY_RETENTION_DAYS = env.int("WEBHOOK_DELIVERY_RETENTION_DAYS", default=7)  # TTL index (migration)
WEBHOOK_CONNECT_TIMEOUT = env.float("WEBHOOK_CONNECT_TIMEOUT", default=5.0)
WEBHOOK_TOTAL_TIMEOUT = env.float("WEBHOOK_TOTAL_TIMEOUT", default=15.0)
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("WEBHOOK_DISABLE_AFTER_FAILURES", default=5)
WEBHOOK_SECRET_OVERLAP_HOURS = env.int("WEBHOOK_SECRET_OVERLAP_HOURS", default=24)
WEBHOOK_MAX_PER_USER = env.int("WEBHOOK_MAX_PER_USER", default=20)
# A claimed attempt or an enqueued delivery is not taken again before this; must exceed the total timeout.
WEBHOOK_CLAIM_LEASE_SECONDS = env.int("WEBHOOK_CLAIM_LEASE_SECONDS", default=120)
WEBHOOK_DISPATCH_INTERVAL_SECONDS = env.float("WEBHOOK_DISPATCH_INTERVAL_SECONDS", default=15.0)
CELERY_BEAT_SCHEDULE["integrations.dispatch_webhooks"] = {
    "task": "integrations.dispatch_webhooks",
    "schedule": WEBHOOK_DISPATCH_INTERVAL_SECONDS,
    "options": {"expires": WEBHOOK_DISPATCH_INTERVAL_SECONDS},
}
# http:// to localhost/127.0.0.1/[::1] (any port) for local receivers; production.py pins it off.
WEBHOOK_ALLOW_HTTP_LOCALHOST = DEBUG
# Per-1M-token price overrides merged into integrations.catalogue (JSON; see that module's docstring).
LLM_PRICE_OVERRIDES = env.json("LLM_PRICE_OVERRIDES", default={})
# alert.sentiment_drop defaults (a project's rule may override them).
ALERT_SENTIMENT_DROP_THRESHOLD_SIGMA = env.float("ALERT_SENTIMENT_DROP_THRESHOLD_SIGMA", default=2.0)
ALERT_SENTIMENT_DROP_WINDOW_JOBS = env.int("ALERT_SENTIMENT_DROP_WINDOW_JOBS", default=10)
ALERT_SENTIMENT_DROP_MIN_SAMPLE = env.int("ALERT_SENTIMENT_DROP_MIN_SAMPLE", default=20)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "sentimatrix.api.middleware.RequestIdLogFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # httpx logs every request URL at INFO, and some providers take the key as a query parameter.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "httpx": {"level": "WARNING"}},
}

# --- scraping: jobs, platforms, providers, rate limits, schedules ---------------------------------
# Base URLs of every platform and provider (keys as in scraping.platforms FetchContext.base_urls);
# unset keys use the module defaults. Tests and a local fixture server point them elsewhere.
SCRAPING_BASE_URLS = {
    key: value
    for key, value in {
        "steam_store": env.str("SCRAPING_STEAM_STORE_URL", default=""),
        "youtube_api": env.str("SCRAPING_YOUTUBE_API_URL", default=""),
        "reddit_oauth": env.str("SCRAPING_REDDIT_OAUTH_URL", default=""),
        "reddit_www": env.str("SCRAPING_REDDIT_WWW_URL", default=""),
        "reddit_auth": env.str("SCRAPING_REDDIT_AUTH_URL", default=""),
        "google_places": env.str("SCRAPING_GOOGLE_PLACES_URL", default=""),
        "scraperapi": env.str("SCRAPING_SCRAPERAPI_URL", default=""),
        "apify": env.str("SCRAPING_APIFY_URL", default=""),
    }.items()
    if value
}
# Apify actor per platform ("owner~name"); unset keys use each platform module's default.
SCRAPING_ACTORS = {
    key: value
    for key, value in {
        "google": env.str("SCRAPING_ACTOR_GOOGLE", default=""),
        "amazon": env.str("SCRAPING_ACTOR_AMAZON", default=""),
        "trustpilot": env.str("SCRAPING_ACTOR_TRUSTPILOT", default=""),
        "yelp": env.str("SCRAPING_ACTOR_YELP", default=""),
    }.items()
    if value
}
# Deployment-wide credentials, used when the project owner has stored no key of their own
# (integrations.services.api_key_secret_for). Never logged.
SCRAPING_CREDENTIALS = {
    key: value
    for key, value in {
        "youtube": env.str("YOUTUBE_API_KEY", default=""),
        "google": env.str("GOOGLE_PLACES_API_KEY", default=""),
        "apify": env.str("APIFY_TOKEN", default=""),
        "scraperapi": env.str("SCRAPERAPI_KEY", default=""),
        "reddit_client_id": env.str("REDDIT_CLIENT_ID", default=""),
        "reddit_client_secret": env.str("REDDIT_CLIENT_SECRET", default=""),
        "reddit_user_agent": env.str("REDDIT_USER_AGENT", default=""),
    }.items()
    if value
}
SCRAPING_USER_AGENT = env.str("SCRAPING_USER_AGENT", default="SentimatrixStudio/1.0 (+https://github.com/sentimatrix)")
SCRAPING_HTTP_TIMEOUT = env.float("SCRAPING_HTTP_TIMEOUT", default=30.0)
SCRAPING_MAX_RESULTS_PER_TARGET = env.int("SCRAPING_MAX_RESULTS_PER_TARGET", default=500)
SCRAPING_MAX_RESULTS_CAP = env.int("SCRAPING_MAX_RESULTS_CAP", default=10_000)
SCRAPING_MAX_REQUESTS_PER_DAY = env.int("SCRAPING_MAX_REQUESTS_PER_DAY", default=5_000)
SCRAPING_RATE_LIMITS_ENABLED = env.bool("SCRAPING_RATE_LIMITS_ENABLED", default=True)
# Longest a worker blocks for a rate-limit slot before failing the target as rate limited.
SCRAPING_RATE_LIMIT_MAX_WAIT = env.float("SCRAPING_RATE_LIMIT_MAX_WAIT", default=120.0)
# A running job whose heartbeat is older than this is taken over (longer than one page can take:
# the Apify sync call holds up to 300 s).
SCRAPE_JOB_LEASE_SECONDS = env.int("SCRAPE_JOB_LEASE_SECONDS", default=900)
SCRAPE_JOB_MAX_RECOVERIES = env.int("SCRAPE_JOB_MAX_RECOVERIES", default=3)
# A job re-enqueues itself after this long, before the Celery soft time limit (bounded tasks).
SCRAPE_JOB_SLICE_SECONDS = env.int("SCRAPE_JOB_SLICE_SECONDS", default=480)
SCRAPE_JOB_RETENTION_DAYS = env.int("SCRAPE_JOB_RETENTION_DAYS", default=30)
SCRAPE_JOB_LOG_LIMIT = 200

# --- ops: backups, retention, housekeeping schedule ------------------------------------------------
# backup_db writes here unless --output is given (a volume in docker-compose).
BACKUP_DIR = env.str("BACKUP_DIR", default=str(BASE_DIR / "backups"))
# cleanup_data: scrape and analysis jobs older than this are deleted (results follow their plan's
# results_retention_days from accounts.plans); soft-deleted accounts are erased with all their
# data this many days after deletion; deletes go in batches of CLEANUP_BATCH_SIZE.
JOB_RETENTION_DAYS = env.int("JOB_RETENTION_DAYS", default=30)
ACCOUNT_DELETION_GRACE_DAYS = env.int("ACCOUNT_DELETION_GRACE_DAYS", default=30)
CLEANUP_BATCH_SIZE = env.int("CLEANUP_BATCH_SIZE", default=500)
# The same housekeeping as deploy/crontab, for deployments that run celery beat instead of cron:
# HOUSEKEEPING_SCHEDULER=beat adds these entries (cron is the default; never both, or backups and
# cleanups would run twice). Each entry runs the management command through ops.run_command.
HOUSEKEEPING_SCHEDULER = env.str("HOUSEKEEPING_SCHEDULER", default="cron")
CELERY_IMPORTS = [*CELERY_IMPORTS, "sentimatrix.ops.tasks"]
OPS_BEAT_SCHEDULE = (
    {
        "ops-cleanup-data": {
            "task": "ops.run_command",
            "schedule": crontab(hour=3, minute=15),
            "args": ["cleanup_data"],
        },
        "ops-backup-db": {
            "task": "ops.run_command",
            "schedule": crontab(hour=2, minute=30),
            "args": ["backup_db", "--keep", "7"],
        },
        "ops-ensure-indexes": {
            "task": "ops.run_command",
            "schedule": crontab(hour=4, minute=0, day_of_week="sun"),
            "args": ["ensure_indexes", "--check"],
        },
        "ops-reset-monthly-usage": {
            "task": "ops.run_command",
            "schedule": crontab(hour=0, minute=5, day_of_month="1,2"),
            "args": ["reset_monthly_usage"],
        },
        "ops-db-stats": {
            "task": "ops.run_command",
            "schedule": crontab(hour=5, minute=0, day_of_week="mon"),
            "args": ["db_stats"],
        },
    }
    if HOUSEKEEPING_SCHEDULER == "beat"
    else {}
)
CELERY_BEAT_SCHEDULE.update(OPS_BEAT_SCHEDULE)
# deploy/crontab runs run_due_schedules and requeue_stuck_jobs; with beat chosen instead, their tasks.
if HOUSEKEEPING_SCHEDULER == "beat":
    CELERY_BEAT_SCHEDULE.update(
        {
            "scraping-run-due-schedules": {
                "task": "scraping.run_due_schedules",
                "schedule": 60.0,
                "options": {"expires": 55},
            },
            "scraping-requeue-stuck-jobs": {
                "task": "scraping.requeue_stuck_jobs",
                "schedule": 600.0,
                "options": {"expires": 590},
            },
        }
    )

# --- results: analysis runs, exports, alerts (docs/analysis.md) ----------------------------------
RESULTS_ANALYSIS_BATCH_SIZE = env.int("RESULTS_ANALYSIS_BATCH_SIZE", default=100)  # results per analyze() call
RESULTS_ANALYSIS_MAX_ATTEMPTS = env.int("RESULTS_ANALYSIS_MAX_ATTEMPTS", default=5)  # task re-sends on rate limits
# A provider's Retry-After longer than this is not slept in the worker: the task is re-sent with a countdown.
RESULTS_LLM_MAX_BACKOFF_SECONDS = env.float("RESULTS_LLM_MAX_BACKOFF_SECONDS", default=60.0)
# Fallback sentiment-drop rule, used only when integrations' alert service is not installed.
RESULTS_SENTIMENT_DROP_THRESHOLD = env.float("RESULTS_SENTIMENT_DROP_THRESHOLD", default=0.2)
RESULTS_SENTIMENT_DROP_MIN_RESULTS = env.int("RESULTS_SENTIMENT_DROP_MIN_RESULTS", default=5)

# --- quality gates (issue 9): OpenAPI schema -----------------------------------------------------
# Unique component names for serializers nested in views (see sentimatrix.api.schema.AutoSchema).
REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "sentimatrix.api.schema.AutoSchema"
# Request bodies: no "$"-prefixed or dotted keys, bounded nesting (sentimatrix.api.parsers).
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = ["sentimatrix.api.parsers.SafeJSONParser"]
