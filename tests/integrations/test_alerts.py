"""alert.sentiment_drop: the pure rule, the service (once per job, baseline from earlier jobs), webhook
emission, and the project endpoints."""

from __future__ import annotations

import json

import pytest
from bson import ObjectId
from django.db import connection

from integrations.alerts import DropRule, JobSample, evaluate_sentiment_drop
from integrations.models import Alert, JobSentimentSample
from integrations.services import (
    alert_evaluate_analysis_job,
    alert_record_job_sentiment,
    alert_rule_set,
    alert_sentiment_drop,
    webhook_create,
)
from integrations.services import webhooks as webhook_services
from tests.factories_projects import ProjectFactory, TargetFactory
from tests.factories_results import make_result

BASELINE = [0.10, 0.12, 0.08, 0.11, 0.09, 0.10, 0.13, 0.07, 0.10, 0.10]  # mean 0.10, std 0.0167


def _samples(values, size=50):
    return [JobSample(v, 0.5, size) for v in values]


def test_rule_fires_above_threshold_only():
    rule = DropRule()
    calm = evaluate_sentiment_drop(JobSample(0.13, 0.4, 50), _samples(BASELINE), rule)
    assert not calm.fire and calm.baseline_jobs == 10
    assert calm.baseline_mean == pytest.approx(0.10) and calm.baseline_std == pytest.approx(0.016733, abs=1e-5)
    # std below the 0.02 floor: 0.145 is 2.25 floored sigmas above 0.10
    drop = evaluate_sentiment_drop(JobSample(0.145, 0.4, 50), _samples(BASELINE), rule)
    assert drop.fire and drop.deviation_sigma == pytest.approx(2.25)
    # fewer negatives is never a drop
    assert not evaluate_sentiment_drop(JobSample(0.0, 0.9, 50), _samples(BASELINE), rule).fire


def test_rule_needs_sample_and_baseline():
    rule = DropRule(min_sample=20, min_baseline_jobs=3)
    assert "only 5 results" in evaluate_sentiment_drop(JobSample(0.9, -0.5, 5), _samples(BASELINE), rule).reason
    small_history = _samples([0.1, 0.1]) + _samples([0.1] * 5, size=3)  # small jobs do not count
    decision = evaluate_sentiment_drop(JobSample(0.9, -0.5, 50), small_history, rule)
    assert not decision.fire and decision.baseline_jobs == 2
    # only the newest window_jobs count
    rule = DropRule(window_jobs=3)
    history = _samples([0.5, 0.5, 0.5] + [0.0] * 10)
    assert not evaluate_sentiment_drop(JobSample(0.52, 0.0, 50), history, rule).fire


def test_avg_score_metric_lower_is_worse():
    rule = DropRule(metric="avg_score")
    history = [JobSample(0.1, s, 50) for s in (0.6, 0.62, 0.58, 0.6)]
    assert evaluate_sentiment_drop(JobSample(0.1, 0.3, 50), history, rule).fire
    assert not evaluate_sentiment_drop(JobSample(0.1, 0.9, 50), history, rule).fire


# --- service -------------------------------------------------------------------------------------------


@pytest.fixture
def project(user):
    return ProjectFactory(user=user)


@pytest.fixture
def sent(monkeypatch):
    calls = []

    def fake(url, *, headers, body, **kwargs):
        from integrations.webhooks.transport import DeliveryOutcome

        calls.append(json.loads(body))
        return DeliveryOutcome(status_code=200)

    monkeypatch.setattr(webhook_services, "transport_deliver", fake)
    monkeypatch.setattr(webhook_services, "resolver", lambda host, port, **kw: [(2, 1, 6, "", ("93.184.216.34", 443))])
    return calls


def _baseline(project):
    for i, share in enumerate(BASELINE):
        assert (
            alert_record_job_sentiment(
                project=project, job_id=f"job{i}", negative_share=share, avg_score=0.4, sample_size=50
            )
            is None
        )


