"""Language identification, word counts, sentences, clauses, keyphrases, topics (pure)."""

from __future__ import annotations

import pytest

from results.analysis import keywords as kw
from results.analysis.language import count_words, detect_language, normalize_hint


@pytest.mark.parametrize(
    "text, code",
    [
        ("The battery lasts all day and the screen is bright.", "en"),
        ("La batterie tient toute la journée et l'écran est lumineux.", "fr"),
        ("Der Akku hält den ganzen Tag und der Bildschirm ist hell.", "de"),
        ("La batería dura todo el día y la pantalla es brillante.", "es"),
        ("Аккумулятор держит весь день, экран очень яркий.", "ru"),
        ("バッテリーは一日中持ち、画面もとても明るいです。", "ja"),
    ],
)
def test_detects_languages(text: str, code: str) -> None:
    guess = detect_language(text)
    assert (guess.code, guess.source) == (code, "detector") and guess.probability >= 0.5


def test_short_text_is_und_and_the_hint_is_used_only_then() -> None:
    assert detect_language("Great!").code == "und"
    assert detect_language("Great!", "english").code == "en"
    assert (detect_language("Great!", "english").source) == "hint"
    # a confident detection wins over a wrong hint
    assert detect_language("La batterie tient toute la journée, super produit.", "english").code == "fr"


@pytest.mark.parametrize(
    "hint, code",
    [("en", "en"), ("en-US", "en"), ("pt_BR", "pt"), ("schinese", "zh"), ("koreana", "ko"), ("", None), ("x1", None)],
)
def test_normalize_hint(hint: str, code: str | None) -> None:
    assert normalize_hint(hint) == code


def test_word_count_is_the_documented_regex() -> None:
    assert count_words("It's 5 stars -- really!") == 5  # It, s, 5, stars, really
    assert count_words("") == 0


def test_sentences_and_clauses() -> None:
    assert kw.split_sentences("Great sound. Bad battery!\nWould buy again?") == [
        "Great sound.",
        "Bad battery!",
        "Would buy again?",
    ]
    assert kw.split_clauses("Decent sound, but the battery barely lasts; shipping was slow") == [
        "Decent sound",
        "the battery barely lasts",
        "shipping was slow",
    ]


def test_keyphrases_drop_opinion_only_phrases_and_rank_longer_phrases_first() -> None:
    phrases = kw.extract_keyphrases(
        "The noise cancelling headphones are great. Great! The battery life is short.",
        sentiment_words={"great", "short"},
    )
    names = [p.phrase for p in phrases]
    assert names[0] == "noise cancelling headphones"
    assert "battery life" in names and "great" not in names


def test_topics_and_clause_insights_with_a_given_scorer() -> None:
    assert kw.find_topics("Delivery was late and the price too high") == ["price/value", "shipping/delivery"]
    scores = {"Battery life is excellent": 0.8, "the customer support was rude": -0.7, "It is blue": 0.0}
    found = kw.clause_insights(
        "Battery life is excellent, but the customer support was rude. It is blue.",
        lambda clauses: [scores[c] for c in clauses],
    )
    assert found.pros == ("battery life",)
    assert found.cons == ("customer support",)
    assert [(t.topic, t.sentiment) for t in found.topics] == [("performance", 0.8), ("customer service", -0.7)]


def test_most_polar_sentence() -> None:
    assert kw.most_polar_sentence(["a", "b", "c"], [0.1, -0.9, 0.5]) == "b"
    assert kw.most_polar_sentence(["a", "b"], [0.0, 0.0]) == "a"
    assert kw.most_polar_sentence([], []) == ""
