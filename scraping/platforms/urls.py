"""URL intake for every platform (docs/platforms.md section 2).

``parse_target_url`` normalises what the user pasted, then asks each platform module's
``parse_url(parts)`` in turn. A parser returns None when the host is not its own, raises
``UrlParseError`` when the host is its own but the link does not name something it can fetch, and
otherwise returns a ``ParsedTarget``. Host matching is done by each platform with anchored
allow-list regexes, so ``youtube.com.evil.example`` matches nobody.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit

from scraping.platforms import amazon, google, reddit, steam, trustpilot, yelp, youtube
from scraping.platforms.base import ParsedTarget, UrlParseError

MAX_URL_LENGTH = 2048
ALLOWED_SCHEMES = frozenset({"http", "https", "steam"})
SUPPORTED_SITES = "Steam, YouTube, Reddit, Google Maps, Amazon, Trustpilot or Yelp"

# Order only matters for speed: the host allow-lists do not overlap.
PARSERS = (steam, youtube, reddit, google, amazon, trustpilot, yelp)

_SURROUNDING = "<>\"' \t\r\n"
# Characters where URL parsers disagree (WHATWG vs RFC 3986) or that a copy-paste never contains.
_UNSAFE = re.compile(r"[\s\\\x00-\x1f\x7f]")
# "scheme:" at the start, but not "host:port" ("example.com:443/...").
_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*):(?!\d)")
_STEAM_OPENURL = "openurl"


def normalize_url(url: str) -> SplitResult:
    """Clean a pasted URL and split it (section 2 steps 1-2); raise ``UrlParseError`` saying what to fix.

    The result has a lower-case scheme, and for http(s) a ``netloc`` holding only the lower-case
    host without a trailing dot (user info and port dropped). ``steam://`` URLs keep their command
    (``store``, ``run``, ...) in ``netloc``.
    """
    if not isinstance(url, str):
        raise UrlParseError("Enter the link as text.")
    text = url.strip().strip(_SURROUNDING)
    if not text:
        raise UrlParseError(f"Enter a link to a page on {SUPPORTED_SITES}.")
    if len(text) > MAX_URL_LENGTH:
        raise UrlParseError(f"This link is longer than {MAX_URL_LENGTH} characters. Paste the page's address only.")
    if _UNSAFE.search(text):
        raise UrlParseError(
            "A link cannot contain spaces, backslashes or control characters. Copy it again from the address bar."
        )
    match = _SCHEME.match(text)
    if match is None:
        text = f"https:{text}" if text.startswith("//") else f"https://{text}"
        scheme = "https"
    else:
        scheme = match["scheme"].lower()
    if scheme not in ALLOWED_SCHEMES:
        raise UrlParseError(f"Links starting with '{scheme}:' are not supported. Paste an https:// link.")
    try:
        parts = urlsplit(text)
    except ValueError as exc:  # e.g. an unbalanced "[" in the host
        raise UrlParseError("This link is malformed. Copy it again from the address bar.") from exc
    if scheme == "steam":
        return SplitResult("steam", parts.netloc.lower(), parts.path, parts.query, parts.fragment)
    if "@" in parts.netloc:
        raise UrlParseError("Links with a user name or password in them are not accepted.")
    try:
        parts.port  # noqa: B018 - urllib validates the port lazily, on access
    except ValueError as exc:
        raise UrlParseError("This link has an invalid port number.") from exc
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UrlParseError(f"This link has no site name. Paste a full link to a page on {SUPPORTED_SITES}.")
    return SplitResult(scheme, host, parts.path, parts.query, parts.fragment)


def parse_target_url(url: str) -> ParsedTarget:
    """What a pasted URL points at: platform, kind, ids; raise ``UrlParseError(reason)`` otherwise.

    A result with ``needs_resolution=True`` is a short or share link whose ids are only known
    after following its redirect (done in a task, never in the request cycle).
    """
    parts = normalize_url(url)
    if parts.scheme == "steam":
        return _parse_steam_protocol(parts)
    for module in PARSERS:
        target = module.parse_url(parts)
        if target is not None:
            return target
    raise UrlParseError(f"'{parts.netloc}' is not a supported site. Paste a link to a page on {SUPPORTED_SITES}.")


def _parse_steam_protocol(parts: SplitResult) -> ParsedTarget:
    if parts.netloc != _STEAM_OPENURL:
        target = steam.parse_url(parts)
        if target is None:  # steam.parse_url always decides steam:// links; this guards the contract
            raise UrlParseError("This steam:// link does not name a game. Use steam://store/<app id>.")
        return target
    # steam://openurl/<https url> opens any page in the Steam client; only Steam's own pages count.
    inner = parts.path.lstrip("/")
    if parts.query:
        inner = f"{inner}?{parts.query}"
    inner_parts = normalize_url(inner)
    target = steam.parse_url(inner_parts) if inner_parts.scheme != "steam" else None
    if target is None:
        raise UrlParseError("This steam://openurl link does not open a Steam store page. Paste the store link itself.")
    return target
