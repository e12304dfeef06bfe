"""Project-level tasks (app tasks live in each app's ``tasks.py``)."""

from celery import shared_task


@shared_task(name="sentimatrix.ping", ignore_result=True, acks_late=True)
def ping(*, token: str, redis_url: str) -> None:
    """Write ``token`` to Redis: proves a message went through the broker and a worker ran it."""
    import redis

    redis.Redis.from_url(redis_url).set(f"sentimatrix:ping:{token}", "pong", ex=60)
