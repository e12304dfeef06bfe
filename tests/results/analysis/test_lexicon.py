"""Tier 1 "local-fast": 3- and 5-class distributions, thresholds, hard cases, the three emotion
taxonomies, keyword insights and summaries. Pure: no database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from results.analysis import lexicon
from results.analysis.types import EKMAN, GOEMOTIONS, PLUTCHIK, SENTIMENT5, AnalysisError, AnalysisOptions, ReviewInput

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def analyze(texts, **options):
    analyzer = lexicon.LexiconAnalyzer(clock=lambda: NOW)
    batch = [ReviewInput(id=str(i), text=t) for i, t in enumerate(texts)]
    return analyzer.analyze(batch, AnalysisOptions(**options))


def argmax(scores) -> str:
    return max(SENTIMENT5, key=lambda k: scores[k])


@pytest.mark.parametrize(
    "score, label5",
    [(1.0, "very_positive"), (0.6, "very_positive"), (0.59, "positive"), (0.051, "positive"), (0.05, "neutral"),
     (0.0, "neutral"), (-0.05, "neutral"), (-0.051, "negative"), (-0.599, "negative"), (-0.6, "very_negative")],
)  # fmt: skip
def test_thresholds(score: float, label5: str) -> None:
    assert lexicon.label5(score) == label5
    assert lexicon.label3(score) == {"very_positive": "positive", "very_negative": "negative"}.get(label5, label5)


@pytest.mark.parametrize("classes", [3, 5])
@pytest.mark.parametrize("score", [x / 20 for x in range(-20, 21)])
def test_distribution_sums_to_one_and_agrees_with_the_threshold_label(classes: int, score: float) -> None:
    for disagreement, neutral in [(0.0, 0.0), (0.4, 0.9), (1.0, 0.5)]:
        scores = lexicon.class_distribution(score, disagreement, neutral, classes)
        assert set(scores) == set(SENTIMENT5)
        assert sum(scores.values()) == pytest.approx(1.0)
        expected = lexicon.label5(score) if classes == 5 else lexicon.label3(score)
        assert argmax(scores) == expected
        if classes == 3:
            assert scores["very_positive"] == scores["very_negative"] == 0.0


def test_uncertainty_widens_the_distribution() -> None:
    sure = lexicon.class_distribution(0.4, 0.0, 0.0, 5)
    unsure = lexicon.class_distribution(0.4, 0.8, 0.9, 5)
    assert sure["positive"] > unsure["positive"] > 0.2
    assert unsure["neutral"] > sure["neutral"]


def test_five_classes_are_real_scores_not_a_relabelled_three_class_result() -> None:
    texts = ["Absolutely love it, best purchase ever!", "Good product.", "Terrible, broke in a day. Waste of money."]
    three = analyze(texts, sentiment_classes=3)
    five = analyze(texts, sentiment_classes=5)
    # same score and 3-class label either way
    assert [a.sentiment.score for a in three] == [a.sentiment.score for a in five]
    assert [a.sentiment.label for a in five] == ["positive", "positive", "negative"]
    assert [argmax(a.sentiment.scores) for a in five] == ["very_positive", "positive", "very_negative"]
    good3, good5 = three[1].sentiment.scores, five[1].sentiment.scores
    assert good3["very_positive"] == 0.0 and good3["positive"] == pytest.approx(0.948, abs=0.01)
    assert good5["very_positive"] == pytest.approx(0.166, abs=0.01) and good5["positive"] == pytest.approx(
        0.817, abs=0.01
    )
    for a in five:  # several classes carry probability: not one-hot
        assert sum(1 for v in a.sentiment.scores.values() if v > 0.01) >= 2
        assert a.sentiment.confidence == pytest.approx(max(a.sentiment.scores.values()), abs=1e-4)
        assert a.sentiment.analyzer == lexicon.SENTIMENT_ANALYZER and a.analyzed_at == NOW


@pytest.mark.parametrize(
    "text, label",
    [
        ("Don't waste your money.", "negative"),  # negated negative
        ("Support never replied.", "negative"),  # domain word
        ("Not bad at all for the price.", "positive"),  # negation
        ("Flimsy and overpriced, it leaks.", "negative"),  # review vocabulary VADER lacks
        ("It is a phone.", "neutral"),  # factual
        ("Decent sound, but the battery barely lasts.", "negative"),  # contrast: the verdict after "but"
    ],
)
def test_hard_cases(text: str, label: str) -> None:
    assert analyze([text])[0].sentiment.label == label


@pytest.mark.parametrize("model, labels", [("ekman", EKMAN), ("plutchik", PLUTCHIK), ("goemotions", GOEMOTIONS)])
def test_each_emotion_taxonomy_is_honoured(model: str, labels: tuple[str, ...]) -> None:
    texts = ["I am furious, they charged me twice and I hate this.", "So happy, thank you, love it!", "It is a phone."]
    results = analyze(texts, sentiment=False, emotions=True, emotion_model=model)
    for a in results:
        assert a.sentiment is None and a.emotions.model == model
        assert a.emotions.primary in labels
        detected = [d.emotion for d in a.emotions.detected]
        assert set(detected) <= set(labels) - {"neutral"}
        scores = [d.score for d in a.emotions.detected]
        assert scores == sorted(scores, reverse=True) and all(s >= 0.1 for s in scores) and len(scores) <= 10
    angry, happy, plain = results
    assert angry.emotions.primary == "anger"
    assert plain.emotions.primary == "neutral" and plain.emotions.primary_score == 1.0 and not plain.emotions.detected
    if model == "goemotions":
        assert {"gratitude", "love", "joy"} <= {d.emotion for d in happy.emotions.detected}
    elif model == "plutchik":
        assert happy.emotions.primary == "joy" and "trust" in {d.emotion for d in happy.emotions.detected}
    else:
        assert happy.emotions.primary == "joy" and happy.emotions.primary_score == pytest.approx(0.78, abs=0.01)


def test_a_negated_emotion_keyword_does_not_count() -> None:
    counts = lexicon.goemotion_counts("I was not angry at all.", 0.0)
    assert "anger" not in counts


def test_insights_and_extractive_summary() -> None:
    (a,) = analyze(
        ["Decent sound, but the battery barely lasts. Shipping was fast and the price is fair."],
        summarize=True,
        extract_insights=True,
    )
    assert a.insights.cons == ("battery barely lasts",)
    assert a.insights.pros == ("shipping",)
    topics = {t.topic: t.sentiment for t in a.insights.topics}
    assert set(topics) == {"performance", "price/value", "shipping/delivery"}
    assert topics["price/value"] > 0.3 > topics["performance"]
    assert a.summary.text == "Decent sound, but the battery barely lasts."
    assert a.summary.key_points == ("battery barely lasts", "decent sound", "shipping")
    assert a.summary.analyzer.startswith("extractive:") and a.language == "en" and a.word_count == 15


def test_disabled_blocks_are_none_and_bad_options_raise() -> None:
    (a,) = analyze(["Fine."], sentiment=False)
    assert (a.sentiment, a.emotions, a.summary, a.insights) == (None, None, None, None)
    with pytest.raises(AnalysisError):
        analyze(["x"], sentiment_classes=4)
    with pytest.raises(AnalysisError):
        analyze(["x"], emotions=True, emotion_model="wheel")


def test_title_counts_for_the_verdict_but_not_for_word_count() -> None:
    analyzer = lexicon.LexiconAnalyzer()
    (a,) = analyzer.analyze([ReviewInput(id="1", title="Broke in a week", text="It is a kettle")], AnalysisOptions())
    assert a.sentiment.label == "negative" and a.word_count == 4
