"""Fault tests (issue 9, gate 6): failures part-way leave consistent data and work that can resume.

- an analysis run whose provider fails (5xx/timeout) after the first batch: the first batch is fully
  analyzed, the rest untouched and still queued (no result half-written), and running the job again
  finishes exactly the rest; a database error while storing a batch is the same; an analyzer that
  crashes inside a batch marks that batch failed as a whole and the run goes on;
- the broker (Redis) down when a scrape job is enqueued: the API answers 503 naming the job, which is
  not lost: it stays queued (a second request gets 409) and the stuck-job sweep sends it again;
- a webhook receiver that hangs: its delivery times out within the configured budget, and the next
  delivery to a healthy receiver is still sent.
"""

from __future__ import annotations

import socket
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.factories_accounts import UserFactory
from tests.factories_projects import ProjectFactory, TargetFactory
from tests.factories_results import make_result

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------------------------- analysis runs


def _queued_job(n: int = 12, batch: int = 4, settings: Any = None) -> tuple[Any, list]:
    """A project with ``n`` pending results and an analysis job that has claimed them (not run yet)."""
    from unittest import mock

    from results import services

    settings.RESULTS_ANALYSIS_BATCH_SIZE = batch
    user = UserFactory()
    project = ProjectFactory(user=user)
    target = TargetFactory(project=project)
    ids = [make_result(target=target, text=f"Review {i}: great value, works well.", label=None, status="pending")
           for i in range(n)]  # fmt: skip
    with mock.patch("results.tasks.run_analysis_job.delay"):
        job = services.analysis_start(actor=user, project=project)
    return job, ids


def _states(ids: list) -> dict[str, list]:
    from results.selectors import results_collection

    states: dict[str, list] = {}
    for doc in results_collection().find({"_id": {"$in": ids}}):
        sentiment = (doc.get("analysis") or {}).get("sentiment")
        states.setdefault(doc["analysis_status"], []).append((doc["_id"], sentiment is not None))
    return states


def _assert_no_half_written(ids: list) -> dict[str, list]:
    states = _states(ids)
    for status, rows in states.items():
        for result_id, has_sentiment in rows:
            if status == "done":
                assert has_sentiment, f"{result_id} done without a sentiment"
            else:
                assert not has_sentiment, f"{result_id} is {status} but carries a sentiment: half-written"
    return states


def test_provider_failure_mid_run_keeps_finished_batches_and_resumes(settings) -> None:
    from unittest import mock

    from results import services
    from results.analysis.lexicon import LexiconAnalyzer
    from results.analysis.types import ProviderUnavailableError

    job, ids = _queued_job(settings=settings)
    real = LexiconAnalyzer.analyze
    calls: list[list[str]] = []

    def flaky(self: Any, batch: Any, options: Any) -> Any:
        calls.append([r.id for r in batch])
        if len(calls) == 2:
            raise ProviderUnavailableError("provider: HTTP 503: upstream overloaded")
        return real(self, batch, options)

    with mock.patch.object(LexiconAnalyzer, "analyze", flaky):
        with pytest.raises(Exception) as raised:  # the task turns this into a retry with a countdown
            services.analysis_run(str(job.pk))
    assert type(raised.value).__name__ == "RescheduleJob"
    states = _assert_no_half_written(ids)
    assert len(states.get("done", [])) == 4 and len(states.get("queued", [])) == 8

    with mock.patch.object(LexiconAnalyzer, "analyze", flaky):
        assert services.analysis_run(str(job.pk)) == "completed"
    states = _assert_no_half_written(ids)
    assert len(states.get("done", [])) == 12
    analyzed_twice = [i for i in calls[0] if any(i in later for later in calls[2:])]
    assert not analyzed_twice, "finished results were analyzed again on resume"


def test_database_error_while_storing_a_batch_leaves_it_queued(settings) -> None:
    from unittest import mock

    from pymongo.errors import AutoReconnect

    from results import services

    job, ids = _queued_job(settings=settings)
    collection_class = type(services.results_collection())
    real_bulk_write = collection_class.bulk_write
    writes: list[int] = []

    def failing_bulk_write(self: Any, operations: Any, *args: Any, **kwargs: Any) -> Any:
        writes.append(len(operations))
        if len(writes) == 2:
            raise AutoReconnect("connection reset by peer")
        return real_bulk_write(self, operations, *args, **kwargs)

    with mock.patch.object(collection_class, "bulk_write", failing_bulk_write):
        with pytest.raises(AutoReconnect):
            services.analysis_run(str(job.pk))
    states = _assert_no_half_written(ids)
    assert len(states.get("done", [])) == 4 and len(states.get("queued", [])) == 8
    # The job is still active, so the re-sent task continues where the first one stopped.
    assert services.analysis_run(str(job.pk)) == "completed"
    assert len(_assert_no_half_written(ids).get("done", [])) == 12


def test_analyzer_crash_inside_a_batch_fails_that_batch_whole(settings) -> None:
    from unittest import mock

    from results import services
    from results.analysis.lexicon import LexiconAnalyzer

    job, ids = _queued_job(settings=settings)
    real = LexiconAnalyzer.analyze
    calls: list[int] = []

    def crashing(self: Any, batch: Any, options: Any) -> Any:
        calls.append(len(batch))
        if len(calls) == 2:
            raise ZeroDivisionError("bug in the analyzer")
        return real(self, batch, options)

    with mock.patch.object(LexiconAnalyzer, "analyze", crashing):
        services.analysis_run(str(job.pk))
    states = _assert_no_half_written(ids)
    assert len(states.get("done", [])) == 8
    assert len(states.get("failed", [])) == 4


