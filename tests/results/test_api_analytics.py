"""Results API and analytics on a known dataset, with exact expected numbers (two time zones)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from results.selectors import results_collection
from tests.factories_accounts import UserFactory
from tests.factories_projects import ProjectFactory, TargetFactory
from tests.factories_results import make_result

pytestmark = pytest.mark.django_db


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def dataset(project, user):
    """Five results over two targets; #4 is positive by the model but corrected to negative."""
    a = TargetFactory(project=project, user=user, platform="steam")
    b = TargetFactory(project=project, user=user, platform="amazon")
    ids = [
        make_result(target=a, text="Love it, superb.", label="positive", score=0.8, rating=5,
                    date=at(2026, 1, 5, 23, 30), emotion="joy", emotion_score=0.9, created_at=at(2026, 2, 2)),
        make_result(target=a, text="Broken on arrival.", label="negative", score=-0.6, rating=1,
                    date=at(2026, 1, 6, 0, 30), emotion="anger", emotion_score=0.7, created_at=at(2026, 2, 2, 1)),
        make_result(target=a, text="It is a game.", label="neutral", score=0.0, rating=3,
                    date=at(2026, 1, 6, 10), language="und", created_at=at(2026, 2, 2, 2)),
        make_result(target=b, text="Nice, I guess. Not really.", label="positive", score=0.4, rating=4,
                    date=at(2026, 1, 12, 8), emotion="joy", emotion_score=0.5, override="negative",
                    platform="amazon", created_at=at(2026, 2, 2, 3)),
        make_result(target=b, text="Sad it broke so fast.", label="negative", score=-0.8, rating=2,
                    date=at(2026, 2, 1, 1), emotion="sadness", emotion_score=0.6, platform="amazon",
                    created_at=at(2026, 2, 2, 4)),
    ]  # fmt: skip
    # another tenant's result never shows up anywhere
    other = TargetFactory(project=ProjectFactory())
    make_result(target=other, text="Love it, superb.", label="positive", date=at(2026, 1, 5))
    return {"a": a, "b": b, "ids": ids}


def url(project, tail: str) -> str:
    return f"/api/v1/projects/{project.pk}/{tail}"


def test_list_filters_order_and_paginate(client_for, user, project, dataset) -> None:
    client = client_for(user)
    response = client.get(url(project, "results"), {"page_size": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 5 and len(body["results"]) == 2
    assert body["results"][0]["id"] == str(dataset["ids"][4])  # newest first
    assert body["results"][0]["label"] == "negative"

    def ids(**params) -> list[str]:
        res = client.get(url(project, "results"), {"ordering": "created_at", **params})
        assert res.status_code == 200, res.json()
        return [r["id"] for r in res.json()["results"]]

    i = [str(x) for x in dataset["ids"]]
    assert ids(sentiment="negative") == [i[1], i[3], i[4]]  # the corrected one counts as negative
    assert ids(sentiment="positive") == [i[0]]
    assert ids(sentiment="positive,neutral") == [i[0], i[2]]
    assert ids(score_min="-0.1", score_max="0.5") == [i[2], i[3]]
    assert ids(emotion="joy") == [i[0], i[3]]
    assert ids(platform="amazon") == [i[3], i[4]]
    assert ids(target=str(dataset["a"].pk)) == i[:3]
    assert ids(language="und") == [i[2]]
    assert ids(rating_min="2", rating_max="4") == [i[2], i[3], i[4]]
    assert ids(date_from="2026-01-06", date_to="2026-01-12") == [i[1], i[2], i[3]]
    # a bare date is a whole day in tz: 2026-01-05 in New York ends 05:00 UTC on the 6th
    assert ids(date_from="2026-01-05", date_to="2026-01-05", tz="America/New_York") == [i[0], i[1]]
    assert ids(q="broke") == [i[1], i[4]]  # "Broken", "broke": regex fallback on the emulated engine
    assert ids(q="broken arrival") == [i[1]]
    assert ids(has_override="true") == [i[3]]
    assert ids(ordering="-score") == [i[0], i[3], i[2], i[1], i[4]]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"sentiment": "happy"}, "sentiment"),
        ({"score_min": "2"}, "score_min"),
        ({"date_from": "yesterday"}, "date_from"),
        ({"tz": "Mars/Olympus"}, "tz"),
        ({"target": "xyz"}, "target"),
        ({"ordering": "random"}, "ordering"),
        ({"has_override": "maybe"}, "has_override"),
    ],
)
def test_bad_filters_are_400_with_the_field(client_for, user, project, params, field) -> None:
    response = client_for(user).get(url(project, "results"), params)
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"date_from": "0001-01-01", "tz": "Asia/Tokyo"}, "date_from"),
        ({"date_to": "9999-12-31", "tz": "America/New_York"}, "date_to"),
        ({"date_from": "0001-01-01T00:00:00+05:00"}, "date_from"),
    ],
)
def test_dates_outside_the_utc_range_are_400_not_500(client_for, user, project, params, field) -> None:
    client = client_for(user)
    for tail in ("results", "analytics/summary", "analytics/timeline", "results/export/csv"):
        response = client.get(url(project, tail), params)
        assert response.status_code == 400, (tail, response.content[:200])
        assert list(response.json()["error"]["details"]) == [field]
        assert "out of range" in response.json()["error"]["message"]


