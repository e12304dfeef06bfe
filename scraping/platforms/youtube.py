"""YouTube: video URL -> video id, and comments from the Data API v3 (docs/platforms.md section 4).

``commentThreads.list`` pages top-level comments (1 quota unit per call); a thread embeds only a
subset of its replies, so when ``include_replies`` is set and the thread has more replies than it
embeds, ``comments.list?parentId=`` fetches them all. The API key travels in the
``X-Goog-Api-Key`` header rather than ``key=`` so it never appears in a logged URL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, parse_qs, urlsplit

import httpx

from scraping.platforms.base import (
    AuthConfigError,
    DisabledError,
    FetchContext,
    FetchError,
    FetchOptions,
    NotFoundError,
    Page,
    ParsedTarget,
    Platform,
    QuotaExhaustedError,
    Review,
    SchemaDriftError,
    TransientError,
    UrlParseError,
)
from scraping.platforms.http import base_url, error_for_status, json_body, make_client, request_with_retries
from scraping.platforms.payload import expect_dict, expect_list, expect_str, in_window, optional_int, utc_from_iso

PLATFORM = Platform.YOUTUBE
SOURCE = "official_api"
MAX_PAGE_SIZE = 100
CREDENTIAL_KEY = "youtube"
WATCH_URL = "https://www.youtube.com/watch"

_HOST = re.compile(r"^(?:(?:www|m|music|gaming)\.)?youtube(?:-nocookie)?\.com$")
_SHORT_HOST = re.compile(r"^(?:www\.)?youtu\.be$")
_VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_ID_PATH = re.compile(r"^/(?:shorts|embed|live|v|e|watch)/(?P<id>[A-Za-z0-9_-]{11})(?=[/?#&]|$)")
_ID_PATH_PREFIX = re.compile(r"^/(?:shorts|embed|live|v|e|watch)/(?P<rest>[^/]*)")
_CLIP_PATH = re.compile(r"^/clip/(?P<clip>[A-Za-z0-9_-]{10,64})/?$")
_CHANNEL_PATH = re.compile(r"^/(?:@[^/]+|channel/|c/|user/)")
_EXAMPLE = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"

_DISABLED_REASONS = frozenset({"commentsDisabled"})
_QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
_RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
_NOT_FOUND_REASONS = frozenset({"videoNotFound", "commentThreadNotFound", "commentNotFound", "notFound"})
_AUTH_REASONS = frozenset(
    {
        "keyInvalid",
        "keyExpired",
        "accessNotConfigured",
        "ipRefererBlocked",
        "forbidden",
        "API_KEY_INVALID",
        "API_KEY_SERVICE_BLOCKED",
        "SERVICE_DISABLED",
    }
)


# --- URL intake -------------------------------------------------------------------------------


def parse_url(parts: SplitResult) -> ParsedTarget | None:
    """A YouTube video URL -> video id; None when the host is not YouTube's."""
    if _SHORT_HOST.match(parts.netloc):
        first = (re.sub(r"/{2,}", "/", parts.path).strip("/").split("/") or [""])[0]
        if _VIDEO_ID.fullmatch(first):
            return _target(first)
        raise UrlParseError(f"This youtu.be link has no valid video id (11 characters). Example: {_EXAMPLE}")
    if not _HOST.match(parts.netloc):
        return None
    return _parse_path(re.sub(r"/{2,}", "/", parts.path) or "/", parts.query, nested=False)


def _parse_path(path: str, query: str, *, nested: bool) -> ParsedTarget:
    params = parse_qs(query, keep_blank_values=True)
    if path.rstrip("/") == "/watch":
        candidate = (params.get("v") or [""])[0]
        if _VIDEO_ID.fullmatch(candidate):
            return _target(candidate)
        raise UrlParseError(f"This YouTube link has no valid video id (v= with 11 characters). Example: {_EXAMPLE}")
    match = _ID_PATH.match(path)
    # "videoseries" is 11 characters of the right alphabet but names an embedded playlist.
    if match is not None and match["id"] != "videoseries":
        return _target(match["id"])
    prefix = _ID_PATH_PREFIX.match(path)
    if prefix is not None:
        if prefix["rest"].startswith("videoseries"):
            raise UrlParseError("This is an embedded YouTube playlist, not a video. Paste the link of one video.")
        raise UrlParseError(f"This YouTube link has no valid video id (11 characters). Example: {_EXAMPLE}")
    if path.rstrip("/") == "/attribution_link" and not nested:
        inner = (params.get("u") or [""])[0]
        if inner:
            # ``u`` is a percent-encoded relative link such as "/watch?v=…&feature=share".
            inner_parts = urlsplit(inner)
            return _parse_path(inner_parts.path or "/", inner_parts.query, nested=True)
    clip = _CLIP_PATH.match(path)
    if clip is not None:
        # A clip id is not a video id: the task resolving this target must fetch the clip page.
        return ParsedTarget(
            platform=PLATFORM,
            detected_type="video",
            canonical_url=f"https://www.youtube.com/clip/{clip['clip']}",
            platform_data={"clip_id": clip["clip"]},
            needs_resolution=True,
        )
    if path.rstrip("/") == "/playlist":
        raise UrlParseError("This is a YouTube playlist, not a video. Paste the link of one video.")
    if _CHANNEL_PATH.match(path):
        raise UrlParseError("This is a YouTube channel, not a video. Paste the link of one video.")
    if path.rstrip("/") == "/results":
        raise UrlParseError("This is a YouTube search page. Open a video and paste its link.")
    raise UrlParseError(f"This YouTube link does not point to a video. It should look like {_EXAMPLE}")