# ----------------------------------------------------------------------------------- broker down


def test_broker_down_at_enqueue_loses_no_scrape_job(client_as) -> None:
    from unittest import mock

    from kombu.exceptions import OperationalError

    from scraping.models import ScrapeJob
    from scraping.services import scrape_jobs_requeue_stuck

    user = UserFactory()
    project = ProjectFactory(user=user)
    TargetFactory(project=project)
    broker_down = OperationalError("Error 111 connecting to localhost:6379. Connection refused.")
    with mock.patch("scraping.tasks.run_scrape_job.delay", side_effect=broker_down):
        response = client_as(user).post(f"/api/v1/projects/{project.pk}/scrape", {}, format="json")
    # A clear 503 in the envelope, naming the job that was kept.
    assert response.status_code == 503, response.content
    error = response.json()["error"]
    assert error["code"] == "job_queue_unavailable" and "queue is unavailable" in error["message"]
    jobs = list(ScrapeJob.objects.filter(project=project))
    assert len(jobs) == 1 and jobs[0].status == "queued" and jobs[0].active, [(j.status, j.pk) for j in jobs]
    assert error["details"] == {"job_id": str(jobs[0].pk), "status": "queued"}
    # Sending the request again does not start a second job: the kept one is active.
    with mock.patch("scraping.tasks.run_scrape_job.delay", side_effect=broker_down):
        again = client_as(user).post(f"/api/v1/projects/{project.pk}/scrape", {}, format="json")
    assert again.status_code == 409 and again.json()["error"]["details"]["job_id"] == str(jobs[0].pk)
    # Not lost: once the broker is back, the sweep re-sends the job that never reached a worker.
    sent: list[str] = []
    with mock.patch("scraping.tasks.run_scrape_job.delay", side_effect=lambda **kw: sent.append(kw["job_id"])):
        summary = scrape_jobs_requeue_stuck(now=timezone.now() + timedelta(hours=2))
    assert str(jobs[0].pk) in summary.redispatched and sent == [str(jobs[0].pk)]


def test_enqueue_reads_a_real_unreachable_broker_as_down_and_lets_task_bugs_surface() -> None:
    """The error classes ``scrape_job_enqueue`` treats as "queue down" are the ones kombu really raises."""
    from unittest import mock

    from scraping.services import scrape_job_enqueue
    from scraping.tasks import run_scrape_job
    from sentimatrix.celery import app

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now

    def publish_to_dead_broker(**kwargs: Any) -> Any:
        with app.connection_for_write(f"redis://127.0.0.1:{port}/0") as connection:
            return run_scrape_job.apply_async(kwargs=kwargs, connection=connection, retry=False)

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False  # publish for real
    try:
        with mock.patch("scraping.tasks.run_scrape_job.delay", side_effect=publish_to_dead_broker):
            assert scrape_job_enqueue(job_id="0" * 24) is False
    finally:
        app.conf.task_always_eager = eager
    # A bug inside an eagerly run task is not a broker outage: it propagates.
    with mock.patch("scraping.tasks.run_scrape_job.delay", side_effect=KeyError("bug")):
        with pytest.raises(KeyError):
            scrape_job_enqueue(job_id="0" * 24)


# ------------------------------------------------------------------------------ hanging webhook


class _HangingServer:
    """Accepts connections on 127.0.0.1 and never answers (closed by ``stop``)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self._stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
                self.conns.append(conn)
            except OSError:
                continue

    def stop(self) -> None:
        self._stop = True
        for conn in self.conns:
            conn.close()
        self.sock.close()


class _HealthyServer:
    """A local receiver answering 204 to every POST."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                received.append(self.rfile.read(int(self.headers.get("content-length", 0))))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_hanging_webhook_receiver_does_not_block_other_deliveries(settings) -> None:
    """The real ``delivery_attempt`` (what the worker runs per delivery) with the configured timeouts:
    a receiver that accepts and never answers costs at most the timeout budget and is recorded as a
    failed attempt to retry; the next delivery, to a healthy receiver, is sent."""
    from integrations.models import WebhookDelivery
    from integrations.services.webhooks import delivery_attempt
    from tests.factories_integrations import make_delivery, make_webhook

    settings.WEBHOOK_ALLOW_HTTP_LOCALHOST = True
    settings.WEBHOOK_CONNECT_TIMEOUT = 0.5
    settings.WEBHOOK_TOTAL_TIMEOUT = 1.5
    hanging, healthy = _HangingServer(), _HealthyServer()
    try:
        user = UserFactory()
        slow_hook, _ = make_webhook(user=user, url=f"http://127.0.0.1:{hanging.port}/hook", events=["job.completed"])
        good_hook, _ = make_webhook(user=user, url=f"http://127.0.0.1:{healthy.port}/hook", events=["job.completed"])
        slow, good = make_delivery(webhook=slow_hook), make_delivery(webhook=good_hook)
        started = time.perf_counter()
        delivery_attempt(delivery_id=slow.pk)
        hung_for = time.perf_counter() - started
        delivery_attempt(delivery_id=good.pk)
    finally:
        hanging.stop()
        healthy.stop()
    assert hung_for < settings.WEBHOOK_TOTAL_TIMEOUT + 2.0, f"a hanging receiver held the worker {hung_for:.1f} s"
    slow, good = WebhookDelivery.objects.get(pk=slow.pk), WebhookDelivery.objects.get(pk=good.pk)
    assert slow.status != WebhookDelivery.Status.SUCCESS and slow.error, (slow.status, slow.error)
    assert len(healthy.received) == 1
    assert good.status == WebhookDelivery.Status.SUCCESS, good.status
