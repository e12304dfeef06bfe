"""Re-analysis endpoints: whole project, filter, dry run estimate, one result; analysis job reads."""

from __future__ import annotations

import pytest

from results import services
from results.models import AnalysisJob
from results.selectors import results_collection
from tests.factories_accounts import UserFactory
from tests.factories_results import review

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(target):
    texts = ["Love it, great.", "Awful, broken.", "It is a box.", "Superb value."]
    services.results_ingest(
        job=None, target=target, reviews=[review(t, platform_id=f"s{i}") for i, t in enumerate(texts)]
    )
    return target


def test_analyze_project_then_filtered_reanalysis(client_for, user, project, stored) -> None:
    client = client_for(user)
    res = client.post(f"/api/v1/projects/{project.pk}/analyze", {}, format="json")
    assert res.status_code == 202
    body = res.json()
    assert (body["status"], body["queued"], body["analyzed"], body["trigger"]) == ("completed", 4, 4, "reanalyze")
    again = client.post(f"/api/v1/projects/{project.pk}/analyze", {"filters": {"sentiment": "negative"}}, format="json")
    assert again.json()["queued"] == 1
    jobs = client.get(f"/api/v1/projects/{project.pk}/analysis-jobs").json()
    assert jobs["count"] == 2 and jobs["results"][0]["id"] == again.json()["id"]
    assert client.get(f"/api/v1/analysis-jobs/{body['id']}").json()["analyzed"] == 4
    assert client_for(UserFactory()).get(f"/api/v1/analysis-jobs/{body['id']}").status_code == 404


def test_dry_run_returns_an_estimate_and_changes_nothing(client_for, user, project, stored) -> None:
    res = client_for(user).post(f"/api/v1/projects/{project.pk}/analyze", {"dry_run": True}, format="json")
    assert res.status_code == 200
    assert res.json() == {
        "results": 4, "analyzer": "local-fast", "provider": None, "model": None, "requests": 0,
        "input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0, "priced": True,
    }  # fmt: skip
    assert results_collection().count_documents({"analysis_status": "pending"}) == 4


def test_reanalyze_one_result(client_for, user, project, stored) -> None:
    doc = results_collection().find_one({"content.platform_id": "s1"})
    res = client_for(user).post(f"/api/v1/results/{doc['_id']}/reanalyze")
    assert res.status_code == 202 and res.json()["queued"] == 1 and res.json()["analyzed"] == 1
    doc = results_collection().find_one({"_id": doc["_id"]})
    assert doc["analysis"]["sentiment"]["label"] == "negative"
    assert results_collection().count_documents({"analysis_status": "done"}) == 1


def test_bad_analyze_input_is_400(client_for, user, project, stored) -> None:
    res = client_for(user).post(f"/api/v1/projects/{project.pk}/analyze", {"result_ids": ["nope"]}, format="json")
    assert res.status_code == 400
    res = client_for(user).post(
        f"/api/v1/projects/{project.pk}/analyze", {"filters": {"sentiment": "x"}}, format="json"
    )
    assert res.status_code == 400 and "sentiment" in res.json()["error"]["details"]


def test_a_misspelt_analyze_filter_is_400_and_queues_nothing(client_for, user, project, stored) -> None:
    res = client_for(user).post(
        f"/api/v1/projects/{project.pk}/analyze", {"filters": {"sentimnet": "negative"}}, format="json"
    )
    assert res.status_code == 400 and list(res.json()["error"]["details"]) == ["sentimnet"]
    # only filters belong in the body's filters, not the list's own parameters
    res = client_for(user).post(f"/api/v1/projects/{project.pk}/analyze", {"filters": {"page": "1"}}, format="json")
    assert res.status_code == 400 and "page" in res.json()["error"]["details"]
    assert results_collection().count_documents({"analysis_status": "pending"}) == 4
    assert not AnalysisJob.objects.filter(project_id=project.pk).exists()