def _target(video_id: str) -> ParsedTarget:
    return ParsedTarget(
        platform=PLATFORM,
        detected_type="video",
        canonical_url=f"{WATCH_URL}?v={video_id}",
        platform_data={"video_id": video_id},
    )


# --- fetching ---------------------------------------------------------------------------------


def fetch_pages(
    target: ParsedTarget, options: FetchOptions, context: FetchContext, cursor: str | None = None
) -> Iterator[Page]:
    """Comment threads of one video, one ``Page`` per ``commentThreads.list`` page.

    ``cursor`` is a ``nextPageToken``. With ``include_replies`` each page also carries the
    replies of its threads (``Page.requests_made`` counts the extra ``comments.list`` calls,
    i.e. quota units). ``options.sort_by="relevance"`` asks for YouTube's ranking; otherwise
    newest first, and then the walk stops at the first thread older than ``options.date_from``.
    """
    video_id = _video_id(target)
    api_key = context.credentials.get(CREDENTIAL_KEY)
    if not api_key:
        raise AuthConfigError("No YouTube Data API key is configured")
    if options.max_results <= 0:
        return
    headers = {"X-Goog-Api-Key": api_key, "Accept": "application/json"}
    api = base_url(context, "youtube_api")
    order = "relevance" if options.sort_by == "relevance" else "time"
    remaining = options.max_results
    page_token = cursor
    seen: set[str] = set()

    def keep(review: Review) -> bool:
        if review.platform_id in seen or not in_window(review.date, options):
            return False
        seen.add(review.platform_id)
        return True

    with make_client(context) as client:
        while True:
            params = {
                "part": "snippet,replies" if options.include_replies else "snippet",
                "videoId": video_id,
                "maxResults": str(min(MAX_PAGE_SIZE, remaining)),
                "order": order,
                "textFormat": "plainText",
            }
            if page_token:
                params["pageToken"] = page_token
            response = request_with_retries(
                client, "GET", f"{api}/commentThreads", context=context, params=params, headers=headers
            )
            payload = _payload(response, "commentThreads.list")
            items = expect_list(payload.get("items", []), "youtube commentThreads items")
            next_token = payload.get("nextPageToken")
            if next_token is not None and (not isinstance(next_token, str) or not next_token):
                raise SchemaDriftError("youtube commentThreads: nextPageToken is not a string")
            requests = 1
            reviews: list[Review] = []
            reached_start = False
            for index, item in enumerate(items):
                if len(reviews) >= remaining:
                    break
                thread = _thread(item, video_id, f"youtube items[{index}]")
                top = thread.top
                if order == "time" and options.date_from is not None and top.date and top.date < options.date_from:
                    reached_start = True
                    break
                if keep(top):
                    reviews.append(top)
                if not options.include_replies or thread.total_replies == 0:
                    continue
                limit = remaining - len(reviews)
                if limit <= 0:
                    break
                if thread.total_replies > len(thread.replies):
                    replies, calls = _fetch_replies(client, api, headers, context, thread.id, video_id, limit, keep)
                    requests += calls
                else:
                    replies = [reply for reply in thread.replies if keep(reply)][:limit]
                reviews.extend(replies)
            remaining -= len(reviews)
            finished = reached_start or remaining <= 0 or not next_token
            yield Page(reviews=reviews, cursor=None if finished else next_token, requests_made=requests)
            if finished:
                return
            page_token = next_token


@dataclass(frozen=True)
class _Thread:
    id: str
    top: Review
    replies: list[Review]  # the subset YouTube embeds
    total_replies: int


def _thread(item: Any, video_id: str, what: str) -> _Thread:
    data = expect_dict(item, what)
    thread_id = expect_str(data.get("id"), f"{what}.id")
    snippet = expect_dict(data.get("snippet"), f"{what}.snippet")
    total_replies = optional_int(snippet.get("totalReplyCount")) or 0
    top = _comment(snippet.get("topLevelComment"), video_id, f"{what}.snippet.topLevelComment", total_replies)
    replies: list[Review] = []
    raw_replies = data.get("replies")
    if raw_replies is not None:
        comments = expect_list(expect_dict(raw_replies, f"{what}.replies").get("comments", []), f"{what}.replies")
        replies = [
            _comment(comment, video_id, f"{what}.replies.comments[{number}]") for number, comment in enumerate(comments)
        ]
    return _Thread(thread_id, top, replies, total_replies)


