"""Sentiment-drop rule (issue 7, item 5), pure: compare the latest job's new results with the project's
trailing baseline of earlier jobs.

A job's sample is its share of negative results and its average score. The rule fires when the chosen metric
moves the bad way by more than ``threshold_sigma`` standard deviations of the baseline (the last
``window_jobs`` earlier jobs that had at least ``min_sample`` results). A floor on the standard deviation keeps
a perfectly steady baseline from turning any wobble into an infinite deviation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = ["METRICS", "DropDecision", "DropRule", "JobSample", "evaluate_sentiment_drop"]

Metric = Literal["negative_share", "avg_score"]
METRICS: tuple[str, ...] = ("negative_share", "avg_score")
# Smallest standard deviation used: 2 percentage points of negative share, 0.02 of the score scale.
_STD_FLOOR = {"negative_share": 0.02, "avg_score": 0.02}


@dataclass(frozen=True)
class JobSample:
    negative_share: float
    avg_score: float | None
    size: int

    def value(self, metric: Metric) -> float | None:
        return self.negative_share if metric == "negative_share" else self.avg_score


@dataclass(frozen=True)
class DropRule:
    metric: Metric = "negative_share"
    threshold_sigma: float = 2.0
    window_jobs: int = 10
    min_sample: int = 20
    min_baseline_jobs: int = 3


@dataclass(frozen=True)
class DropDecision:
    fire: bool
    reason: str
    metric: str
    value: float | None = None
    baseline_mean: float | None = None
    baseline_std: float | None = None
    deviation_sigma: float | None = None
    baseline_jobs: int = 0


def evaluate_sentiment_drop(current: JobSample, history: Sequence[JobSample], rule: DropRule) -> DropDecision:
    """``history`` is newest first and excludes ``current``."""
    metric = rule.metric
    value = current.value(metric)
    if current.size < rule.min_sample or value is None:
        return DropDecision(False, f"only {current.size} results; the rule needs {rule.min_sample}", metric, value)
    baseline = [s.value(metric) for s in history if s.size >= rule.min_sample and s.value(metric) is not None]
    baseline = [v for v in baseline if v is not None][: rule.window_jobs]
    if len(baseline) < rule.min_baseline_jobs:
        return DropDecision(
            False, f"baseline has {len(baseline)} jobs; {rule.min_baseline_jobs} needed", metric, value,
            baseline_jobs=len(baseline),
        )  # fmt: skip
    mean = sum(baseline) / len(baseline)
    std = math.sqrt(sum((v - mean) ** 2 for v in baseline) / len(baseline))
    # More negatives is bad; a lower average score is bad.
    worse_by = value - mean if metric == "negative_share" else mean - value
    deviation = worse_by / max(std, _STD_FLOOR[metric])
    fire = deviation > rule.threshold_sigma
    reason = (
        f"{metric} {value:.3f} vs baseline {mean:.3f} ± {std:.3f}: {deviation:.2f} σ "
        f"({'above' if fire else 'within'} the {rule.threshold_sigma:g} σ threshold)"
    )
    return DropDecision(fire, reason, metric, value, mean, std, deviation, len(baseline))
