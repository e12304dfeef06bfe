"""Reddit: post URL -> post id (+ subreddit, comment id), and a post's comment tree flattened.

docs/platforms.md section 5. With ``reddit_client_id``/``reddit_client_secret`` in
``context.credentials`` the fetcher uses OAuth app-only access (client-credentials token, then
``oauth.reddit.com``), expands ``more`` stubs through ``/api/morechildren`` in batches of at most
100 ids and follows "continue this thread" links. Without them it reads the public ``.json`` once
(10 queries/min per IP, smaller ``limit``) and leaves ``more`` stubs unexpanded: anonymous access is
a degraded fallback, not something to build on (section 5.2).

Reddit requires a unique, descriptive User-Agent (``<platform>:<app id>:<version> (by /u/<name>)``):
``context.credentials["reddit_user_agent"]`` when set, else ``context.user_agent``.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import SplitResult

import httpx

from scraping.platforms.base import (
    AuthConfigError,
    BlockedError,
    DisabledError,
    FetchContext,
    FetchError,
    FetchOptions,
    NotFoundError,
    Page,
    ParsedTarget,
    Platform,
    Review,
    SchemaDriftError,
    TransientError,
    UrlParseError,
)
from scraping.platforms.http import (
    base_url,
    error_for_status,
    json_body,
    make_client,
    parse_retry_after,
    request_with_retries,
)
from scraping.platforms.payload import (
    expect_dict,
    expect_list,
    expect_str,
    in_window,
    optional_int,
    utc_from_timestamp,
)

PLATFORM = Platform.REDDIT
WEB_URL = "https://www.reddit.com"
OAUTH_COMMENT_LIMIT = 500
PUBLIC_COMMENT_LIMIT = 100
MORECHILDREN_BATCH = 100
# Keep this many calls of the per-client budget in hand (section 10: "keep X-Ratelimit-Remaining > 5").
RATELIMIT_RESERVE = 5.0
# A budget reset further away than this is handed to the task (TransientError) instead of blocking a worker.
MAX_INLINE_WAIT = 60.0
RESET_HEADER = "X-Ratelimit-Reset"
CURSOR_VERSION = 1

_SORTS = frozenset({"confidence", "top", "new", "controversial", "old", "qa", "best"})
_TOMBSTONES = frozenset({"[deleted]", "[removed]"})
_ID = r"[A-Za-z0-9]{4,10}"
_POST_ID = re.compile(r"[a-z0-9]{4,10}")
_THING_ID = re.compile(r"[a-z0-9]{1,13}")

_HOST = re.compile(r"^(?:(?:www|old|new|np|m|i|amp|sh|[a-z]{2})\.)?reddit\.com$")
_SHORT_HOST = re.compile(r"^(?:www\.)?redd\.it$")
_VIDEO_HOST = re.compile(r"^v\.redd\.it$")
_MEDIA_HOST = re.compile(r"^(?:i|preview|external-preview)\.redd\.it$")
# Comment permalinks: /comments/<post>/<slug>/<comment>/ and the newer …/<slug>/comment/<comment>/.
_POST_PATH = re.compile(
    r"^/(?:(?:r/(?P<sub>[A-Za-z0-9_]{2,21})|(?:u|user)/(?P<user>[A-Za-z0-9_-]{3,20}))/)?"
    rf"comments/(?P<id>{_ID})(?:/(?P<slug>[^/]*)(?:/(?:comment/)?(?!comment/?$)(?P<cid>{_ID}))?)?/?$"
)
_GALLERY_PATH = re.compile(rf"^/gallery/(?P<id>{_ID})/?$")
_SHARE_PATH = re.compile(r"^/r/(?P<sub>[A-Za-z0-9_]{2,21})/s/(?P<token>[A-Za-z0-9]+)/?$")
_SHORT_PATH = re.compile(rf"^/(?P<id>{_ID})/?$")
_VIDEO_PATH = re.compile(r"^/(?P<token>[A-Za-z0-9]+)/?$")
_SUBREDDIT_PATH = re.compile(r"^/r/[A-Za-z0-9_]{2,21}(?:/|$)")
_USER_PATH = re.compile(r"^/(?:u|user)/[A-Za-z0-9_-]{3,20}(?:/|$)")
_EXAMPLE = "https://www.reddit.com/r/Python/comments/1b2c3d4/title/"


# --- URL intake -------------------------------------------------------------------------------


def parse_url(parts: SplitResult) -> ParsedTarget | None:
    """A Reddit post URL -> post id; None when the host is not Reddit's."""
    host = parts.netloc
    path = re.sub(r"/{2,}", "/", parts.path) or "/"
    if _SHORT_HOST.match(host):
        match = _SHORT_PATH.match(path)
        if match is None:
            raise UrlParseError("This redd.it link has no post id. It should look like https://redd.it/1641krf")
        return _target(match["id"], subreddit=None)
    if _VIDEO_HOST.match(host):
        match = _VIDEO_PATH.match(path)
        if match is None:
            raise UrlParseError(f"This v.redd.it link has no video id. Paste the post link instead, like {_EXAMPLE}")
        # v.redd.it ids are media ids, not post ids; the link redirects to the post.
        return _unresolved(f"https://v.redd.it/{match['token']}", subreddit=None)
    if _MEDIA_HOST.match(host):
        raise UrlParseError(f"This is a link to a Reddit image, not a post. Paste the post link, like {_EXAMPLE}")
    if not _HOST.match(host):
        return None
    match = _POST_PATH.match(path)
    if match is not None:
        subreddit = match["sub"] or (f"u_{match['user']}" if match["user"] else None)
        return _target(match["id"], subreddit=subreddit, comment_id=match["cid"])
    match = _GALLERY_PATH.match(path)
    if match is not None:
        return _target(match["id"], subreddit=None)
    match = _SHARE_PATH.match(path)
    if match is not None:
        # Share links answer 302 to the canonical /comments/ URL (section 2.4); resolved in a task.
        return _unresolved(f"{WEB_URL}/r/{match['sub']}/s/{match['token']}", subreddit=match["sub"])
    if _SUBREDDIT_PATH.match(path):
        raise UrlParseError(f"This is a subreddit, not a post. Open one post and paste its link, like {_EXAMPLE}")
    if _USER_PATH.match(path):
        raise UrlParseError(f"This is a Reddit user profile, not a post. Paste a post link, like {_EXAMPLE}")
    raise UrlParseError(f"This Reddit link does not point to a post. It should look like {_EXAMPLE}")