def _fetch_replies(
    client: httpx.Client,
    api: str,
    headers: dict[str, str],
    context: FetchContext,
    thread_id: str,
    video_id: str,
    limit: int,
    keep: Callable[[Review], bool],
) -> tuple[list[Review], int]:
    """All replies of one thread via ``comments.list`` (up to ``limit`` kept); returns them and the call count."""
    replies: list[Review] = []
    calls = 0
    page_token: str | None = None
    while len(replies) < limit:
        params = {
            "part": "snippet",
            "parentId": thread_id,
            "maxResults": str(MAX_PAGE_SIZE),
            "textFormat": "plainText",
        }
        if page_token:
            params["pageToken"] = page_token
        response = request_with_retries(
            client, "GET", f"{api}/comments", context=context, params=params, headers=headers
        )
        calls += 1
        try:
            payload = _payload(response, "comments.list")
        except NotFoundError:
            # The thread was deleted between the two calls: its replies are gone too.
            break
        items = expect_list(payload.get("items", []), "youtube comments items")
        for index, item in enumerate(items):
            reply = _comment(item, video_id, f"youtube comments items[{index}]")
            if keep(reply):
                replies.append(reply)
                if len(replies) >= limit:
                    break
        next_token = payload.get("nextPageToken")
        if not isinstance(next_token, str) or not next_token:
            break
        page_token = next_token
    return replies, calls


def _comment(value: Any, video_id: str, what: str, total_replies: int | None = None) -> Review:
    data = expect_dict(value, what)
    comment_id = expect_str(data.get("id"), f"{what}.id")
    snippet = expect_dict(data.get("snippet"), f"{what}.snippet")
    # textOriginal may be reserved for the comment's author; with textFormat=plainText the
    # textDisplay fallback carries no HTML.
    original = snippet.get("textOriginal")
    if isinstance(original, str) and original:
        text = original
    else:
        text = expect_str(snippet.get("textDisplay"), f"{what}.snippet.textDisplay")
    published = utc_from_iso(snippet.get("publishedAt"), f"{what}.snippet.publishedAt")
    author = snippet.get("authorDisplayName")
    channel = snippet.get("authorChannelId")
    own_video = snippet.get("videoId") if isinstance(snippet.get("videoId"), str) else video_id
    extra: dict[str, Any] = {"like_count": optional_int(snippet.get("likeCount"))}
    if isinstance(snippet.get("parentId"), str):
        extra["parent_id"] = snippet["parentId"]
    if total_replies is not None:
        extra["total_reply_count"] = total_replies
    if isinstance(channel, dict) and isinstance(channel.get("value"), str):
        extra["author_channel_id"] = channel["value"]
    return Review(
        platform=PLATFORM,
        platform_id=comment_id,
        text=text,
        author=author if isinstance(author, str) else "",
        date=published,
        url=f"{WATCH_URL}?v={own_video}&lc={comment_id}",
        source=SOURCE,
        extra={key: value for key, value in extra.items() if value is not None},
    )


def _payload(response: httpx.Response, what: str) -> dict[str, Any]:
    if response.status_code != 200:
        raise _api_error(response, what)
    return expect_dict(json_body(response, f"youtube {what}"), f"youtube {what}")


def _api_error(response: httpx.Response, what: str) -> FetchError:
    """Map a Google JSON error onto the taxonomy by its ``reason`` strings (section 4.2)."""
    status = response.status_code
    reasons: set[str] = set()
    message = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        message = error.get("message") if isinstance(error.get("message"), str) else ""
        for key in ("errors", "details"):
            entries = error.get(key)
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict) and isinstance(entry.get("reason"), str):
                    reasons.add(entry["reason"])
    text = f"youtube {what} answered HTTP {status}" + (f" ({', '.join(sorted(reasons))}): {message}" if reasons else "")
    if reasons & _DISABLED_REASONS:
        return DisabledError(text, status_code=status)
    if reasons & _QUOTA_REASONS:
        return QuotaExhaustedError(text, status_code=status)
    if reasons & _RATE_REASONS:
        # Not retried in-process (a 403 never is); the task may retry later.
        return TransientError(text, status_code=status)
    if status == 404 or reasons & _NOT_FOUND_REASONS:
        return NotFoundError(text, status_code=status)
    if status in (401, 403) or reasons & _AUTH_REASONS or "API key not valid" in message:
        return AuthConfigError(text, status_code=status)
    if status == 400:
        return FetchError(text, status_code=status)
    generic = error_for_status(response, f"youtube {what}")
    return type(generic)(text, status_code=status, retry_after=generic.retry_after)


def _video_id(target: ParsedTarget) -> str:
    if target.platform != PLATFORM or target.needs_resolution:
        raise ValueError(f"youtube.fetch_pages needs a resolved YouTube target, got {target.platform!r}")
    video_id = target.platform_data.get("video_id")
    if not isinstance(video_id, str) or not _VIDEO_ID.fullmatch(video_id):
        raise ValueError(f"YouTube target without a valid video_id: {video_id!r}")
    return video_id
