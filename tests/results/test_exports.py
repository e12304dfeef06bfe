"""Exports: every format, same filters as the list, documented columns, tenant-scoped, streamed."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from django.http import StreamingHttpResponse
from openpyxl import load_workbook

from results.exports import COLUMNS
from tests.factories_accounts import UserFactory
from tests.factories_projects import TargetFactory
from tests.factories_results import make_result

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(project, user):
    a = TargetFactory(project=project, user=user, platform="steam")
    make_result(
        target=a,
        text='=HYPERLINK("http://evil")',
        label="negative",
        score=-0.5,
        rating=1.0,
        date=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        created_at=datetime(2026, 1, 3, tzinfo=UTC),
    )
    make_result(
        target=a,
        text="Lovely, ça marche très bien.",
        label="positive",
        score=0.7,
        rating=5,
        override="neutral",
        emotion="joy",
        date=datetime(2026, 1, 4, tzinfo=UTC),
        created_at=datetime(2026, 1, 5, tzinfo=UTC),
    )
    make_result(target=a, text="Fine.", label="neutral", score=0.0, created_at=datetime(2026, 1, 6, tzinfo=UTC))
    return a  # fmt: skip


def fetch(client, project, fmt: str, **params):
    response = client.get(f"/api/v1/projects/{project.pk}/results/export/{fmt}", params)
    assert response.status_code == 200, getattr(response, "content", b"")[:300]
    assert isinstance(response, StreamingHttpResponse)
    assert f".{fmt}" in response["Content-Disposition"]
    return b"".join(response.streaming_content)


def test_csv_has_documented_columns_filters_and_neutralises_formulas(client_for, user, project, rows) -> None:
    data = fetch(client_for(user), project, "csv", ordering="created_at").decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(data)))
    assert tuple(table[0].keys()) == COLUMNS
    assert len(table) == 3
    first, second = table[0], table[1]
    assert first["text"] == '\'=HYPERLINK("http://evil")'  # CSV injection neutralised
    assert first["label"] == "negative" and first["sentiment_score"] == "-0.5" and first["rating"] == "1.0"
    assert first["date"] == "2026-01-02T03:04:05Z"
    assert (
        second["label"] == "neutral" and second["model_label"] == "positive" and second["label_override"] == "neutral"
    )
    assert second["text"] == "Lovely, ça marche très bien." and second["primary_emotion"] == "joy"
    only = list(
        csv.DictReader(io.StringIO(fetch(client_for(user), project, "csv", sentiment="neutral").decode("utf-8-sig")))
    )
    assert sorted(r["text"] for r in only) == ["Fine.", "Lovely, ça marche très bien."]


def test_json_and_ndjson(client_for, user, project, rows) -> None:
    client = client_for(user)
    as_json = json.loads(fetch(client, project, "json", ordering="created_at"))
    lines = fetch(client, project, "ndjson", ordering="created_at").decode().splitlines()
    assert [json.loads(line) for line in lines] == as_json
    assert len(as_json) == 3 and list(as_json[0]) == list(COLUMNS)
    assert as_json[0]["text"] == '=HYPERLINK("http://evil")'  # JSON is data, not a spreadsheet
    assert as_json[2]["rating"] is None
    assert json.loads(fetch(client, project, "json", platform="amazon")) == []


def test_xlsx_has_results_and_summary_sheets(client_for, user, project, rows) -> None:
    data = fetch(client_for(user), project, "xlsx", ordering="created_at")
    book = load_workbook(io.BytesIO(data), read_only=True)
    assert book.sheetnames == ["results", "summary"]
    sheet = list(book["results"].iter_rows(values_only=True))
    assert sheet[0][0] == "id" and len(sheet) == 4
    header = list(sheet[0])
    assert sheet[1][header.index("date (UTC)")] == datetime(2026, 1, 2, 3, 4, 5)
    assert sheet[2][header.index("label")] == "neutral"
    summary = dict(book["summary"].iter_rows(min_row=2, values_only=True))
    assert summary["total"] == 3 and summary["sentiment_distribution.neutral"] == 2


def test_every_export_is_audited_for_the_owner(client_for, user, project, rows) -> None:
    from audit.models import AuditLog

    fetch(client_for(user), project, "csv", platform="steam")
    entry = AuditLog.objects.get(event_type="results.exported")
    assert entry.user_id == user.pk
    assert entry.metadata["project_id"] == str(project.pk) and entry.metadata["format"] == "csv"


def test_export_is_tenant_scoped_and_checks_the_format(client_for, user, project, rows) -> None:
    stranger = client_for(UserFactory())
    assert stranger.get(f"/api/v1/projects/{project.pk}/results/export/csv").status_code == 404
    bad = client_for(user).get(f"/api/v1/projects/{project.pk}/results/export/pdf")
    assert bad.status_code == 400 and "format" in bad.json()["error"]["details"]


def _synthetic(n: int):
    from bson import ObjectId

    pid, tid = ObjectId(), ObjectId()
    for i in range(n):
        yield {
            "_id": ObjectId(), "project_id": pid, "target_id": tid, "platform": "steam",
            "content": {"text": "The battery lasts all day but the screen scratches. " * 3, "title": "ok",
                        "rating": 4.0, "date": datetime(2026, 1, 1, tzinfo=UTC), "platform_id": str(i)},
            "analysis": {"sentiment": {"label": "positive", "score": 0.4, "confidence": 0.8, "analyzer": "x",
                                       "scores": {"positive": 0.8, "neutral": 0.2}}},
            "created_at": datetime(2026, 1, 2, tzinfo=UTC),
        }  # fmt: skip


@pytest.mark.parametrize("fmt", ["csv", "ndjson", "json"])
def test_streaming_memory_stays_flat(fmt: str) -> None:
    """Peak Python heap for 20,000 rows is about that of 2,000: rows are never all held at once."""
    import tracemalloc

    from results import exports

    stream = {"csv": exports.stream_csv, "ndjson": exports.stream_ndjson, "json": exports.stream_json}[fmt]

    def peak(n: int) -> int:
        tracemalloc.start()
        size = sum(len(chunk) for chunk in stream(_synthetic(n)))
        result = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert size > n * 100
        return result

    small, large = peak(2_000), peak(20_000)
    assert large < small * 1.5 and large < 4_000_000