def _target(post_id: str, *, subreddit: str | None, comment_id: str | None = None) -> ParsedTarget:
    post_id = post_id.lower()
    prefix = f"/r/{subreddit}" if subreddit else ""
    return ParsedTarget(
        platform=PLATFORM,
        detected_type="post",
        canonical_url=f"{WEB_URL}{prefix}/comments/{post_id}/",
        platform_data={
            "post_id": post_id,
            "subreddit": subreddit,
            "comment_id": comment_id.lower() if comment_id else None,
        },
    )


def _unresolved(url: str, *, subreddit: str | None) -> ParsedTarget:
    return ParsedTarget(
        platform=PLATFORM,
        detected_type="post",
        canonical_url=url,
        platform_data={"post_id": None, "subreddit": subreddit, "comment_id": None},
        needs_resolution=True,
    )


# --- fetching ---------------------------------------------------------------------------------


@dataclass
class _Pending:
    """Work left after a page: ``more`` ids to expand and comment ids whose thread continues elsewhere."""

    more: list[str] = field(default_factory=list)
    threads: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.more or self.threads)

    def extend(self, other: _Pending) -> None:
        self.more.extend(other.more)
        self.threads.extend(other.threads)

    def encode(self) -> str:
        return json.dumps({"v": CURSOR_VERSION, "more": self.more, "threads": self.threads}, separators=(",", ":"))

    @classmethod
    def decode(cls, cursor: str) -> _Pending:
        try:
            data = json.loads(cursor)
        except ValueError as exc:
            raise ValueError("not a Reddit cursor") from exc
        if not isinstance(data, dict) or data.get("v") != CURSOR_VERSION:
            raise ValueError("not a Reddit cursor")
        more, threads = data.get("more"), data.get("threads")
        if not _all_ids(more) or not _all_ids(threads):
            raise ValueError("not a Reddit cursor")
        return cls(more=list(more), threads=list(threads))


def _all_ids(values: Any) -> bool:
    return isinstance(values, list) and all(isinstance(v, str) and _THING_ID.fullmatch(v) for v in values)


