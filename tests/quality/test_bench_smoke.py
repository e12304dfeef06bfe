"""The benchmarks still run and report sane figures (tiny sizes; ``make bench`` runs the real ones)."""

from __future__ import annotations

from bench import analysis, llm
from bench.common import percentile
from bench.reviews import generate


def test_generated_reviews_are_distinct_and_realistic() -> None:
    reviews = generate(2000)
    assert len({r.text for r in reviews}) == 2000
    words = sorted(r.words for r in reviews)
    assert 25 <= words[1000] <= 50  # median of marketplace reviews
    assert words[-1] > 250  # a long tail
    assert generate(50) == generate(50)  # deterministic


def test_percentile_nearest_rank() -> None:
    values = list(range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile([3.0], 99) == 3.0


def test_lexicon_bench_runs(capsys) -> None:
    line = analysis.bench_lexicon(n=60)
    assert line["bench"] == "analysis_lexicon" and line["ratio"] > 0
    assert capsys.readouterr().out.count("\n") == 1  # one JSON line


def test_llm_bench_counts_tokens_and_batches() -> None:
    from results.analysis.types import AnalysisOptions

    line = llm.bench_config("compact", "openai", "gpt-4o-mini", 4000, AnalysisOptions(sentiment_classes=5), 60, 10)
    assert line["reviews_per_request"] == 20.0
    assert line["requests"] == 3
    assert 0 < line["prompt_overhead_share"] < line["baseline_prompt_overhead_share"] < 1
    assert line["cost_per_1000_reviews_usd"] < line["baseline_cost_per_1000_reviews_usd"]


def test_token_counter_is_close_to_the_words_per_token_rule() -> None:
    text = " ".join(r.text for r in generate(200))
    ratio = llm.count_tokens(text) / len(text.split())
    assert 1.1 <= ratio <= 1.5  # analysis.md: ~0.75 words per token
