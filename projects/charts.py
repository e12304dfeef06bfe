"""Server-side SVG charts for the admin (no models, no JavaScript, no CDN).

``sentiment_timeline_svg`` draws one column per day: the share of positive, neutral and negative
results stacked to 100 % (negative at the bottom), and the day's average sentiment score as a line
on its own axis from -1 to +1 (right-hand scale). Days without analyzed results leave a gap (no
column, the line breaks) so a quiet week does not look like a neutral one. All text is escaped:
project names and labels come from users.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

COLORS = {"positive": "#2e7d32", "neutral": "#9e9e9e", "negative": "#c62828", "score": "#1565c0"}
LABELS = ("negative", "neutral", "positive")  # bottom to top
EMPTY_MESSAGE = "No analyzed results yet in this period."


@dataclass(frozen=True)
class DailyPoint:
    """One day: counts per effective label and the mean sentiment score (None when nothing analyzed)."""

    day: date
    positive: int = 0
    neutral: int = 0
    negative: int = 0
    average_score: float | None = None

    @property
    def total(self) -> int:
        return self.positive + self.neutral + self.negative

    def share(self, label: str) -> float:
        return getattr(self, label) / self.total if self.total else 0.0


@dataclass(frozen=True)
class Frame:
    """Plot geometry. Kept separate so tests can compute where a value must land."""

    width: int = 900
    height: int = 280
    left: int = 48
    right: int = 48
    top: int = 36
    bottom: int = 40

    @property
    def plot_width(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> float:
        return self.height - self.top - self.bottom

    def slot(self, days: int) -> float:
        return self.plot_width / max(days, 1)

    def x(self, index: int, days: int) -> float:
        """Left edge of day ``index``'s column."""
        return self.left + index * self.slot(days)

    def share_y(self, share: float) -> float:
        """y of a cumulative share (0 at the bottom of the plot, 1 at the top)."""
        return self.top + (1.0 - share) * self.plot_height

    def score_y(self, score: float) -> float:
        """y of a sentiment score: +1 at the top, -1 at the bottom."""
        score = max(-1.0, min(1.0, score))
        return self.top + (1.0 - score) / 2.0 * self.plot_height


def _n(value: float) -> str:
    """Short, stable coordinates (two decimals, no trailing zeros)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def sentiment_timeline_svg(
    points: Sequence[DailyPoint], *, title: str = "Sentiment, last 90 days", frame: Frame | None = None
) -> str:
    """SVG markup for the daily points (oldest first, one per day, gaps included)."""
    f = frame or Frame()
    days = len(points)
    total = sum(p.total for p in points)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sm-timeline" width="{f.width}" height="{f.height}" '
        f'viewBox="0 0 {f.width} {f.height}" role="img" aria-label="{escape(title)}" '
        'font-family="-apple-system, Segoe UI, Roboto, sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<text x="{f.left}" y="18" font-size="13" font-weight="600" fill="#333">{escape(title)}</text>',
    ]
    # frame and grid: share axis on the left, score axis on the right
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = _n(f.share_y(tick))
        parts.append(
            f'<line x1="{f.left}" y1="{y}" x2="{f.width - f.right}" y2="{y}" stroke="#e0e0e0" stroke-width="1"/>'
        )
        parts.append(f'<text x="{f.left - 6}" y="{y}" text-anchor="end" dy="4" fill="#666">{int(tick * 100)}%</text>')
    for tick in (-1.0, 0.0, 1.0):
        y = _n(f.score_y(tick))
        parts.append(
            f'<text x="{f.width - f.right + 6}" y="{y}" dy="4" fill="{COLORS["score"]}">{tick:+.0f}</text>'
            if tick
            else f'<text x="{f.width - f.right + 6}" y="{y}" dy="4" fill="{COLORS["score"]}">0</text>'
        )
    if total == 0:
        parts.append(
            f'<text class="sm-empty" x="{_n(f.left + f.plot_width / 2)}" y="{_n(f.top + f.plot_height / 2)}" '
            f'text-anchor="middle" font-size="14" fill="#666">{escape(EMPTY_MESSAGE)}</text>'
        )
        parts.append("</svg>")
        return "".join(parts)

    slot = f.slot(days)
    gap = min(1.0, slot * 0.15)
    for i, point in enumerate(points):
        if not point.total:
            continue
        x = f.x(i, days) + gap / 2
        cumulative = 0.0
        tooltip = (
            f"{point.day.isoformat()}: {point.total} results, {point.positive} positive, {point.neutral} neutral, "
            f"{point.negative} negative"
            + (f", average score {point.average_score:+.2f}" if point.average_score is not None else "")
        )
        parts.append(f'<g class="sm-day" data-day="{point.day.isoformat()}"><title>{escape(tooltip)}</title>')
        for label in LABELS:
            count = getattr(point, label)
            if not count:
                continue
            share = count / point.total
            y_top = f.share_y(cumulative + share)
            height = f.share_y(cumulative) - y_top
            parts.append(
                f'<rect class="sm-{label}" x="{_n(x)}" y="{_n(y_top)}" width="{_n(slot - gap)}" '
                f'height="{_n(height)}" fill="{COLORS[label]}" fill-opacity="0.75"/>'
            )
            cumulative += share
        parts.append("</g>")
    # the average score line, broken where a day has no score
    segments: list[list[str]] = [[]]
    for i, point in enumerate(points):
        if point.average_score is None or not point.total:
            if segments[-1]:
                segments.append([])
            continue
        cx = f.x(i, days) + slot / 2
        segments[-1].append(f"{_n(cx)},{_n(f.score_y(point.average_score))}")
    for segment in segments:
        if len(segment) == 1:
            cx, cy = segment[0].split(",")
            parts.append(f'<circle class="sm-score" cx="{cx}" cy="{cy}" r="2.5" fill="{COLORS["score"]}"/>')
        elif segment:
            parts.append(
                f'<polyline class="sm-score" points="{" ".join(segment)}" fill="none" '
                f'stroke="{COLORS["score"]}" stroke-width="2" stroke-linejoin="round"/>'
            )
    # date labels: first, middle and last day
    for i in sorted({0, days // 2, days - 1}):
        anchor = "start" if i == 0 else ("end" if i == days - 1 else "middle")
        x = f.x(i, days) if i == 0 else (f.x(i + 1, days) if i == days - 1 else f.x(i, days) + slot / 2)
        parts.append(
            f'<text x="{_n(x)}" y="{f.height - f.bottom + 16}" text-anchor="{anchor}" fill="#666">'
            f"{points[i].day.isoformat()}</text>"
        )
    # legend
    lx = f.width - f.right - 330
    for label in ("positive", "neutral", "negative"):
        parts.append(f'<rect x="{lx}" y="9" width="10" height="10" fill="{COLORS[label]}" fill-opacity="0.75"/>')
        parts.append(f'<text x="{lx + 14}" y="18" fill="#333">{label}</text>')
        lx += 75
    parts.append(f'<line x1="{lx}" y1="14" x2="{lx + 14}" y2="14" stroke="{COLORS["score"]}" stroke-width="2"/>')
    parts.append(f'<text x="{lx + 18}" y="18" fill="#333">avg score</text>')
    parts.append(
        f'<text x="{f.left}" y="{f.height - 6}" fill="#666">{total} analyzed results on '
        f"{sum(1 for p in points if p.total)} of {days} days</text>"
    )
    parts.append("</svg>")
    return "".join(parts)