def fetch_pages(
    target: ParsedTarget, options: FetchOptions, context: FetchContext, cursor: str | None = None
) -> Iterator[Page]:
    """A post's comments, flattened depth-first; the first ``Page`` is the comment listing itself.

    With OAuth each later page is one ``morechildren`` batch or one continued thread, and
    ``Page.cursor`` encodes the ids still to expand (resume by passing it back). Deleted and
    removed comments are dropped; their replies are kept. ``options.sort_by`` may be any Reddit
    comment sort (default ``new``). The first page's ``target_info`` carries the post's
    ``subreddit``, ``title``, ``num_comments``, ``locked`` and ``over_18``.
    """
    post_id = _post_id(target)
    if options.max_results <= 0:
        return
    sort = options.sort_by if options.sort_by in _SORTS else "new"
    remaining = options.max_results
    seen: set[str] = set()
    with make_client(context) as client:
        session = _Session(client, context)
        if cursor is None:
            limit = OAUTH_COMMENT_LIMIT if session.oauth else PUBLIC_COMMENT_LIMIT
            listing = session.get_json(
                f"/comments/{post_id}", {"raw_json": "1", "sort": sort, "limit": str(limit)}, "reddit comments"
            )
            post, children = _split_listing(listing, "reddit comments")
            comments, pending = _flatten(children, skip=None)
            reviews = _collect(comments, seen, options, remaining, session.source)
            remaining -= len(reviews)
            if not session.oauth:
                # Anonymous access gets one request; expanding stubs would burn the 10 QPM budget.
                pending = _Pending()
            yield Page(
                reviews=reviews,
                cursor=pending.encode() if pending and remaining > 0 else None,
                requests_made=session.take_calls(),
                target_info=_post_info(post),
            )
        else:
            pending = _Pending.decode(cursor)
            if not session.oauth:
                yield Page(reviews=[], cursor=None, requests_made=0)
                return
        while pending and remaining > 0:
            if pending.more:
                batch, pending.more = pending.more[:MORECHILDREN_BATCH], pending.more[MORECHILDREN_BATCH:]
                things = _more_children(session, post_id, batch, sort)
                comments, found = _flatten(things, skip=None)
            else:
                parent = pending.threads.pop(0)
                listing = session.get_json(
                    f"/comments/{post_id}/_/{parent}",
                    {"raw_json": "1", "sort": sort, "limit": str(OAUTH_COMMENT_LIMIT)},
                    "reddit thread",
                )
                _, children = _split_listing(listing, "reddit thread")
                # The answer starts with the parent comment itself, which an earlier page yielded.
                comments, found = _flatten(children, skip=parent)
            pending.extend(found)
            reviews = _collect(comments, seen, options, remaining, session.source)
            remaining -= len(reviews)
            yield Page(
                reviews=reviews,
                cursor=pending.encode() if pending and remaining > 0 else None,
                requests_made=session.take_calls(),
            )


class _Session:
    """One fetch's HTTP state: OAuth token, rate-limit headers, call count."""

    def __init__(self, client: httpx.Client, context: FetchContext) -> None:
        self.client = client
        self.context = context
        self.client_id = context.credentials.get("reddit_client_id") or ""
        self.client_secret = context.credentials.get("reddit_client_secret") or ""
        self.oauth = bool(self.client_id and self.client_secret)
        self.source = "official_api" if self.oauth else "public_json"
        self.user_agent = context.credentials.get("reddit_user_agent") or context.user_agent
        self.sleep = context.sleep or time.sleep
        self.token: str | None = None
        self.calls = 0
        self.remaining: float | None = None
        self.reset: float | None = None

    def take_calls(self) -> int:
        calls, self.calls = self.calls, 0
        return calls

    def get_json(self, path: str, params: Mapping[str, str], what: str) -> Any:
        if self.oauth:
            url = f"{base_url(self.context, 'reddit_oauth')}{path}"
        else:
            url = f"{base_url(self.context, 'reddit_www')}{path}.json"
        for attempt in (1, 2):
            headers = {"User-Agent": self.user_agent, "Accept": "application/json"}
            if self.oauth:
                headers["Authorization"] = f"bearer {self._access_token()}"
            self._pace()
            response = request_with_retries(
                self.client, "GET", url, context=self.context, params=params, headers=headers, reset_header=RESET_HEADER
            )
            self.calls += 1
            self._note_limits(response)
            if response.status_code == 401 and self.oauth and attempt == 1:
                # The app-only token expired mid-walk: get a new one once.
                self.token = None
                continue
            break
        if response.status_code != 200:
            raise _api_error(response, what)
        if response.headers.get("Content-Type", "").startswith("text/html"):
            raise BlockedError(f"{what}: Reddit answered an HTML page instead of JSON", status_code=200)
        return json_body(response, what)

    def _access_token(self) -> str:
        if self.token:
            return self.token
        basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode("ascii")
        response = request_with_retries(
            self.client,
            "POST",
            f"{base_url(self.context, 'reddit_auth')}/api/v1/access_token",
            context=self.context,
            headers={"Authorization": f"Basic {basic}", "User-Agent": self.user_agent},
            data={"grant_type": "client_credentials"},
        )
        self.calls += 1
        if response.status_code in (400, 401, 403):
            raise AuthConfigError(
                f"Reddit refused the app credentials (HTTP {response.status_code})", status_code=response.status_code
            )
        if response.status_code != 200:
            raise error_for_status(response, "reddit access_token")
        payload = expect_dict(json_body(response, "reddit access_token"), "reddit access_token")
        if "error" in payload:
            # The token endpoint reports some failures as HTTP 200 with {"error": "..."}.
            raise AuthConfigError(f"Reddit refused the app credentials ({payload['error']!s:.80})", status_code=200)
        token = expect_str(payload.get("access_token"), "reddit access_token.access_token")
        if not token:
            raise SchemaDriftError("reddit access_token: empty access_token")
        self.token = token
        return token

    def _note_limits(self, response: httpx.Response) -> None:
        remaining = _float_header(response, "X-Ratelimit-Remaining")
        if remaining is not None:
            self.remaining = remaining
            self.reset = parse_retry_after(response.headers.get(RESET_HEADER))

    def _pace(self) -> None:
        """Wait for the next rate-limit window before the budget runs dry, or hand the wait to the task."""
        if self.remaining is None or self.remaining > RATELIMIT_RESERVE:
            return
        wait = self.reset or 0.0
        if wait > MAX_INLINE_WAIT:
            raise TransientError(
                f"Reddit rate-limit budget nearly spent ({self.remaining:g} left); window resets in {wait:g}s",
                retry_after=wait,
            )
        self.sleep(wait)
        self.remaining = None


