"""Helpers shared by the platform fetchers.

Typed access to decoded JSON payloads: a wrong shape becomes ``SchemaDriftError``, never a
``KeyError``/``TypeError`` deep inside a fetcher (docs/platforms.md section 10, ``SchemaDrift``).

Each helper takes ``what``, a short path such as ``"steam reviews[3].author"``, so the error says
exactly which part of the answer changed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scraping.platforms.base import FetchOptions, SchemaDriftError


def expect_dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SchemaDriftError(f"{what}: expected an object, got {type(value).__name__}")
    return value


def expect_list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise SchemaDriftError(f"{what}: expected a list, got {type(value).__name__}")
    return value


def expect_str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise SchemaDriftError(f"{what}: expected a string, got {type(value).__name__}")
    return value


def expect_int(value: Any, what: str) -> int:
    # bool is an int subclass; a true/false where a count belongs is drift, not a number.
    if isinstance(value, bool) or not isinstance(value, int):
        raise SchemaDriftError(f"{what}: expected an integer, got {type(value).__name__}")
    return value


def expect_number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SchemaDriftError(f"{what}: expected a number, got {type(value).__name__}")
    return float(value)


def expect_bool(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise SchemaDriftError(f"{what}: expected true/false, got {type(value).__name__}")
    return value


def optional_int(value: Any) -> int | None:
    """An informational integer (votes, counts): kept when it is one, dropped otherwise."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def utc_from_timestamp(value: Any, what: str) -> datetime:
    """An aware UTC datetime from unix seconds (int or float)."""
    seconds = expect_number(value, what)
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise SchemaDriftError(f"{what}: {value!r} is not a usable unix timestamp") from exc


def utc_from_iso(value: Any, what: str) -> datetime:
    """An aware UTC datetime from an RFC 3339 string (``2024-05-01T10:00:00Z``, with offset or fraction)."""
    text = expect_str(value, what)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise SchemaDriftError(f"{what}: {text!r} is not an RFC 3339 date") from exc
    if parsed.tzinfo is None:
        raise SchemaDriftError(f"{what}: {text!r} has no time zone")
    return parsed.astimezone(UTC)


def in_window(when: datetime | None, options: FetchOptions) -> bool:
    """Whether a review date lies in ``[options.date_from, options.date_to]`` (open ends allowed)."""
    if when is None:
        return True
    if options.date_from is not None and when < options.date_from:
        return False
    return options.date_to is None or when <= options.date_to