def test_other_tenants_project_and_result_are_404(client_for, dataset, project) -> None:
    stranger = client_for(UserFactory())
    assert stranger.get(url(project, "results")).status_code == 404
    assert stranger.get(f"/api/v1/results/{dataset['ids'][0]}").status_code == 404
    assert stranger.patch(f"/api/v1/results/{dataset['ids'][0]}", {"label_override": {"label": "neutral"}},
                          format="json").status_code == 404  # fmt: skip


def test_detail_override_and_delete(client_for, user, project, dataset) -> None:
    client = client_for(user)
    rid = dataset["ids"][0]
    detail = client.get(f"/api/v1/results/{rid}").json()
    assert detail["analysis"]["sentiment"]["label"] == "positive" and detail["label_override"] is None
    res = client.patch(
        f"/api/v1/results/{rid}", {"label_override": {"label": "neutral", "note": "irony"}}, format="json"
    )
    assert res.status_code == 200
    body = res.json()
    assert body["label"] == "neutral" and body["analysis"]["sentiment"]["label"] == "positive"
    assert body["label_override"]["note"] == "irony" and body["label_override"]["previous_label"] == "positive"
    bad = client.patch(f"/api/v1/results/{rid}", {"label_override": {"label": "great"}}, format="json")
    assert bad.status_code == 400
    assert client.delete(f"/api/v1/results/{rid}").status_code == 204
    assert client.get(f"/api/v1/results/{rid}").status_code == 404


def test_bulk_delete_needs_confirm_and_uses_the_filters(client_for, user, project, dataset) -> None:
    client = client_for(user)
    assert client.delete(url(project, "results") + "?platform=amazon").status_code == 400
    res = client.delete(url(project, "results") + "?platform=amazon&confirm=true")
    assert res.status_code == 200 and res.json() == {"deleted": 2}
    assert results_collection().count_documents({"project_id": project.pk}) == 3
    project.refresh_from_db()
    assert project.stats.total_results == 3


