"""Result exports: CSV, JSON, NDJSON and XLSX, streamed so memory stays flat whatever the size.

Columns (every format, in this order; JSON and NDJSON use the same keys):

==================  ==============================================================================
id                  result id
project_id          project id
target_id           target id
platform            steam, amazon, youtube, ...
platform_id         the platform's own id of the review
url                 link to the review
author              author name as the platform shows it
title               review title (may be empty)
text                review text
rating              numeric rating as the platform gives it (scale in rating_scale), empty if none
rating_scale        "1-5", "1-10", "binary" or empty
date                when the review was written (ISO 8601, UTC)
language            ISO 639-1 code, "und" when undetermined
word_count          words in the text
label               effective sentiment label: the human correction if any, else the model's
model_label         the analyzer's label (positive / neutral / negative)
label_override      the human correction, empty if none
sentiment_score     -1..1
confidence          0..1
very_positive ...   the five class scores (very_positive, positive, neutral, negative, very_negative)
emotion_model       ekman, plutchik or goemotions
primary_emotion     top emotion label
primary_emotion_score  its score
emotions            detected emotions as "label:score" joined by "; "
summary             per-review summary (when the project asks for one)
pros, cons          joined by "; "
topics              "topic:sentiment" joined by "; "
analyzer            the versioned analyzer string of the sentiment block
analyzed_at         when the sentiment was written (ISO 8601, UTC)
created_at          when the review was collected (ISO 8601, UTC)
==================  ==============================================================================

XLSX has two sheets: ``results`` (the columns above) and ``summary`` (the analytics summary of the
same filter). It is written with openpyxl's write-only mode to a temporary file (rows go to disk
as they come), then streamed in chunks.

CSV cells that start with ``=``, ``+``, ``-``, ``@``, tab or carriage return get a leading ``'``
(OWASP CSV injection) when they are text, not numbers.
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "ndjson": "application/x-ndjson",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
SCORE_KEYS = ("very_positive", "positive", "neutral", "negative", "very_negative")
COLUMNS = (
    "id", "project_id", "target_id", "platform", "platform_id", "url", "author", "title", "text", "rating",
    "rating_scale", "date", "language", "word_count", "label", "model_label", "label_override", "sentiment_score",
    "confidence", *SCORE_KEYS, "emotion_model", "primary_emotion", "primary_emotion_score", "emotions", "summary",
    "pros", "cons", "topics", "analyzer", "analyzed_at", "created_at",
)  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _iso(value: Any) -> str | None:
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def flatten(doc: Mapping[str, Any]) -> dict[str, Any]:
    """One result document as a flat row of ``COLUMNS`` (None for empty values)."""
    content = doc.get("content") or {}
    analysis = doc.get("analysis") or {}
    sentiment = analysis.get("sentiment") or {}
    emotions = analysis.get("emotions") or {}
    summary = analysis.get("summary") or {}
    insights = analysis.get("insights") or {}
    override = doc.get("label_override") or {}
    scores = sentiment.get("scores") or {}
    row: dict[str, Any] = {
        "id": str(doc["_id"]),
        "project_id": str(doc.get("project_id")),
        "target_id": str(doc.get("target_id")),
        "platform": doc.get("platform"),
        "platform_id": content.get("platform_id"),
        "url": content.get("url") or None,
        "author": content.get("author") or None,
        "title": content.get("title") or None,
        "text": content.get("text"),
        "rating": content.get("rating"),
        "rating_scale": content.get("rating_scale"),
        "date": _iso(content.get("date")),
        "language": doc.get("language"),
        "word_count": doc.get("word_count"),
        "label": override.get("label") or sentiment.get("label"),
        "model_label": sentiment.get("label"),
        "label_override": override.get("label"),
        "sentiment_score": sentiment.get("score"),
        "confidence": sentiment.get("confidence"),
        **{key: scores.get(key) for key in SCORE_KEYS},
        "emotion_model": emotions.get("model"),
        "primary_emotion": emotions.get("primary"),
        "primary_emotion_score": emotions.get("primary_score"),
        "emotions": "; ".join(f"{d['emotion']}:{d['score']}" for d in emotions.get("detected") or []) or None,
        "summary": summary.get("text") or None,
        "pros": "; ".join(insights.get("pros") or []) or None,
        "cons": "; ".join(insights.get("cons") or []) or None,
        "topics": "; ".join(f"{t['topic']}:{t['sentiment']}" for t in insights.get("topics") or []) or None,
        "analyzer": sentiment.get("analyzer"),
        "analyzed_at": _iso(sentiment.get("analyzed_at")),
        "created_at": _iso(doc.get("created_at")),
    }
    return row


def _safe_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def stream_csv(docs: Iterable[Mapping[str, Any]]) -> Iterator[bytes]:
    writer = csv.writer(_Echo())
    yield ("\ufeff" + writer.writerow(COLUMNS)).encode("utf-8")  # BOM: Excel opens UTF-8 correctly
    buffer: list[str] = []
    for doc in docs:
        row = flatten(doc)
        buffer.append(writer.writerow([_safe_cell(row[column]) for column in COLUMNS]))
        if len(buffer) >= 500:
            yield "".join(buffer).encode("utf-8")
            buffer = []
    if buffer:
        yield "".join(buffer).encode("utf-8")


def stream_ndjson(docs: Iterable[Mapping[str, Any]]) -> Iterator[bytes]:
    buffer: list[str] = []
    for doc in docs:
        buffer.append(json.dumps(flatten(doc), ensure_ascii=False) + "\n")
        if len(buffer) >= 500:
            yield "".join(buffer).encode("utf-8")
            buffer = []
    if buffer:
        yield "".join(buffer).encode("utf-8")


def stream_json(docs: Iterable[Mapping[str, Any]]) -> Iterator[bytes]:
    yield b"["
    first = True
    buffer: list[str] = []
    for doc in docs:
        buffer.append(("\n" if first else ",\n") + json.dumps(flatten(doc), ensure_ascii=False))
        first = False
        if len(buffer) >= 500:
            yield "".join(buffer).encode("utf-8")
            buffer = []
    if buffer:
        yield "".join(buffer).encode("utf-8")
    yield b"\n]\n"


def _xlsx_value(column: str, value: Any) -> Any:
    if value is None:
        return None
    if column in ("date", "analyzed_at", "created_at") and isinstance(value, str):
        # Excel has no time zones: write naive UTC datetimes (the header says so).
        return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)
    return _safe_cell(value)


def write_xlsx(
    docs: Iterable[Mapping[str, Any]], summary: Mapping[str, Any], chunk_size: int = 64 * 1024
) -> Iterator[bytes]:
    """Build the workbook in write-only mode into a temporary file, then yield it in chunks."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("results")
    sheet.append([c if c not in ("date", "analyzed_at", "created_at") else f"{c} (UTC)" for c in COLUMNS])
    for doc in docs:
        row = flatten(doc)
        sheet.append([_xlsx_value(column, row[column]) for column in COLUMNS])
    info = workbook.create_sheet("summary")
    info.append(["metric", "value"])
    for key, value in _summary_rows(summary):
        info.append([key, value])
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        while chunk := handle.read(chunk_size):
            yield chunk


def _summary_rows(summary: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in summary.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _summary_rows(value, f"{name}.")
        else:
            yield name, value
