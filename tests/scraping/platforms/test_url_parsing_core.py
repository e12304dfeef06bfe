"""URL intake for Steam, YouTube and Reddit plus the dispatcher (docs/platforms.md sections 2, 3.1, 4.1, 5.1)."""

from __future__ import annotations

from urllib.parse import SplitResult

import pytest

from scraping.platforms import reddit, steam, youtube
from scraping.platforms.base import UrlParseError
from scraping.platforms.urls import normalize_url, parse_target_url

# --- Steam ------------------------------------------------------------------------------------

STEAM_OK = [
    ("https://store.steampowered.com/app/1086940/Baldurs_Gate_3/", 1086940),
    ("store.steampowered.com/app/730", 730),
    ("https://steamcommunity.com/app/570/reviews/?browsefilter=toprated", 570),
    ("https://store.steampowered.com/agecheck/app/1091500/", 1091500),
    ("https://store.steampowered.com/news/app/413150/view/123", 413150),
    ("https://store.steampowered.com/app/1245620?snr=1_4_4__129", 1245620),
    ("steam://store/292030", 292030),
    ("steam://nav/games/details/292030", 292030),
    ("steam://run/440", 440),
    ("steam://openurl/https://store.steampowered.com/app/1086940/Baldurs_Gate_3/", 1086940),
    ("<https://STORE.SteamPowered.com./app/730/>", 730),
    ("http://www.steampowered.com//app//440/", 440),
    ("https://www.steamcommunity.com/games/620/", 620),
    ("store.steampowered.com:443/app/730/", 730),
]

STEAM_INVALID = [
    ("https://store.steampowered.com/sub/54029/", "package"),
    ("https://store.steampowered.com/bundle/232/", "bundle"),
    ("https://store.steampowered.com/app/abc/", "no numeric app id"),
    ("https://store.steampowered.com/app/4294967296/", "not a valid Steam app id"),
    ("https://steamcommunity.com/id/gaben", "user profile"),
    ("https://steamcommunity.com/profiles/76561197960287930/", "user profile"),
    ("https://store.steampowered.com/developer/valve", "developer page"),
    ("https://store.steampowered.com/", "does not point to a game"),
    ("steam://friends/status/online", "does not name a game"),
    ("steam://openurl/https://www.youtube.com/watch?v=dQw4w9WgXcQ", "does not open a Steam store page"),
    ("https://store.steampowered.com.evil.example/app/730", "not a supported site"),
    ("https://s.team/a/730", "not a supported site"),
]


@pytest.mark.parametrize(("url", "app_id"), STEAM_OK)
def test_steam_urls_give_the_app_id(url: str, app_id: int) -> None:
    target = parse_target_url(url)
    assert target.platform == "steam"
    assert target.detected_type == "game"
    assert dict(target.platform_data) == {"app_id": app_id}
    assert target.canonical_url == f"https://store.steampowered.com/app/{app_id}/"
    assert target.needs_resolution is False


@pytest.mark.parametrize(("url", "reason"), STEAM_INVALID)
def test_steam_urls_that_name_no_game_are_refused_with_a_reason(url: str, reason: str) -> None:
    with pytest.raises(UrlParseError) as excinfo:
        parse_target_url(url)
    assert reason in excinfo.value.reason


def test_steam_parser_ignores_other_hosts() -> None:
    assert steam.parse_url(SplitResult("https", "www.youtube.com", "/app/730", "", "")) is None


# --- YouTube ----------------------------------------------------------------------------------

