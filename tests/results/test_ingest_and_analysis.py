"""results_ingest (dedup, normalization, validator) and offline analysis runs end to end."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pymongo.errors import WriteError

from audit.models import AuditLog
from projects.models import Project
from results import services
from results.models import AnalysisJob, Result
from results.selectors import results_collection
from tests.factories_results import review

pytestmark = pytest.mark.django_db


def test_ingest_counts_only_new_reviews_and_dedups(target) -> None:
    batch = [
        review("Great game, love it.", platform_id="a"),
        review("Great game, love it (again).", platform_id="a"),  # duplicate within the batch
        review("Crashes constantly.", platform_id="b"),
        review("", title="", platform_id="c"),  # nothing to analyze: skipped
        review("No id", platform_id=""),  # no platform id: skipped
    ]
    assert services.results_ingest(job=None, target=target, reviews=batch) == 2
    again = [review("Crashes constantly.", platform_id="b"), review("New one, fine.", platform_id="d")]
    assert services.results_ingest(job=None, target=target, reviews=again) == 1
    docs = list(results_collection().find({"target_id": target.pk}).sort("content.platform_id", 1))
    assert [d["content"]["platform_id"] for d in docs] == ["a", "b", "d"]
    assert docs[0]["content"]["text"] == "Great game, love it."  # first one of a duplicate pair wins
    assert {d["analysis_status"] for d in docs} == {"pending"}
    assert docs[0]["user_id"] == target.user_id and docs[0]["project_id"] == target.project_id


def test_ingest_normalizes_dates_ratings_and_text(target) -> None:
    naive = datetime(2026, 3, 4, 5, 6, 7, 891234)
    services.results_ingest(
        job=None,
        target=target,
        reviews=[review("  Fine\x00 product  ", platform_id="x", date=naive, rating=4, author="  bob ")],
    )
    doc = results_collection().find_one({"content.platform_id": "x"})
    assert doc["content"]["text"] == "Fine product"
    assert doc["content"]["author"] == "bob"
    assert doc["content"]["rating"] == 4.0 and isinstance(doc["content"]["rating"], float)
    assert doc["content"]["date"].replace(tzinfo=UTC) == datetime(2026, 3, 4, 5, 6, 7, 891000, tzinfo=UTC)
    # the ORM reads what the raw insert wrote
    result = Result.objects.get(pk=doc["_id"])
    assert result.content.platform_id == "x" and result.analysis.sentiment is None


def test_validator_rejects_corrupt_documents(target) -> None:
    with pytest.raises(WriteError) as caught:
        results_collection().insert_one({"project_id": "not-an-id", "content": {}})
    assert caught.value.code == 121


def test_after_scrape_analysis_local_fast_writes_provenance_and_stats(project, target, user) -> None:
    texts = {
        "p1": "Absolutely love this game, brilliant and fun.",
        "p2": "Great value, works perfectly.",
        "n1": "Terrible. Crashes every time, waste of money.",
        "u1": "It is a game about trains.",
    }
    services.results_ingest(job=None, target=target, reviews=[review(t, platform_id=k) for k, t in texts.items()])
    project.config.analysis.analyzer = "local-fast"
    project.config.analysis.sentiment_classes = 5
    project.config.analysis.emotions = True
    project.config.analysis.emotion_model = "plutchik"
    project.save()

    job = services.analysis_start(actor=user, project=project, trigger="manual")

    assert (job.status, job.queued, job.analyzed, job.failed) == ("completed", 4, 4, 0)
    assert job.analyzer == "local-fast" and job.tokens_in == 0 and job.cost_usd == 0
    docs = {d["content"]["platform_id"]: d for d in results_collection().find({"project_id": project.pk})}
    labels = {k: d["analysis"]["sentiment"]["label"] for k, d in docs.items()}
    assert labels == {"p1": "positive", "p2": "positive", "n1": "negative", "u1": "neutral"}
    for doc in docs.values():
        assert doc["analysis_status"] == "done"
        assert doc["language"] == "en"
        assert doc["analysis"]["emotions"]["model"] == "plutchik"
        prov = doc["analysis_provenance"]["sentiment"]
        assert prov["analyzer"].startswith("lexicon:vader-3.3.2+")
        assert prov["preset"] == project.preset and prov["analysis_job_id"] == job.pk and prov["provider"] is None
        assert doc["analysis_provenance"]["emotions"]["analyzer"].startswith("lexicon:emotion-keywords")
        assert doc["analysis_provenance"]["summary"] is None
        scores = doc["analysis"]["sentiment"]["scores"]
        assert abs(sum(scores.values()) - 1) < 1e-4 and scores["very_positive"] + scores["very_negative"] > 0
    project.refresh_from_db()
    assert project.stats.total_results == 4
    dist = project.stats.sentiment_distribution
    assert (dist.positive, dist.neutral, dist.negative) == (2, 1, 1)
    expected_avg = round(sum(d["analysis"]["sentiment"]["score"] for d in docs.values()) / 4, 4)
    assert project.stats.avg_sentiment == pytest.approx(expected_avg, abs=1e-4)
    events = set(AuditLog.objects.values_list("event_type", flat=True))
    assert {"analysis.started", "analysis.completed"} <= events


def test_after_scrape_run_takes_only_that_jobs_pending_results(project, target, user) -> None:
    from bson import ObjectId

    class Job:
        pk = ObjectId()

    services.results_ingest(job=None, target=target, reviews=[review("Old review, good.", platform_id="old")])
    services.results_ingest(job=Job, target=target, reviews=[review("New review, bad.", platform_id="new")])
    job = services.analysis_start(actor=None, project=project, scrape_job=Job)
    assert (job.trigger, job.queued, job.analyzed) == ("after_scrape", 1, 1)
    assert results_collection().find_one({"content.platform_id": "old"})["analysis_status"] == "pending"
    assert results_collection().find_one({"content.platform_id": "new"})["analysis_status"] == "done"


def test_a_queued_run_resumes_where_it_stopped(project, target, user, settings) -> None:
    settings.RESULTS_ANALYSIS_BATCH_SIZE = 2
    services.results_ingest(
        job=None, target=target, reviews=[review(f"Fine {i}.", platform_id=f"k{i}") for i in range(5)]
    )
    job = AnalysisJob.objects.create(user=user, project_id=project.pk, analyzer="local-fast", options={})
    results_collection().update_many({}, {"$set": {"analysis_status": "queued", "analysis_job_id": job.pk}})
    # two results were finished by an earlier attempt that died
    finished = [d["_id"] for d in results_collection().find().sort("_id", 1).limit(2)]
    results_collection().update_many({"_id": {"$in": finished}}, {"$set": {"analysis_status": "done"}})
    assert services.analysis_run(str(job.pk)) == "completed"
    job.refresh_from_db()
    assert (job.analyzed, job.failed, job.attempts) == (3, 0, 1)
    assert results_collection().count_documents({"analysis_status": "done"}) == 5


def test_manual_run_conflicts_with_an_active_one(project, user) -> None:
    from sentimatrix.api.errors import ConflictError

    AnalysisJob.objects.create(user=user, project_id=project.pk, analyzer="local-fast", status="running")
    with pytest.raises(ConflictError):
        services.analysis_start(actor=user, project=project)


def test_label_override_counts_in_stats_and_is_audited(project, target, user) -> None:
    services.results_ingest(job=None, target=target, reviews=[review("Love it, great.", platform_id="z")])
    services.analysis_start(actor=user, project=project)
    doc = results_collection().find_one({"content.platform_id": "z"})
    assert doc["analysis"]["sentiment"]["label"] == "positive"
    updated = services.result_label_override(actor=user, result_id=str(doc["_id"]), label="negative", note="sarcasm")
    assert updated["label_override"]["label"] == "negative"
    assert updated["label_override"]["previous_label"] == "positive"
    assert updated["analysis"]["sentiment"]["label"] == "positive"  # the model's label is kept
    project.refresh_from_db()
    assert project.stats.sentiment_distribution.negative == 1 and project.stats.sentiment_distribution.positive == 0
    assert AuditLog.objects.filter(event_type="result.label_override").count() == 1
    services.result_label_override(actor=user, result_id=str(doc["_id"]), label=None)
    project = Project.objects.get(pk=project.pk)
    assert project.stats.sentiment_distribution.positive == 1