@pytest.mark.django_db
def test_service_fires_once_per_job_and_emits(user, project, sent):
    alert_rule_set(actor=user, project=project, enabled=True)
    webhook_create(actor=user, url="https://hooks.example.com/a", events=["alert.sentiment_drop"])
    _baseline(project)
    alert = alert_record_job_sentiment(
        project=project, job_id="bad", negative_share=0.4, avg_score=-0.2, sample_size=60
    )
    assert alert is not None
    assert alert.data["baseline_mean"] == 0.1 and alert.data["deviation_sigma"] == 15.0
    assert len(sent) == 1 and sent[0]["type"] == "alert.sentiment_drop"
    assert sent[0]["data"]["job_id"] == "bad" and sent[0]["data"]["project_id"] == str(project.pk)
    again = alert_record_job_sentiment(
        project=project, job_id="bad", negative_share=0.4, avg_score=-0.2, sample_size=60
    )
    assert again.pk == alert.pk
    assert Alert.objects.count() == 1 and len(sent) == 1
    assert JobSentimentSample.objects.filter(project=project).count() == 11


@pytest.mark.django_db
def test_without_rule_samples_accumulate_but_nothing_fires(user, project, sent):
    _baseline(project)
    assert (
        alert_record_job_sentiment(project=project, job_id="bad", negative_share=0.9, avg_score=-1, sample_size=60)
        is None
    )
    assert JobSentimentSample.objects.count() == 11 and not Alert.objects.exists()


@pytest.mark.django_db
def test_evaluate_from_analysis_job_results(user, project, sent):
    alert_rule_set(actor=user, project=project, enabled=True, min_sample=10)
    _baseline(project)
    job_id = ObjectId()
    target = TargetFactory(project=project)
    ids = [
        make_result(target=target, label=label, score=score)
        for label, score in [("negative", -0.8)] * 8 + [("positive", 0.7)] * 12
    ]
    make_result(target=target, label="negative", score=-1.0)  # another job's result: not counted
    connection.get_collection("results").update_many({"_id": {"$in": ids}}, {"$set": {"analysis_job_id": job_id}})
    alert = alert_evaluate_analysis_job(project=project, analysis_job_id=job_id)
    assert alert is not None
    assert alert.data["negative_share"] == 0.4 and alert.data["sample_size"] == 20
    assert alert.data["avg_score"] == pytest.approx((-6.4 + 8.4) / 20, abs=1e-4)
    # the adapter results.services calls
    assert alert_sentiment_drop(user=user, project=project, data={"analysis_job_id": str(job_id)}).pk == alert.pk
    assert alert_sentiment_drop(user=user, project=project, data={}) is None


# --- API -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_alert_endpoints(api, user, other_user, project, client_for, sent):
    url = f"/api/v1/projects/{project.pk}/alert-rule"
    assert api.get(url).json() == {
        "enabled": False, "metric": "negative_share", "threshold_sigma": 2.0, "window_jobs": 10, "min_sample": 20,
    }  # fmt: skip
    resp = api.put(url, {"enabled": True, "threshold_sigma": 3}, format="json")
    assert resp.status_code == 200 and resp.json()["threshold_sigma"] == 3.0
    assert api.put(url, {"enabled": True, "threshold_sigma": 0}, format="json").status_code == 400
    _baseline(project)
    alert_record_job_sentiment(project=project, job_id="bad", negative_share=0.5, avg_score=None, sample_size=60)
    body = api.get(f"/api/v1/projects/{project.pk}/alerts").json()
    assert body["count"] == 1 and body["results"][0]["type"] == "alert.sentiment_drop"
    other = client_for(other_user)
    assert other.get(f"/api/v1/projects/{project.pk}/alerts").status_code == 404
    assert other.get(url).status_code == 404
    assert other.put(url, {"enabled": False}, format="json").status_code == 404