YOUTUBE_OK = [
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s&list=PL1234", "dQw4w9WgXcQ"),
    ("https://youtu.be/dQw4w9WgXcQ?si=AbCdEfGh", "dQw4w9WgXcQ"),
    ("https://www.youtube.com/shorts/aqz-KE-bpKQ", "aqz-KE-bpKQ"),
    ("https://www.youtube-nocookie.com/embed/M7lc1UVf-VE?rel=0", "M7lc1UVf-VE"),
    ("https://m.youtube.com/watch?feature=share&v=jNQXAC9IVRw", "jNQXAC9IVRw"),
    ("https://music.youtube.com/watch?v=dQw4w9WgXcQ&feature=share", "dQw4w9WgXcQ"),
    ("https://www.youtube.com/live/jfKfPfyJRdk?feature=shared", "jfKfPfyJRdk"),
    ("https://www.youtube.com/v/dQw4w9WgXcQ?version=3", "dQw4w9WgXcQ"),
    ("https://www.youtube.com/attribution_link?a=x&u=/watch%3Fv%3DdQw4w9WgXcQ%26feature%3Dshare", "dQw4w9WgXcQ"),
    ("youtube.com/watch?v=dQw4w9WgXcQ#t=30", "dQw4w9WgXcQ"),
    ("https://www.youtube.com/e/dQw4w9WgXcQ", "dQw4w9WgXcQ"),
    ("https://gaming.youtube.com/watch?v=jNQXAC9IVRw", "jNQXAC9IVRw"),
    ("'https://www.youtu.be/dQw4w9WgXcQ/'", "dQw4w9WgXcQ"),
    ("//www.youtube.com/embed/M7lc1UVf-VE", "M7lc1UVf-VE"),
]

YOUTUBE_INVALID = [
    ("https://www.youtube.com/embed/videoseries?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG", "embedded YouTube playlist"),
    ("https://www.youtube.com/watch?v=dQw4w9WgXc", "no valid video id"),
    ("https://www.youtube.com/watch?list=PL1234", "no valid video id"),
    ("https://www.youtube.com/@MrBeast", "channel"),
    ("https://www.youtube.com/channel/UCX6OQ3DkcsbYNE6H8uQQuVA", "channel"),
    ("https://www.youtube.com/playlist?list=PLFgquLnL59alCl_2TQvOiD5Vgm1hCaGSI", "playlist"),
    ("https://www.youtube.com/results?search_query=rick+astley", "search page"),
    ("https://youtu.be/", "youtu.be link has no valid video id"),
    ("https://www.youtube.com/shorts/short", "no valid video id"),
    ("https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ", "not a supported site"),
    ("https://notyoutube.com/watch?v=dQw4w9WgXcQ", "not a supported site"),
    ("https://www.youtube.com@evil.example/watch?v=dQw4w9WgXcQ", "user name or password"),
]


@pytest.mark.parametrize(("url", "video_id"), YOUTUBE_OK)
def test_youtube_urls_give_the_video_id(url: str, video_id: str) -> None:
    target = parse_target_url(url)
    assert target.platform == "youtube"
    assert target.detected_type == "video"
    assert dict(target.platform_data) == {"video_id": video_id}
    assert target.canonical_url == f"https://www.youtube.com/watch?v={video_id}"
    assert target.needs_resolution is False


@pytest.mark.parametrize(("url", "reason"), YOUTUBE_INVALID)
def test_youtube_urls_that_name_no_video_are_refused_with_a_reason(url: str, reason: str) -> None:
    with pytest.raises(UrlParseError) as excinfo:
        parse_target_url(url)
    assert reason in excinfo.value.reason


def test_youtube_clip_needs_resolution() -> None:
    target = parse_target_url("https://www.youtube.com/clip/UgkxU2HSeGL_NvmDJ-nQJrlLwllwMDBdGZFs")
    assert target.platform == "youtube"
    assert target.needs_resolution is True
    assert dict(target.platform_data) == {"clip_id": "UgkxU2HSeGL_NvmDJ-nQJrlLwllwMDBdGZFs"}
    assert target.canonical_url == "https://www.youtube.com/clip/UgkxU2HSeGL_NvmDJ-nQJrlLwllwMDBdGZFs"


def test_youtube_parser_ignores_other_hosts() -> None:
    assert youtube.parse_url(SplitResult("https", "www.reddit.com", "/watch", "v=dQw4w9WgXcQ", "")) is None