def _float_header(response: httpx.Response, name: str) -> float | None:
    try:
        return float(response.headers[name])
    except (KeyError, ValueError):
        return None


def _api_error(response: httpx.Response, what: str) -> FetchError:
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    reason = body.get("reason") if isinstance(body, dict) and isinstance(body.get("reason"), str) else None
    suffix = f" ({reason})" if reason else ""
    if status == 404:
        return NotFoundError(f"{what}: post not found{suffix}", status_code=status)
    if status == 403:
        if reason:
            # private, quarantined, gold_only...: the post exists but this client may not read it.
            return DisabledError(f"{what}: access refused{suffix}", status_code=status)
        return BlockedError(f"{what}: Reddit refused the request (HTTP 403 without an API reason)", status_code=status)
    if status == 401:
        return AuthConfigError(f"{what}: Reddit rejected the access token", status_code=status)
    return error_for_status(response, what)


def _more_children(session: _Session, post_id: str, ids: list[str], sort: str) -> list[Any]:
    payload = session.get_json(
        "/api/morechildren",
        {"api_type": "json", "link_id": f"t3_{post_id}", "children": ",".join(ids), "sort": sort, "raw_json": "1"},
        "reddit morechildren",
    )
    body = expect_dict(expect_dict(payload, "reddit morechildren").get("json"), "reddit morechildren.json")
    errors = expect_list(body.get("errors", []), "reddit morechildren.json.errors")
    if errors:
        raise FetchError(f"reddit morechildren: {json.dumps(errors)[:200]}")
    data = expect_dict(body.get("data"), "reddit morechildren.json.data")
    return expect_list(data.get("things"), "reddit morechildren.json.data.things")


def _split_listing(payload: Any, what: str) -> tuple[dict[str, Any] | None, list[Any]]:
    """``/comments/{id}`` answers [post Listing, comments Listing]; return the post data and comment things."""
    listings = expect_list(payload, what)
    if len(listings) < 2:
        raise SchemaDriftError(f"{what}: expected two listings, got {len(listings)}")
    post_children = _listing_children(listings[0], f"{what}[0]")
    post = None
    if post_children:
        first = expect_dict(post_children[0], f"{what}[0].children[0]")
        if first.get("kind") != "t3":
            raise SchemaDriftError(f"{what}[0]: expected the post (t3), got {first.get('kind')!r}")
        post = expect_dict(first.get("data"), f"{what}[0].children[0].data")
    return post, _listing_children(listings[1], f"{what}[1]")


def _listing_children(value: Any, what: str) -> list[Any]:
    listing = expect_dict(value, what)
    data = expect_dict(listing.get("data"), f"{what}.data")
    return expect_list(data.get("children"), f"{what}.data.children")


