"""Sentences, clauses, keyphrases, pros/cons and topics without a model (docs/analysis.md section 2.4).

Regex only: no NLTK corpora, nothing downloaded. Keyphrases come from a small RAKE of our own
(candidate phrases are the runs between stopwords and punctuation, scored by word degree over
frequency). Pros and cons are the keyphrases of clauses whose score passes a threshold; the clause
scorer is a parameter, so the embedding tier reuses these functions with its own scores.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .lexicon_patch import STOPWORDS, TOPIC_KEYWORDS
from .types import TOPICS, Topic

ClauseScorer = Callable[[Sequence[str]], Sequence[float]]

PROS_THRESHOLD = 0.3
CONS_THRESHOLD = -0.2
MAX_PROS_CONS = 5
MAX_KEYPHRASE_WORDS = 3

# Sentence ends: . ! ? … followed by space, CJK full stops (no space follows them), and line breaks.
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?…])\s+|(?<=[。！？])|\s*\n+\s*")
# Clause boundaries: contrast words (the contrast word starts the next clause) and semicolons.
_CLAUSE_SPLIT_RE = re.compile(
    r"\s*;\s*|\s*,?\s+(?=\b(?:but|however|though|although|whereas|yet)\b)|(?<=[,])\s*(?=\b(?:but|though)\b)",
    re.IGNORECASE,
)
_LEADING_CONTRAST_RE = re.compile(r"^(?:but|however|though|although|whereas|yet)\b[\s,]*", re.IGNORECASE)
_TOKEN_RE = re.compile(r"[\w'’-]+|[^\w\s]", re.UNICODE)
_PHRASE_BREAK_RE = re.compile(r"[^\w\s'’-]")
_NUMERIC_RE = re.compile(r"^[\d.,:/x-]+$")
_TOPIC_RES = {
    topic: re.compile(r"(?<![\w])(?:" + "|".join(TOPIC_KEYWORDS[topic]) + r")(?![\w])", re.IGNORECASE)
    for topic in TOPICS
}


@dataclass(frozen=True)
class Keyphrase:
    phrase: str
    score: float


@dataclass(frozen=True)
class ClauseInsights:
    pros: tuple[str, ...]
    cons: tuple[str, ...]
    topics: tuple[Topic, ...]


def split_sentences(text: str) -> list[str]:
    """Sentences by punctuation and line breaks; never empty strings."""
    return [part.strip() for part in _SENTENCE_SPLIT_RE.split(text) if part and part.strip()]


def split_clauses(sentence: str) -> list[str]:
    """Split one sentence on but / however / though / although / whereas / yet / ";"."""
    clauses = []
    for part in _CLAUSE_SPLIT_RE.split(sentence):
        if not part:
            continue
        part = _LEADING_CONTRAST_RE.sub("", part.strip()).strip(" ,.;:!?")
        if part and re.search(r"\w", part):
            clauses.append(part)
    return clauses


def clauses_of(text: str) -> list[str]:
    return [clause for sentence in split_sentences(text) for clause in split_clauses(sentence)]


def _candidate_phrases(text: str, stopwords: frozenset[str]) -> list[list[str]]:
    phrases: list[list[str]] = []
    for chunk in _PHRASE_BREAK_RE.split(text):
        current: list[str] = []
        for word in chunk.split():
            lowered = word.lower().strip("'’-")
            if not lowered or lowered in stopwords or lowered.replace("’", "'") in stopwords:
                if current:
                    phrases.append(current)
                current = []
            else:
                current.append(lowered)
        if current:
            phrases.append(current)
    return phrases


def extract_keyphrases(
    text: str,
    *,
    top_n: int = 5,
    max_words: int = MAX_KEYPHRASE_WORDS,
    stopwords: frozenset[str] = STOPWORDS,
    sentiment_words: Iterable[str] = (),
) -> list[Keyphrase]:
    """RAKE keyphrases, best first; phrases made only of sentiment words or numbers are dropped.

    Candidates longer than ``max_words`` are dropped, as in multi-rake's ``max_words``. Ties keep
    the order of first appearance.
    """
    opinion = frozenset(sentiment_words)
    candidates = [phrase for phrase in _candidate_phrases(text, stopwords) if len(phrase) <= max_words]
    frequency: dict[str, int] = {}
    degree: dict[str, int] = {}
    for phrase in candidates:
        for word in phrase:
            frequency[word] = frequency.get(word, 0) + 1
            degree[word] = degree.get(word, 0) + len(phrase)
    seen: dict[str, Keyphrase] = {}
    for phrase in candidates:
        if all(word in opinion or _NUMERIC_RE.match(word) for word in phrase):
            continue
        key = " ".join(phrase)
        if key in seen:
            continue
        seen[key] = Keyphrase(key, sum(degree[word] / frequency[word] for word in phrase))
    ranked = sorted(seen.values(), key=lambda item: -item.score)  # stable: ties stay in text order
    return ranked[:top_n]


def find_topics(clause: str) -> list[str]:
    """Topics from ``types.TOPICS`` whose keywords occur in the clause, in list order."""
    return [topic for topic in TOPICS if _TOPIC_RES[topic].search(clause)]


def _shorten(clause: str, max_words: int = 8) -> str:
    words = clause.split()
    return " ".join(words[:max_words])


def clause_insights(
    text: str,
    scorer: ClauseScorer,
    *,
    sentiment_words: Iterable[str] = (),
    topic_finder: Callable[[Sequence[str]], Sequence[Sequence[str]]] | None = None,
    pros_threshold: float = PROS_THRESHOLD,
    cons_threshold: float = CONS_THRESHOLD,
    limit: int = MAX_PROS_CONS,
) -> ClauseInsights:
    """Pros (clauses scoring >= 0.3), cons (<= -0.2) and topics with the mean score of their clauses.

    A pro or con is the clause's best keyphrase (so "decent sound" rather than the whole clause),
    or its first words when RAKE finds nothing. ``topic_finder`` maps clauses to topics; the
    default is the keyword list in ``lexicon_patch.TOPIC_KEYWORDS``.
    """
    clauses = clauses_of(text)
    if not clauses:
        return ClauseInsights((), (), ())
    scores = list(scorer(clauses))
    topic_lists = topic_finder(clauses) if topic_finder else [find_topics(clause) for clause in clauses]
    opinion = frozenset(sentiment_words)
    pros: list[str] = []
    cons: list[str] = []
    by_topic: dict[str, list[float]] = {}
    for clause, score, topics in zip(clauses, scores, topic_lists, strict=True):
        for topic in topics:
            by_topic.setdefault(topic, []).append(score)
        if score >= pros_threshold:
            target = pros
        elif score <= cons_threshold:
            target = cons
        else:
            continue
        phrases = extract_keyphrases(clause, top_n=1, sentiment_words=opinion)
        label = phrases[0].phrase if phrases else _shorten(clause).lower()
        if label not in target and len(target) < limit:
            target.append(label)
    topics_out = tuple(Topic(topic, round(sum(values) / len(values), 4)) for topic, values in by_topic.items())
    return ClauseInsights(tuple(pros), tuple(cons), topics_out)


def most_polar_sentence(sentences: Sequence[str], scores: Sequence[float]) -> str:
    """The sentence with the largest |score|; the first sentence when all are neutral."""
    if not sentences:
        return ""
    best = max(range(len(sentences)), key=lambda i: (abs(scores[i]), -i))
    return sentences[best]