# --- Reddit -----------------------------------------------------------------------------------

REDDIT_OK = [
    (
        "https://www.reddit.com/r/Python/comments/1b2c3d4/what_http_client_do_you_use/",
        {"post_id": "1b2c3d4", "subreddit": "Python", "comment_id": None},
    ),
    (
        "https://old.reddit.com/r/django/comments/abc123/celery_rate_limits/kx9y8z7/?context=3",
        {"post_id": "abc123", "subreddit": "django", "comment_id": "kx9y8z7"},
    ),
    ("https://np.reddit.com/r/AskReddit/comments/zz9yy8/", {"post_id": "zz9yy8", "subreddit": "AskReddit"}),
    ("https://new.reddit.com/r/pcgaming/comments/17x4kqz/title/?sort=top", {"post_id": "17x4kqz"}),
    ("https://redd.it/1641krf", {"post_id": "1641krf", "subreddit": None}),
    ("https://www.reddit.com/comments/1641krf", {"post_id": "1641krf", "subreddit": None}),
    ("https://www.reddit.com/user/spez/comments/14ntgh0/some_title/", {"post_id": "14ntgh0", "subreddit": "u_spez"}),
    (
        "https://m.reddit.com/r/ModSupport/comments/1641krf/reddit_broke/?share_id=HXzTX3cWsSnrFxIy1IsDg&utm_source=share",
        {"post_id": "1641krf", "subreddit": "ModSupport"},
    ),
    ("https://www.reddit.com/gallery/1641krf", {"post_id": "1641krf", "subreddit": None}),
    ("https://www.reddit.com/r/Python/comments/1B2C3D4/", {"post_id": "1b2c3d4"}),
    ("https://www.reddit.com//r/Python//comments/1b2c3d4//", {"post_id": "1b2c3d4", "subreddit": "Python"}),
    (
        "https://sh.reddit.com/r/gaming/comments/1cx2yz9/title/comment/l5abc12/",
        {"post_id": "1cx2yz9", "subreddit": "gaming", "comment_id": "l5abc12"},
    ),
    ("reddit.com/r/de/comments/18abcde/", {"post_id": "18abcde", "subreddit": "de"}),
    (
        "https://www.reddit.com/r/gaming/comments/1cx2yz9/comment/l5abc12/",
        {"post_id": "1cx2yz9", "subreddit": "gaming", "comment_id": "l5abc12"},
    ),
]

REDDIT_INVALID = [
    ("https://www.reddit.com/r/Python/", "subreddit, not a post"),
    ("https://www.reddit.com/r/Python/comments/", "subreddit, not a post"),
    ("https://www.reddit.com/user/spez/", "user profile"),
    ("https://www.reddit.com/", "does not point to a post"),
    ("https://redd.it/", "redd.it link has no post id"),
    ("https://i.redd.it/a1b2c3d4e5.jpeg", "Reddit image"),
    ("https://reddit.com.evil.example/r/Python/comments/1b2c3d4/", "not a supported site"),
    ("https://www.reddit.community/r/Python/comments/1b2c3d4/", "not a supported site"),
]


@pytest.mark.parametrize(("url", "expected"), REDDIT_OK)
def test_reddit_urls_give_the_post_id(url: str, expected: dict[str, str | None]) -> None:
    target = parse_target_url(url)
    assert target.platform == "reddit"
    assert target.detected_type == "post"
    assert target.needs_resolution is False
    for key, value in expected.items():
        assert target.platform_data[key] == value
    sub = target.platform_data["subreddit"]
    prefix = f"/r/{sub}" if sub else ""
    assert target.canonical_url == f"https://www.reddit.com{prefix}/comments/{expected['post_id']}/"


@pytest.mark.parametrize(("url", "reason"), REDDIT_INVALID)
def test_reddit_urls_that_name_no_post_are_refused_with_a_reason(url: str, reason: str) -> None:
    with pytest.raises(UrlParseError) as excinfo:
        parse_target_url(url)
    assert reason in excinfo.value.reason


