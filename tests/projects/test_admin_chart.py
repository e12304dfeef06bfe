"""The sentiment timeline on the admin's project page: the pure SVG renderer, the selector, the page."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from xml.etree import ElementTree

import pytest
from django.test import Client

from projects.charts import EMPTY_MESSAGE, DailyPoint, Frame, sentiment_timeline_svg
from projects.selectors import project_sentiment_timeline
from tests.factories_accounts import UserFactory
from tests.factories_projects import ProjectFactory, TargetFactory
from tests.factories_results import make_result

SVG = "{http://www.w3.org/2000/svg}"
DAY = date(2026, 3, 1)


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)  # noqa: S314 (our own output)


def rects(root: ElementTree.Element, label: str) -> list[dict[str, float]]:
    return [
        {k: float(v) for k, v in r.attrib.items() if k in {"x", "y", "width", "height"}}
        for r in root.iter(f"{SVG}rect")
        if r.get("class") == f"sm-{label}"
    ]


# ---------------------------------------------------------------- pure renderer (no database)


def test_shares_stack_to_the_full_height_with_negative_at_the_bottom() -> None:
    frame = Frame(width=448, height=276, left=48, right=0, top=36, bottom=40)  # plot 400 x 200
    points = [DailyPoint(day=DAY, positive=2, neutral=1, negative=1, average_score=0.25), DailyPoint(day=DAY)]
    root = parse(sentiment_timeline_svg(points, frame=frame))
    (neg,), (neu,), (pos,) = rects(root, "negative"), rects(root, "neutral"), rects(root, "positive")
    # 25 % negative: bottom quarter of the 200 px plot (y 186..236)
    assert neg["y"] == 186 and neg["height"] == 50
    assert neu["y"] == 136 and neu["height"] == 50
    assert pos["y"] == 36 and pos["height"] == 100
    # two days over 400 px: 200 px slots, 1 px gap (capped), first column starts at the left margin
    assert pos["x"] == 48.5 and pos["width"] == 199
    # the second day has no results: no column at all
    assert len(rects(root, "positive")) == 1


def test_average_score_maps_minus_one_to_plus_one_onto_the_plot_height() -> None:
    frame = Frame(width=448, height=276, left=48, right=0, top=36, bottom=40)
    assert frame.score_y(1.0) == 36 and frame.score_y(-1.0) == 236 and frame.score_y(0.0) == 136
    points = [
        DailyPoint(day=DAY, positive=1, average_score=0.5),
        DailyPoint(day=DAY + timedelta(days=1), negative=1, average_score=-0.5),
        DailyPoint(day=DAY + timedelta(days=2)),  # gap: the line breaks
        DailyPoint(day=DAY + timedelta(days=3), neutral=1, average_score=0.0),
    ]
    root = parse(sentiment_timeline_svg(points, frame=frame))
    (line,) = [p for p in root.iter(f"{SVG}polyline") if p.get("class") == "sm-score"]
    # 100 px slots: centres at 98 and 198; +0.5 -> y 86, -0.5 -> y 186
    assert line.get("points") == "98,86 198,186"
    (dot,) = [c for c in root.iter(f"{SVG}circle") if c.get("class") == "sm-score"]
    assert (dot.get("cx"), dot.get("cy")) == ("398", "136")
    text = "".join(root.itertext())
    assert "3 analyzed results on 3 of 4 days" in text


def test_empty_data_says_so() -> None:
    for points in ([], [DailyPoint(day=DAY), DailyPoint(day=DAY + timedelta(days=1))]):
        svg = sentiment_timeline_svg(points)
        root = parse(svg)
        assert EMPTY_MESSAGE in "".join(root.itertext())
        assert rects(root, "positive") == [] and "polyline" not in svg


def test_text_is_escaped() -> None:
    svg = sentiment_timeline_svg(
        [DailyPoint(day=DAY, positive=1, average_score=0.9)], title='<script>alert("x")</script> & "co"'
    )
    assert "<script>" not in svg
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;co&quot;" in svg
    parse(svg)  # still well-formed XML


# ---------------------------------------------------------------- selector and admin page


@pytest.fixture
def analyzed(db):
    """A project with results on two days inside the window, one outside it, one unanalyzed, one override."""
    now = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    owner = UserFactory(email="owner@example.com")
    target = TargetFactory(project=ProjectFactory(user=owner, name="Chart <demo>"))
    yesterday, last_week = now - timedelta(days=1), now - timedelta(days=7)
    make_result(target=target, label="positive", score=0.8, date=yesterday)
    make_result(target=target, label="positive", score=0.6, date=yesterday)
    make_result(target=target, label="negative", score=-0.7, date=yesterday)
    make_result(target=target, label="negative", score=-0.2, date=last_week, override="neutral")
    make_result(target=target, label="positive", score=0.9, date=now - timedelta(days=120))  # outside 90 days
    make_result(target=target, label=None, status="pending", date=yesterday)  # not analyzed
    other = TargetFactory()  # another tenant's results never count
    make_result(target=other, label="negative", score=-1.0, date=yesterday)
    return {"project": target.project, "now": now, "yesterday": yesterday.date(), "last_week": last_week.date()}


@pytest.mark.django_db
def test_selector_gives_one_point_per_day_with_real_counts(analyzed) -> None:
    points = project_sentiment_timeline(project=analyzed["project"], now=analyzed["now"])
    assert len(points) == 90 and points[-1].day == analyzed["now"].date()
    by_day = {p.day: p for p in points if p.total}
    assert set(by_day) == {analyzed["yesterday"], analyzed["last_week"]}
    day = by_day[analyzed["yesterday"]]
    assert (day.positive, day.neutral, day.negative) == (2, 0, 1)
    assert day.average_score == pytest.approx((0.8 + 0.6 - 0.7) / 3, abs=1e-4)
    corrected = by_day[analyzed["last_week"]]
    assert (corrected.positive, corrected.neutral, corrected.negative) == (0, 1, 0)  # the correction counts


@pytest.mark.django_db
def test_admin_project_page_shows_the_chart_to_staff(analyzed, system_presets) -> None:
    staff = UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    response = client.get(f"/admin/projects/project/{analyzed['project'].pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Sentiment timeline" in html
    svg = re.search(r"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"sm-timeline\".*?</svg>", html, re.S).group(0)
    root = parse(svg)
    assert "4 analyzed results on 2 of 90 days" in "".join(root.itertext())
    assert len(rects(root, "positive")) == 1 and len(rects(root, "negative")) == 1
    assert len(rects(root, "neutral")) == 1
    assert f"{analyzed['yesterday'].isoformat()}: 3 results, 2 positive, 0 neutral, 1 negative" in svg


@pytest.mark.django_db
def test_project_without_results_shows_the_empty_state(system_presets) -> None:
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    html = client.get(f"/admin/projects/project/{ProjectFactory().pk}/change/").content.decode()
    assert EMPTY_MESSAGE in html


# ---------------------------------------------------------------- scripts/screenshots.py login wrapper


def test_screenshot_login_url_works_once_and_only_for_local_paths() -> None:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "screenshots.py"
    spec = importlib.util.spec_from_file_location("screenshots_script", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def app(environ, start_response):
        start_response("200 OK", [])
        return [b"app"]

    login = module.OneTimeLogin(app, cookie_name="sessionid", session_key="abc123")
    url = login.issue("/admin/projects/")
    path_info, query = url.split("?")

    def call(path_info: str, query: str = "") -> tuple[str, dict]:
        seen = {}

        def start_response(status, headers):
            seen["status"], seen["headers"] = status, dict(headers)

        body = b"".join(login({"PATH_INFO": path_info, "QUERY_STRING": query}, start_response))
        return seen["status"], {**seen["headers"], "body": body}

    status, headers = call(path_info, query)
    assert status == "302 Found" and headers["Location"] == "/admin/projects/"
    assert headers["Set-Cookie"].startswith("sessionid=abc123; Path=/; HttpOnly")
    assert call(path_info, query)[0] == "404 Not Found"  # used once
    evil = login.issue("//evil.example/")
    assert call(*evil.split("?"))[0] == "404 Not Found"  # never an open redirect
    assert call("/admin/")[1]["body"] == b"app"  # everything else goes to the app