def test_a_misspelt_filter_is_400_and_deletes_nothing(client_for, user, project, dataset) -> None:
    client = client_for(user)
    res = client.delete(url(project, "results") + "?sentimnet=negative&confirm=true")
    assert res.status_code == 400
    error = res.json()["error"]
    assert list(error["details"]) == ["sentimnet"]
    assert error["message"].startswith("sentimnet: Unknown parameter 'sentimnet'; did you mean 'sentiment'?")
    assert results_collection().count_documents({"project_id": project.pk}) == 5
    # the same refusal on every read that takes the filters; each view's own parameters still pass
    for tail in ("results", "analytics/summary", "analytics/timeline", "results/export/csv"):
        res = client.get(url(project, tail), {"sentimnet": "negative"})
        assert res.status_code == 400 and "sentimnet" in res.json()["error"]["details"], tail
    assert client.get(url(project, "analytics/summary"), {"ordering": "score"}).status_code == 400
    assert client.get(url(project, "results"), {"page": "1", "page_size": "2", "ordering": "score"}).status_code == 200
    assert client.get(url(project, "analytics/timeline"), {"bucket": "week", "format": "json"}).status_code == 200
    assert client.get(url(project, "analytics/emotions"), {"top": "3"}).status_code == 200
    assert client.get(url(project, "results/export/json"), {"ordering": "score"}).status_code == 200


def test_summary(client_for, user, project, dataset) -> None:
    body = client_for(user).get(url(project, "analytics/summary")).json()
    assert body["total"] == 5
    assert body["sentiment_distribution"] == {"positive": 1, "neutral": 1, "negative": 3}
    assert body["sentiment_share"] == {"positive": 0.2, "neutral": 0.2, "negative": 0.6}
    assert body["average_score"] == pytest.approx(-0.04)
    assert body["average_rating"] == 3.0
    assert body["platforms"] == {"steam": 3, "amazon": 2}
    assert body["languages"] == {"en": 4, "und": 1}
    assert body["overrides"] == 1
    assert body["date_range"] == {"first": "2026-01-05T23:30:00Z", "last": "2026-02-01T01:00:00Z"}
    filtered = client_for(user).get(url(project, "analytics/summary"), {"platform": "amazon"}).json()
    assert filtered["total"] == 2 and filtered["sentiment_distribution"]["negative"] == 2


def points(client, project, **params) -> list[tuple]:
    body = client.get(url(project, "analytics/timeline"), params).json()
    return [(p["bucket"], p["count"], p["average_score"], p["counts"]["negative"]) for p in body["points"]]


def test_timeline_by_day_in_two_time_zones(client_for, user, project, dataset) -> None:
    client = client_for(user)
    assert points(client, project, bucket="day", tz="UTC") == [
        ("2026-01-05", 1, 0.8, 0),
        ("2026-01-06", 2, -0.3, 1),
        ("2026-01-12", 1, 0.4, 1),
        ("2026-02-01", 1, -0.8, 1),
    ]
    assert points(client, project, bucket="day", tz="America/New_York") == [
        ("2026-01-05", 2, 0.1, 1),
        ("2026-01-06", 1, 0.0, 0),
        ("2026-01-12", 1, 0.4, 1),
        ("2026-01-31", 1, -0.8, 1),
    ]
    assert points(client, project, bucket="day", tz="Asia/Tokyo") == [
        ("2026-01-06", 3, pytest.approx(0.0667, abs=1e-4), 1),
        ("2026-01-12", 1, 0.4, 1),
        ("2026-02-01", 1, -0.8, 1),
    ]
    body = client.get(url(project, "analytics/timeline"), {"bucket": "day", "tz": "America/New_York"}).json()
    first = body["points"][0]
    assert body["timezone"] == "America/New_York"
    assert first["start"] == "2026-01-05T05:00:00Z"  # local midnight, as a UTC instant
    assert first["share"] == {"positive": 0.5, "neutral": 0.0, "negative": 0.5}


def test_timeline_buckets_in_the_zone_the_filter_read_dates_in(client_for, user, project, dataset) -> None:
    from results.selectors import ResultFilter

    user.settings.timezone = "Asia/Tokyo"
    user.save()
    flt = ResultFilter.from_params({"date_from": "2026-01-06"}, user=user, project=project)
    assert flt.tz.key == "Asia/Tokyo" and flt.date_from == at(2026, 1, 5, 15)
    assert ResultFilter.from_params({"tz": "America/New_York"}, user=user).tz.key == "America/New_York"
    body = client_for(user).get(url(project, "analytics/timeline"), {"bucket": "day"}).json()
    assert body["timezone"] == "Asia/Tokyo"  # the user's zone when the query names none
    assert [p["start"] for p in body["points"]][0] == "2026-01-05T15:00:00Z"