@pytest.mark.parametrize(
    ("url", "canonical", "subreddit"),
    [
        (
            "https://www.reddit.com/r/ModSupport/s/9aRRC2rZpd",
            "https://www.reddit.com/r/ModSupport/s/9aRRC2rZpd",
            "ModSupport",
        ),
        ("https://v.redd.it/abc123xyz", "https://v.redd.it/abc123xyz", None),
    ],
)
def test_reddit_share_and_video_links_need_resolution(url: str, canonical: str, subreddit: str | None) -> None:
    target = parse_target_url(url)
    assert target.platform == "reddit"
    assert target.needs_resolution is True
    assert target.canonical_url == canonical
    assert target.platform_data["post_id"] is None
    assert target.platform_data["subreddit"] == subreddit


def test_reddit_parser_ignores_other_hosts() -> None:
    assert reddit.parse_url(SplitResult("https", "www.youtube.com", "/comments/1641krf", "", "")) is None


# --- dispatcher and normalisation ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("", "Enter a link"),
        ("   \n ", "Enter a link"),
        ('""', "Enter a link"),
        ("ftp://example.com/file", "'ftp:' are not supported"),
        ("javascript:alert(1)", "'javascript:' are not supported"),
        ("file:///etc/passwd", "'file:' are not supported"),
        ("not a url at all", "cannot contain spaces"),
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ\\@evil.example", "backslashes"),
        ("https://www.tripadvisor.com/Restaurant_Review-g1-d2.html", "'www.tripadvisor.com' is not a supported site"),
        ("https://example.com/app/730", "'example.com' is not a supported site"),
        ("https://store.steampowered.com:99999/app/730", "invalid port"),
        ("https:///app/730", "no site name"),
        ("https://www.reddit.com/" + "a" * 2100, "longer than 2048"),
    ],
)
def test_dispatcher_refuses_what_no_platform_understands(url: str, reason: str) -> None:
    with pytest.raises(UrlParseError) as excinfo:
        parse_target_url(url)
    assert reason in excinfo.value.reason
    assert str(excinfo.value) == excinfo.value.reason


def test_dispatcher_refuses_non_text_input() -> None:
    with pytest.raises(UrlParseError, match="as text"):
        parse_target_url(None)  # type: ignore[arg-type]


def test_unsupported_host_message_names_the_supported_sites() -> None:
    with pytest.raises(UrlParseError) as excinfo:
        parse_target_url("https://www.tripadvisor.com/x")
    for site in ("Steam", "YouTube", "Reddit", "Google Maps", "Amazon", "Trustpilot", "Yelp"):
        assert site in excinfo.value.reason


def test_normalize_url_cleans_and_splits() -> None:
    parts = normalize_url('  "<HTTPS://WWW.YouTube.COM.:443/watch?v=dQw4w9WgXcQ#t=1>"  ')
    assert parts == SplitResult("https", "www.youtube.com", "/watch", "v=dQw4w9WgXcQ", "t=1")


def test_normalize_url_adds_https_when_the_scheme_is_missing() -> None:
    assert normalize_url("redd.it/1641krf") == SplitResult("https", "redd.it", "/1641krf", "", "")
    assert normalize_url("http://redd.it/1641krf").scheme == "http"


def test_normalize_url_keeps_the_steam_command() -> None:
    assert normalize_url("STEAM://Store/292030") == SplitResult("steam", "store", "/292030", "", "")


def test_dispatcher_reaches_the_other_platform_parsers() -> None:
    # The dispatcher imports google/amazon/trustpilot/yelp by name; one representative each.
    assert parse_target_url("https://www.amazon.com/dp/B0CWXNS552").platform == "amazon"
    assert (
        parse_target_url("https://www.google.com/maps/place/?q=place_id:ChIJN1t_tDeuEmsRUsoyG83frY4").platform
        == "google"
    )
