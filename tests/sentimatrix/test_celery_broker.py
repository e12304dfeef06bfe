"""A task really travels through the Redis broker to a worker running in a thread."""

from __future__ import annotations

import uuid

import pytest
import redis
from django.conf import settings

from sentimatrix.celery import app
from sentimatrix.tasks import ping


@pytest.fixture
def redis_client():
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip(f"Redis is not answering at {settings.REDIS_URL}; `make test` starts it")
    return client


def test_task_name_is_stable() -> None:
    assert ping.name == "sentimatrix.ping"


def test_ping_goes_through_redis_and_a_real_worker(redis_client, settings) -> None:
    from celery.contrib.testing.worker import start_worker

    token = uuid.uuid4().hex
    app.conf.task_always_eager = False
    app.conf.broker_url = settings.REDIS_URL
    # A queue of its own: messages other tests left in Redis must not stand in front of this one.
    queue = f"ping-{token}"
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=10):
            # An explicit connection: the app's producer pool may predate the broker_url change above.
            with app.connection_for_write(settings.REDIS_URL) as connection:
                ping.apply_async(
                    kwargs={"token": token, "redis_url": settings.REDIS_URL}, queue=queue, connection=connection
                )
            value = None
            for _ in range(300):  # up to 30 s: a loaded CI machine starts the worker slowly
                value = redis_client.get(f"sentimatrix:ping:{token}")
                if value:
                    break
                import time

                time.sleep(0.1)
    finally:
        app.conf.task_always_eager = True
    assert value == b"pong"


def test_celery_reliability_settings() -> None:
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.task_time_limit > conf.task_soft_time_limit > 0
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit
