"""Helpers shared by the commerce/place platforms (Google, Amazon, Trustpilot, Yelp).

Pure functions: date and rating normalization (docs/platforms.md section 1), tolerant lookups in
provider items whose field names differ between actors, and the glue that turns Apify dataset
batches into ``Page`` objects.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any

from scraping.platforms import base

# --- credentials -------------------------------------------------------------------------------


def require_credential(context: base.FetchContext, key: str, message: str) -> str:
    """Return ``context.credentials[key]`` or fail fast with ``AuthConfigError(message)``.

    The message must say what to configure; the value itself is never part of it.
    """
    value = context.credentials.get(key)
    if not value or not str(value).strip():
        raise base.AuthConfigError(message)
    return str(value).strip()


def redact(text: str, *secrets: str) -> str:
    """Replace every secret in ``text`` (an error message built by a lower layer) with ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def rebuild_error(exc: base.FetchError, message: str) -> base.FetchError:
    """A copy of ``exc`` (same taxonomy class where possible) carrying ``message`` instead."""
    try:
        return type(exc)(message, status_code=exc.status_code, retry_after=exc.retry_after)
    except TypeError:  # a subclass with its own constructor: fall back to the taxonomy class
        fallback = base.TransientError if exc.retryable else base.FetchError
        return fallback(message, status_code=exc.status_code, retry_after=exc.retry_after)


# --- lookups in loosely-typed provider items ---------------------------------------------------


def first_present(item: Mapping[str, Any], *paths: str) -> Any:
    """First non-empty value among dotted ``paths`` (``"consumer.displayName"``) in ``item``."""
    for path in paths:
        value: Any = item
        for part in path.split("."):
            if not isinstance(value, Mapping):
                value = None
                break
            value = value.get(part)
        if value is not None and value != "" and value != []:
            return value
    return None


def as_text(value: Any) -> str:
    """A display string from a provider value: strings are stripped, dicts give their ``text``."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        return as_text(value.get("text") or value.get("name") or value.get("displayName"))
    return " ".join(str(value).split())


def stable_id(*parts: Any) -> str:
    """Deterministic id for items a provider gives no id for, so re-runs upsert the same row."""
    joined = "\x1f".join("" if part is None else str(part) for part in parts)
    return "h:" + hashlib.sha1(joined.encode("utf-8"), usedforsecurity=False).hexdigest()[:32]


# --- ratings -----------------------------------------------------------------------------------

_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def parse_rating(value: Any) -> float | None:
    """A rating as float from a number or a string with a decimal point or comma ("4,5")."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    match = _NUMBER.search(str(value))
    if not match:
        return None
    return float(match.group(0).replace(",", "."))


# --- dates -------------------------------------------------------------------------------------

_ISO_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def utc_from_value(value: Any) -> datetime | None:
    """An aware UTC datetime from ISO 8601 text (``Z`` or offset), a date, or epoch seconds/ms.

    Naive timestamps are taken as UTC: providers that omit the offset report UTC in practice, and
    a wrong guess costs at most a day of date filtering.
    """
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, int | float):
        seconds = float(value) / 1000.0 if value > 10**11 else float(value)  # ms epochs are 13 digits
        return datetime.fromtimestamp(seconds, tz=UTC)
    text = str(value).strip()
    if text.isdigit():
        return utc_from_value(int(text))
    if _ISO_DATE_ONLY.match(text):
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


# Month names as Amazon writes them in each marketplace language (genitive for Polish). One table
# serves every language because no spelling means different months in two of them.
_MONTHS: dict[str, int] = {}
for _names in (
    "january february march april may june july august september october november december",  # en
    "januar februar märz april mai juni juli august september oktober november dezember",  # de
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",  # fr
    "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",  # it
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",  # es
    "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",  # pt
    "januari februari maart april mei juni juli augustus september oktober november december",  # nl
    "januari februari mars april maj juni juli augusti september oktober november december",  # sv
    "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października listopada grudnia",  # pl
    "ocak şubat mart nisan mayıs haziran temmuz ağustos eylül ekim kasım aralık",  # tr
    "يناير فبراير مارس أبريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر",  # ar
):
    for _index, _name in enumerate(_names.split(), start=1):
        _MONTHS[_name] = _index
_MONTHS.update({"setiembre": 9, "ابريل": 4, "sept": 9})

_MONTH_ALT = "|".join(sorted((re.escape(name) for name in _MONTHS), key=len, reverse=True))
# "5 January 2024", "5. Januar 2024", "5 de enero de 2024"
_DAY_MONTH_YEAR = re.compile(rf"(\d{{1,2}})\.?\s+(?:de\s+)?({_MONTH_ALT})\.?,?\s+(?:de\s+)?(\d{{4}})", re.IGNORECASE)
# "January 5, 2024"
_MONTH_DAY_YEAR = re.compile(rf"({_MONTH_ALT})\.?\s+(\d{{1,2}}),?\s+(\d{{4}})", re.IGNORECASE)
# "2024年1月5日" (Japan) and "2024/01/05", "2024-01-05"
_YMD_CJK = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_YMD_NUMERIC = re.compile(r"(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})")


def parse_localized_date(text: str) -> datetime | None:
    """The calendar date inside a localized review-date line, as midnight UTC.

    Handles the marketplace languages Amazon uses: "Reviewed in the United States on January 5,
    2024", "Rezension aus Deutschland vom 5. Januar 2024", "2024年1月5日に日本でレビュー済み", ...
    Returns None when no date is recognized, so callers keep the raw text instead of guessing.
    """
    if not text:
        return None
    lowered = " ".join(text.split()).lower()
    candidates: list[tuple[int, int, int]] = []
    if match := _YMD_CJK.search(lowered):
        candidates.append((int(match.group(1)), int(match.group(2)), int(match.group(3))))
    if match := _DAY_MONTH_YEAR.search(lowered):
        candidates.append((int(match.group(3)), _MONTHS[match.group(2).lower()], int(match.group(1))))
    if match := _MONTH_DAY_YEAR.search(lowered):
        candidates.append((int(match.group(3)), _MONTHS[match.group(1).lower()], int(match.group(2))))
    if match := _YMD_NUMERIC.search(lowered):
        candidates.append((int(match.group(1)), int(match.group(2)), int(match.group(3))))
    for year, month, day in candidates:
        try:
            return datetime(year, month, day, tzinfo=UTC)
        except ValueError:
            continue
    return None


# --- option handling ---------------------------------------------------------------------------


def within_window(review: base.Review, options: base.FetchOptions) -> bool:
    """Whether ``review`` falls inside ``options.date_from``/``date_to`` (undated reviews are kept)."""
    if review.date is None:
        return True
    if options.date_from is not None and review.date < options.date_from:
        return False
    if options.date_to is not None and review.date > options.date_to:
        return False
    return True


# --- provider items -> pages -------------------------------------------------------------------


def map_items(
    items: Iterable[Any],
    mapper: Callable[[Mapping[str, Any]], base.Review | None],
    *,
    platform: str,
) -> list[base.Review]:
    """Map provider items with ``mapper`` (None = not a review row, e.g. a business summary).

    Raises ``SchemaDriftError`` when an item is not an object, or when items came back and not one
    of them looked like a review: that is what an actor changing its output format looks like.
    """
    reviews: list[base.Review] = []
    seen = 0
    for item in items:
        seen += 1
        if not isinstance(item, Mapping):
            raise base.SchemaDriftError(
                f"{platform}: provider returned a {type(item).__name__} where a review object was expected"
            )
        review = mapper(item)
        if review is not None:
            reviews.append(review)
    if seen and not reviews:
        raise base.SchemaDriftError(
            f"{platform}: none of the {seen} provider items had review fields (text, rating or id); "
            "the actor's output format may have changed"
        )
    return reviews


def pages_from_batches(
    batches: Iterator[Any],
    mapper: Callable[[Mapping[str, Any]], base.Review | None],
    options: base.FetchOptions,
    *,
    platform: str,
    flatten: Callable[[Mapping[str, Any]], Iterable[Any]] | None = None,
    target_info: Callable[[list[Any]], Mapping[str, Any]] | None = None,
) -> Iterator[base.Page]:
    """Turn ``providers.apify`` batches into pages, applying the date window and ``max_results``.

    A batch with no items but a cursor is a checkpoint (the actor run id is known, items are not
    there yet) and is passed on as an empty page with that cursor so the caller can persist it.
    ``target_info`` extracts facts about the target from a batch's raw items.
    """
    emitted = 0
    for batch in batches:
        items: Iterable[Any] = batch.items
        if flatten is not None:
            items = [row for item in batch.items for row in flatten(item)]
        reviews = [review for review in map_items(items, mapper, platform=platform) if within_window(review, options)]
        info = dict(target_info(batch.items)) if target_info is not None and batch.items else {}
        remaining = max(options.max_results - emitted, 0)
        if len(reviews) >= remaining and batch.items:
            reviews = reviews[:remaining]
            emitted += len(reviews)
            yield base.Page(reviews=reviews, cursor=None, requests_made=batch.requests_made, target_info=info)
            return
        emitted += len(reviews)
        yield base.Page(reviews=reviews, cursor=batch.cursor, requests_made=batch.requests_made, target_info=info)
        if batch.cursor is None:
            return


@dataclasses.dataclass(frozen=True)
class ItemFields:
    """Where a provider actor puts each review field: dotted paths tried in order.

    Actors for the same site disagree on names (``rating`` / ``stars`` / ``ratingValue``), and the
    operator may swap actors in settings, so mapping by aliases keeps one code path for all.
    """

    id: tuple[str, ...]
    text: tuple[str, ...]
    title: tuple[str, ...]
    rating: tuple[str, ...]
    date: tuple[str, ...]
    author: tuple[str, ...]
    url: tuple[str, ...]
    language: tuple[str, ...]


def review_from_item(
    item: Mapping[str, Any],
    fields: ItemFields,
    *,
    platform: str,
    rating_scale: str | None,
    fallback_url: str,
    source: str = "apify",
) -> base.Review | None:
    """Normalize one provider item; None when it carries no review (id, text and rating all absent)."""
    text = as_text(first_present(item, *fields.text))
    title = as_text(first_present(item, *fields.title))
    rating = parse_rating(first_present(item, *fields.rating))
    review_id = first_present(item, *fields.id)
    if review_id is None and not text and rating is None:
        return None
    raw_date = first_present(item, *fields.date)
    parsed = utc_from_value(raw_date)
    if parsed is None and isinstance(raw_date, str):
        parsed = parse_localized_date(raw_date)
    url = as_text(first_present(item, *fields.url))
    author = as_text(first_present(item, *fields.author))
    extra: dict[str, Any] = {}
    if raw_date is not None and parsed is None:
        extra["date_raw"] = str(raw_date)
    return base.Review(
        platform=platform,
        platform_id=str(review_id) if review_id is not None else stable_id(url, author, raw_date, title, text),
        text=text,
        title=title,
        author=author,
        rating=rating,
        rating_scale=rating_scale,
        date=parsed,
        url=url or fallback_url,
        language=as_text(first_present(item, *fields.language)) or None,
        source=source,
        extra=extra,
    )


# --- the Apify path shared by every commerce platform --------------------------------------------


def with_input_overrides(run_input: dict[str, Any], context: base.FetchContext, platform: str) -> dict[str, Any]:
    """Merge ``context.provider_options["actor_input"][platform]`` over an actor's input."""
    run_input.update((context.provider_options.get("actor_input") or {}).get(platform) or {})
    return run_input


def apify_pages(
    *,
    target: base.ParsedTarget,
    options: base.FetchOptions,
    context: base.FetchContext,
    cursor: str | None,
    platform: str,
    label: str,
    default_actor: str,
    run_input: dict[str, Any],
    mapper: Callable[[Mapping[str, Any]], base.Review | None],
    flatten: Callable[[Mapping[str, Any]], Iterable[Any]] | None = None,
    target_info: Callable[[list[Any]], Mapping[str, Any]] | None = None,
) -> Iterator[base.Page]:
    """Run the platform's Apify actor (``context.actors`` overrides the default) and page its dataset."""
    # Imported here: providers.apify imports this module's helpers.
    from scraping.platforms.http import make_client
    from scraping.providers.apify import ApifyClient

    apify = ApifyClient.from_context(context, platform=label)
    actor = context.actors.get(platform) or default_actor
    with make_client(context) as client:
        batches = apify.iter_batches(
            client, actor, run_input, context=context, cursor=cursor, max_items=options.max_results
        )
        yield from pages_from_batches(
            batches, mapper, options, platform=platform, flatten=flatten, target_info=target_info
        )
