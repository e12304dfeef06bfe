"""Reads of results and analysis jobs. Tenant scoping lives here: every filter starts from the user.

Lists, exports, bulk deletes, re-analysis and analytics share one filter builder
(``ResultFilter.to_mongo``), so "the same filters as the list" is true by construction. Reads go
through pymongo on the ``results`` collection (no ORM instances for 100,000-row exports).

Text search: ``$text`` on the ``results_text`` index on a real server; the emulated engine has no
``$text``, so there it is a case-insensitive ``$regex`` on ``content.text`` and ``content.title``
for every word of the query (all words must occur). The switch is
``sentimatrix.db.capabilities.supports_text_search``. The two differ: ``$text`` stems and ignores
punctuation, the fallback matches substrings.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bson import ObjectId
from django.db import connection
from rest_framework.exceptions import ValidationError

from results.models import SENTIMENT_LABELS, AnalysisJob, Result
from sentimatrix.api.errors import NotFoundError
from sentimatrix.db.capabilities import supports_text_search

EFFECTIVE_LABEL = {"$ifNull": ["$label_override.label", "$analysis.sentiment.label"]}
ORDERINGS = {
    "created_at": [("created_at", 1), ("_id", 1)],
    "-created_at": [("created_at", -1), ("_id", -1)],
    "date": [("content.date", 1), ("_id", 1)],
    "-date": [("content.date", -1), ("_id", -1)],
    "score": [("analysis.sentiment.score", 1), ("_id", 1)],
    "-score": [("analysis.sentiment.score", -1), ("_id", -1)],
    "rating": [("content.rating", 1), ("_id", 1)],
    "-rating": [("content.rating", -1), ("_id", -1)],
}
MAX_SEARCH_LENGTH = 200


def results_collection() -> Any:
    return connection.database[Result._meta.db_table]


def jobs_collection() -> Any:
    return connection.database[AnalysisJob._meta.db_table]


def projects_collection() -> Any:
    return connection.database["projects"]


# ---------------------------------------------------------------- projects (owned by the projects app)


def project_for(*, user: Any, project_id: Any) -> Any:
    """The user's project or NotFoundError (another tenant's id is indistinguishable from a missing one)."""
    from projects.selectors import project_get

    return project_get(user=user, project_id=project_id)


def _oid(value: Any, name: str) -> ObjectId:
    if isinstance(value, ObjectId):
        return value
    if isinstance(value, str) and len(value) == 24 and ObjectId.is_valid(value):
        return ObjectId(value)
    raise ValidationError({name: [f"Not a valid id: {value!r}; expected 24 hexadecimal characters."]})


# ---------------------------------------------------------------- filters


def _parse_float(raw: str, name: str, low: float | None = None, high: float | None = None) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ValidationError({name: [f"Expected a number, got {raw!r}."]}) from None
    if value != value or (low is not None and value < low) or (high is not None and value > high):
        raise ValidationError({name: [f"Must be between {low} and {high}."]})
    return value


def _parse_datetime(raw: str, name: str, *, end: bool, tz: ZoneInfo) -> datetime:
    """ISO date or datetime; a bare date covers the whole day (``date_to`` is inclusive) in ``tz``."""
    raw = raw.strip()
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            moment = datetime.combine(day, time.max if end else time.min, tzinfo=tz)
        else:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=tz)
        return moment.astimezone(UTC)
    except ValueError:
        raise ValidationError({name: [f"Expected an ISO date (2026-01-31) or datetime, got {raw!r}."]}) from None
    except OverflowError:  # 0001-01-01 east of UTC, 9999-12-31 west of it: outside what a datetime holds
        raise ValidationError({name: [f"{raw!r} is out of range in UTC; use a date between 0002 and 9998."]}) from None


def parse_timezone(raw: str | None, default: str = "UTC") -> ZoneInfo:
    name = (raw or default or "UTC").strip()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError({"tz": [f"Unknown time zone {name!r}; use an IANA name such as Europe/Paris."]}) from None


def _bool(raw: str, name: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes"):
        return True
    if value in ("0", "false", "no"):
        return False
    raise ValidationError({name: ["Expected true or false."]})


@dataclass
class ResultFilter:
    """Validated list filters. Build with ``from_params``; ``to_mongo`` gives the pymongo filter."""

    user_id: ObjectId
    project_id: ObjectId | None = None
    sentiment: list[str] = field(default_factory=list)
    score_min: float | None = None
    score_max: float | None = None
    emotion: str | None = None
    platform: list[str] = field(default_factory=list)
    target_id: ObjectId | None = None
    language: list[str] = field(default_factory=list)
    rating_min: float | None = None
    rating_max: float | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    search: str | None = None
    has_override: bool | None = None
    analysis_status: str | None = None
    result_ids: list[ObjectId] | None = None
    scrape_job_id: ObjectId | None = None
    # The zone bare dates were read in (``tz`` or the user's); timelines bucket in it too.
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))

    KEYS = (
        "sentiment", "score_min", "score_max", "emotion", "platform", "target", "language", "rating_min",
        "rating_max", "date_from", "date_to", "q", "has_override", "analysis_status", "tz",
    )  # fmt: skip

    @classmethod
    def from_params(
        cls, params: Mapping[str, Any], *, user: Any, project: Any = None, allowed: Iterable[str] = ()
    ) -> ResultFilter:
        """Validate ``params``. A name that is neither a filter (``KEYS``) nor one of the caller's own
        parameters (``allowed``: ordering, page, confirm, ...) is refused: a misspelt filter must not
        silently widen a bulk delete or a re-analysis to every result of the project."""
        unknown = sorted(set(params) - set(cls.KEYS) - set(allowed))
        if unknown:
            known = sorted({*cls.KEYS, *allowed})
            raise ValidationError({name: [_unknown_message(name, known)] for name in unknown})

        def get(key: str) -> str | None:
            value = params.get(key)
            if isinstance(value, (list, tuple)):
                value = value[0] if value else None
            if value is None:
                return None
            value = str(value).strip()
            return value or None

        def many(key: str) -> list[str]:
            raw = get(key)
            return [part.strip() for part in raw.split(",") if part.strip()] if raw else []

        tz = parse_timezone(get("tz"), _user_timezone(user))
        flt = cls(user_id=user.pk, project_id=project.pk if project is not None else None, tz=tz)
        flt.sentiment = many("sentiment")
        bad = [label for label in flt.sentiment if label not in SENTIMENT_LABELS]
        if bad:
            raise ValidationError({"sentiment": [f"Unknown label {bad[0]!r}; use positive, neutral or negative."]})
        if (raw := get("score_min")) is not None:
            flt.score_min = _parse_float(raw, "score_min", -1, 1)
        if (raw := get("score_max")) is not None:
            flt.score_max = _parse_float(raw, "score_max", -1, 1)
        if flt.score_min is not None and flt.score_max is not None and flt.score_min > flt.score_max:
            raise ValidationError({"score_min": ["score_min must not exceed score_max."]})
        if (raw := get("emotion")) is not None:
            if not re.fullmatch(r"[a-z_]{2,32}", raw):
                raise ValidationError({"emotion": [f"Not an emotion label: {raw!r}."]})
            flt.emotion = raw
        flt.platform = many("platform")
        if any(not re.fullmatch(r"[a-z_]{2,32}", p) for p in flt.platform):
            raise ValidationError({"platform": ["Platforms are lower-case names such as steam or amazon."]})
        if (raw := get("target")) is not None:
            flt.target_id = _oid(raw, "target")
        flt.language = many("language")
        if any(not re.fullmatch(r"[a-z]{2,3}", code) for code in flt.language):
            raise ValidationError({"language": ["Languages are ISO 639-1 codes such as en, or und."]})
        if (raw := get("rating_min")) is not None:
            flt.rating_min = _parse_float(raw, "rating_min", 0, 100)
        if (raw := get("rating_max")) is not None:
            flt.rating_max = _parse_float(raw, "rating_max", 0, 100)
        if (raw := get("date_from")) is not None:
            flt.date_from = _parse_datetime(raw, "date_from", end=False, tz=tz)
        if (raw := get("date_to")) is not None:
            flt.date_to = _parse_datetime(raw, "date_to", end=True, tz=tz)
        if flt.date_from and flt.date_to and flt.date_from > flt.date_to:
            raise ValidationError({"date_from": ["date_from must not be after date_to."]})
        if (raw := get("q")) is not None:
            if len(raw) > MAX_SEARCH_LENGTH:
                raise ValidationError({"q": [f"Search text is limited to {MAX_SEARCH_LENGTH} characters."]})
            flt.search = raw
        if (raw := get("has_override")) is not None:
            flt.has_override = _bool(raw, "has_override")
        if (raw := get("analysis_status")) is not None:
            if raw not in Result.AnalysisStatus.values:
                raise ValidationError({"analysis_status": [f"Use one of {', '.join(Result.AnalysisStatus.values)}."]})
            flt.analysis_status = raw
        return flt

    def to_mongo(self) -> dict[str, Any]:
        clauses: list[dict[str, Any]] = [{"user_id": self.user_id}]
        if self.project_id is not None:
            clauses.append({"project_id": self.project_id})
        if self.result_ids is not None:
            clauses.append({"_id": {"$in": list(self.result_ids)}})
        if self.scrape_job_id is not None:
            clauses.append({"scrape_job_id": self.scrape_job_id})
        if self.sentiment:
            # The corrected label counts where there is one (issue 6, label correction).
            clauses.append(
                {
                    "$or": [
                        {"label_override.label": {"$in": self.sentiment}},
                        {"label_override": None, "analysis.sentiment.label": {"$in": self.sentiment}},
                    ]
                }
            )
        score: dict[str, float] = {}
        if self.score_min is not None:
            score["$gte"] = self.score_min
        if self.score_max is not None:
            score["$lte"] = self.score_max
        if score:
            clauses.append({"analysis.sentiment.score": score})
        if self.emotion:
            clauses.append({"analysis.emotions.primary": self.emotion})
        if self.platform:
            clauses.append({"platform": {"$in": self.platform}})
        if self.target_id is not None:
            clauses.append({"target_id": self.target_id})
        if self.language:
            clauses.append({"language": {"$in": self.language}})
        rating: dict[str, float] = {}
        if self.rating_min is not None:
            rating["$gte"] = self.rating_min
        if self.rating_max is not None:
            rating["$lte"] = self.rating_max
        if rating:
            clauses.append({"content.rating": rating})
        when: dict[str, datetime] = {}
        if self.date_from is not None:
            when["$gte"] = self.date_from
        if self.date_to is not None:
            when["$lte"] = self.date_to
        if when:
            clauses.append({"content.date": when})
        if self.has_override is not None:
            clauses.append({"label_override": {"$ne": None} if self.has_override else None})
        if self.analysis_status:
            clauses.append({"analysis_status": self.analysis_status})
        if self.search:
            clauses.append(text_search_clause(self.search))
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _unknown_message(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"Unknown parameter {name!r}; {hint}accepted here: {', '.join(known)}."


def text_search_clause(query: str) -> dict[str, Any]:
    if supports_text_search():
        return {"$text": {"$search": query}}
    words = [w for w in re.findall(r"\w+", query) if w] or [query]
    return {
        "$and": [
            {
                "$or": [
                    {"content.text": {"$regex": re.escape(word), "$options": "i"}},
                    {"content.title": {"$regex": re.escape(word), "$options": "i"}},
                ]
            }
            for word in words
        ]
    }


def _user_timezone(user: Any) -> str:
    settings = getattr(user, "settings", None)
    return getattr(settings, "timezone", None) or "UTC"


# ---------------------------------------------------------------- reading results


def result_get(*, user: Any, result_id: Any) -> dict[str, Any]:
    """The raw result document, or NotFoundError (also for another tenant's result)."""
    try:
        oid = _oid(result_id, "id")
    except ValidationError:
        raise NotFoundError("No such result.") from None
    doc = results_collection().find_one({"_id": oid, "user_id": user.pk})
    if doc is None:
        raise NotFoundError("No such result.")
    return doc


def result_get_model(*, user: Any, result_id: Any) -> Result:
    try:
        return Result.objects.get(pk=_oid(result_id, "id"), user=user)
    except (Result.DoesNotExist, ValidationError):
        raise NotFoundError("No such result.") from None


class ResultCursor:
    """A lazily counted, sliceable view of a filter: what Django's Paginator needs (count + slices)."""

    def __init__(self, query: Mapping[str, Any], ordering: str = "-created_at") -> None:
        if ordering not in ORDERINGS:
            raise ValidationError({"ordering": [f"Use one of {', '.join(ORDERINGS)}."]})
        self.query = dict(query)
        self.sort = ORDERINGS[ordering]
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            self._count = results_collection().count_documents(self.query)
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        if not isinstance(item, slice):
            raise TypeError("ResultCursor supports slices only")
        start = item.start or 0
        stop = item.stop if item.stop is not None else start + 100
        cursor = results_collection().find(self.query).sort(self.sort).skip(start).limit(max(0, stop - start))
        return list(cursor)

    def iterate(self) -> Iterator[dict[str, Any]]:
        """Every matching document, in order, without holding them all (exports; the server's
        cursor batches of up to 16 MB keep memory flat)."""
        yield from results_collection().find(self.query).sort(self.sort)


def results_for_filter(flt: ResultFilter, ordering: str = "-created_at") -> ResultCursor:
    return ResultCursor(flt.to_mongo(), ordering)


# ---------------------------------------------------------------- analysis jobs


def analysis_job_get(*, user: Any, job_id: Any) -> AnalysisJob:
    try:
        return AnalysisJob.objects.get(pk=_oid(job_id, "id"), user=user)
    except (AnalysisJob.DoesNotExist, ValidationError):
        raise NotFoundError("No such analysis job.") from None


def analysis_job_list(*, user: Any, project: Any) -> Any:
    return AnalysisJob.objects.filter(user=user, project_id=project.pk).order_by("-created_at")
