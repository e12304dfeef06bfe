"""The Celery app. Settings come from Django's (``CELERY_*``); tasks carry explicit names."""

import os

from celery import Celery
from celery.signals import worker_process_init
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import RedisError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sentimatrix.settings.base")

app = Celery("sentimatrix")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# What sending a task raises when Redis cannot be reached (kombu wraps most; OSError for sockets).
# Catch only these around ``.delay()``: with eager tasks a bug inside the task must still surface.
BROKER_ERRORS = (KombuOperationalError, RedisError, OSError)


@worker_process_init.connect
def _fresh_mongo_client_per_child(**_: object) -> None:
    # pymongo clients are not fork-safe: a prefork child must not reuse the parent's pool.
    from django.db import connections

    for connection in connections.all():
        close_pool = getattr(connection, "close_pool", None)
        if close_pool is not None:
            close_pool()