def _flatten(things: list[Any], *, skip: str | None) -> tuple[list[dict[str, Any]], _Pending]:
    """Depth-first (pre-order) comment data plus the ``more`` work found in the tree.

    Iterative rather than recursive: Reddit trees are shallow by default but nothing guarantees it.
    """
    comments: list[dict[str, Any]] = []
    pending = _Pending()
    stack = list(reversed(things))
    while stack:
        thing = expect_dict(stack.pop(), "reddit thing")
        kind = thing.get("kind")
        data = expect_dict(thing.get("data"), f"reddit {kind} data")
        if kind == "t1":
            if data.get("id") != skip:
                comments.append(data)
            replies = data.get("replies")
            if replies in ("", None):
                continue
            stack.extend(reversed(_listing_children(replies, "reddit t1 replies")))
        elif kind == "more":
            children = expect_list(data.get("children", []), "reddit more.children")
            if children:
                if not _all_ids(children):
                    raise SchemaDriftError("reddit more.children: expected comment ids")
                pending.more.extend(children)
            else:
                # "continue this thread": count 0, no ids; the rest hangs under parent_id.
                parent = expect_str(data.get("parent_id"), "reddit more.parent_id")
                if parent.startswith("t1_") and _THING_ID.fullmatch(parent[3:]):
                    pending.threads.append(parent[3:])
        else:
            raise SchemaDriftError(f"reddit comment tree: unexpected kind {kind!r}")
    return comments, pending


def _collect(
    comments: list[dict[str, Any]], seen: set[str], options: FetchOptions, remaining: int, source: str
) -> list[Review]:
    reviews: list[Review] = []
    for data in comments:
        if len(reviews) >= remaining:
            break
        review = _review(data, source)
        if review is None or review.platform_id in seen:
            continue
        seen.add(review.platform_id)
        if in_window(review.date, options):
            reviews.append(review)
    return reviews


def _review(data: dict[str, Any], source: str) -> Review | None:
    """A ``t1`` comment as a Review; None for a deleted/removed tombstone (nothing to analyse)."""
    comment_id = expect_str(data.get("id"), "reddit t1.id")
    what = f"reddit t1 {comment_id}"
    body = expect_str(data.get("body"), f"{what}.body")
    if body.strip() in _TOMBSTONES:
        return None
    name = data.get("name") if isinstance(data.get("name"), str) else f"t1_{comment_id}"
    author = data.get("author") if isinstance(data.get("author"), str) else "[deleted]"
    permalink = data.get("permalink")
    edited = data.get("edited")
    extra: dict[str, Any] = {
        "score": optional_int(data.get("score")),
        "parent_id": data.get("parent_id") if isinstance(data.get("parent_id"), str) else None,
        "depth": optional_int(data.get("depth")),
        # ``edited`` is false or the edit's unix time.
        "edited": bool(edited) if isinstance(edited, bool | int | float) else None,
        "stickied": data.get("stickied") if isinstance(data.get("stickied"), bool) else None,
    }
    if author == "[deleted]":
        extra["author_deleted"] = True
    return Review(
        platform=PLATFORM,
        platform_id=name,
        text=body,
        author="" if author == "[deleted]" else author,
        date=utc_from_timestamp(data.get("created_utc"), f"{what}.created_utc"),
        url=f"{WEB_URL}{permalink}" if isinstance(permalink, str) and permalink.startswith("/") else "",
        source=source,
        extra={key: value for key, value in extra.items() if value is not None},
    )


def _post_info(post: Mapping[str, Any] | None) -> dict[str, Any]:
    if post is None:
        return {}
    info: dict[str, Any] = {}
    for key in ("subreddit", "title"):
        if isinstance(post.get(key), str):
            info[key] = post[key]
    if optional_int(post.get("num_comments")) is not None:
        info["num_comments"] = post["num_comments"]
    for key in ("locked", "over_18"):
        if isinstance(post.get(key), bool):
            info[key] = post[key]
    return info


def _post_id(target: ParsedTarget) -> str:
    if target.platform != PLATFORM or target.needs_resolution:
        raise ValueError(f"reddit.fetch_pages needs a resolved Reddit target, got {target.platform!r}")
    post_id = target.platform_data.get("post_id")
    if not isinstance(post_id, str) or not _POST_ID.fullmatch(post_id):
        raise ValueError(f"Reddit target without a valid post_id: {post_id!r}")
    return post_id