def test_timeline_by_week_and_month(client_for, user, project, dataset) -> None:
    client = client_for(user)
    assert points(client, project, bucket="week", tz="UTC") == [
        ("2026-01-05", 3, pytest.approx(0.0667, abs=1e-4), 1),
        ("2026-01-12", 1, 0.4, 1),
        ("2026-01-26", 1, -0.8, 1),
    ]
    assert points(client, project, bucket="month", tz="UTC") == [
        ("2026-01", 4, pytest.approx(0.15), 2),
        ("2026-02", 1, -0.8, 1),
    ]
    assert points(client, project, bucket="month", tz="America/New_York") == [
        ("2026-01", 5, pytest.approx(-0.04), 3),
    ]
    assert client.get(url(project, "analytics/timeline"), {"bucket": "year"}).status_code == 400


def test_emotions_targets_platforms(client_for, user, project, dataset) -> None:
    client = client_for(user)
    emotions = client.get(url(project, "analytics/emotions")).json()["emotions"]
    assert [(e["emotion"], e["count"], e["share"], e["average_score"]) for e in emotions] == [
        ("joy", 2, 0.5, 0.7),
        ("anger", 1, 0.25, 0.7),
        ("sadness", 1, 0.25, 0.6),
    ]
    assert emotions[0]["average_sentiment"] == pytest.approx(0.6)
    assert len(client.get(url(project, "analytics/emotions"), {"top": 1}).json()["emotions"]) == 1
    targets = client.get(url(project, "analytics/targets")).json()["targets"]
    assert [(t["target_id"], t["count"]) for t in targets] == [(str(dataset["a"].pk), 3), (str(dataset["b"].pk), 2)]
    assert targets[1]["sentiment_distribution"] == {"positive": 0, "neutral": 0, "negative": 2}
    assert targets[1]["average_score"] == pytest.approx(-0.2)
    platforms = client.get(url(project, "analytics/platforms")).json()["platforms"]
    assert [(p["platform"], p["count"], p["average_rating"]) for p in platforms] == [
        ("steam", 3, 3.0),
        ("amazon", 2, 3.0),
    ]


def test_topics_from_insights(client_for, user, project, dataset) -> None:
    results_collection().update_one(
        {"_id": dataset["ids"][0]},
        {"$set": {"analysis.insights": {"pros": ["battery life"], "cons": [], "analyzer": "t",
                  "topics": [{"topic": "performance", "sentiment": 0.6}, {"topic": "price/value", "sentiment": 0.2}]}}},
    )  # fmt: skip
    results_collection().update_one(
        {"_id": dataset["ids"][1]},
        {"$set": {"analysis.insights": {"pros": ["battery life"], "cons": ["screen"], "analyzer": "t",
                  "topics": [{"topic": "performance", "sentiment": -0.4}]}}},
    )  # fmt: skip
    body = client_for(user).get(url(project, "analytics/topics")).json()
    assert body["topics"] == [
        {"topic": "performance", "mentions": 2, "sentiment": 0.1},
        {"topic": "price/value", "mentions": 1, "sentiment": 0.2},
    ]
    assert body["pros"] == [{"phrase": "battery life", "count": 2}]
    assert body["cons"] == [{"phrase": "screen", "count": 1}]


def test_dashboard(client_for, user, project, dataset) -> None:
    ProjectFactory(user=user)
    make_result(target=dataset["a"], label="positive", created_at=datetime.now(UTC))
    body = client_for(user).get("/api/v1/analytics/dashboard").json()
    assert body["projects"] == 2 and body["total_results"] == 6 and body["results_last_7_days"] == 1
    assert body["sentiment_distribution"] == {"positive": 2, "neutral": 1, "negative": 3}
    per_project = {p["project_id"]: p["total_results"] for p in body["per_project"]}
    assert per_project[str(project.pk)] == 6
