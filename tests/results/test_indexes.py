"""The results indexes the migrations really create (issue 9 findings on index coverage)."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def _keys() -> dict[str, list[tuple[str, int]]]:
    info = connection.database["results"].index_information()
    return {name: [(k, d if isinstance(d, str) else int(d)) for k, d in spec["key"]] for name, spec in info.items()}


def test_list_indexes_end_with_the_id_tie_breaker() -> None:
    keys = _keys()
    assert keys["results_project_created"] == [("project_id", 1), ("created_at", -1), ("_id", -1)]
    assert keys["results_target_created"] == [("target_id", 1), ("created_at", -1), ("_id", -1)]
    assert keys["results_project_label"] == [
        ("project_id", 1),
        ("analysis.sentiment.label", 1),
        ("created_at", -1),
        ("_id", -1),
    ]
    assert keys["results_project_date"] == [("project_id", 1), ("content.date", -1), ("_id", -1)]


def test_each_branch_of_the_sentiment_filter_has_an_index() -> None:
    keys = _keys()
    # {label_override.label: $in} branch; the model-label branch uses results_project_label.
    assert keys["results_project_override_label"] == [
        ("project_id", 1),
        ("label_override.label", 1),
        ("created_at", -1),
        ("_id", -1),
    ]


def test_analysis_queue_index_gives_batches_in_id_order() -> None:
    assert _keys()["results_analysis_queue"] == [("analysis_job_id", 1), ("analysis_status", 1), ("_id", 1)]
