"""Tier 1, the lexicon analyzer "local-fast" (docs/analysis.md section 2.4).

VADER 3.3.2 plus our patch (``lexicon_patch``), scored sentence by sentence, English only for
sentiment and emotions; language, word count, keywords and the extractive summary work for any
Latin-script text.

Sentiment
    Each sentence is scored by VADER after the phrase pass; the sentence compounds are turned back
    into VADER's raw valence sums, added, divided by sqrt(number of polar sentences) and normalised
    again (on en.jsonl this beat a plain or weighted mean by about 10 points of 5-class macro-F1,
    because averaging flattens strong multi-sentence reviews into the middle classes). The label
    comes from the thresholds: neutral band +-0.05, ``very_*`` at |score| >= 0.6, folded to 3 classes.

Per-class scores (not one-hot)
    VADER gives a score, not a distribution. We turn it into one with a kernel over class centres:
    the score is mapped through a piecewise-linear warp that sends the thresholds to the midpoints
    between equally spaced centres (5 classes: -0.6, -0.05, 0.05, 0.6 -> -1.5, -0.5, 0.5, 1.5, centres
    -2..2; 3 classes: -0.05, 0.05 -> -0.5, 0.5, centres -1..1), and
    ``p(k) ~ exp(-(w(score) - centre_k)^2 / (2 sigma^2))``. With one shared ``sigma`` the most probable
    class is always the threshold class, so label, scores and thresholds never disagree. ``sigma``
    carries the uncertainty: it grows with the disagreement between sentences (weighted standard
    deviation of their compounds) and with the share of words VADER found neutral (little evidence):
    ``sigma = s0 + s_mix * disagreement + s_neu * neutral_share``. The three constants were fitted by
    grid search for the lowest log-loss on ``tests/fixtures/eval/en.jsonl``
    (``evaluation.fit_lexicon_spread``); refit them when the patch changes.
    ``confidence`` is the largest class probability, as for the other probabilistic analyzers.

Emotions
    Keyword counts per GoEmotions label (``lexicon_patch.EMOTION_KEYWORDS``; a keyword preceded by a
    negator within three words is skipped), grouped onto Ekman or Plutchik as configured, plus a weak
    vote from the sentiment score (approval or disapproval) so that plain praise reads as joy and
    plain complaints as anger. ``p(label) = count / (total + 1)``; the remainder is ``neutral``.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version as _package_version

from . import keywords as kw
from .language import count_words, detect_language
from .lexicon_patch import (
    EMOTION_KEYWORDS,
    GOEMOTIONS_TO_EKMAN,
    GOEMOTIONS_TO_PLUTCHIK,
    PATCH_VERSION,
    PHRASE_RULES,
    WORD_VALENCES,
    PhraseRule,
)
from .types import (
    EMOTION_LABELS,
    SENTIMENT3,
    SENTIMENT5,
    Analysis,
    AnalysisError,
    AnalysisOptions,
    Emotions,
    EmotionScore,
    Insights,
    ReviewInput,
    Sentiment,
    Summary,
)

NEUTRAL_BAND = 0.05
VERY_THRESHOLD = 0.6
MAX_SENTENCES = 40  # longer reviews keep the first 30 and the last 10 sentences (verdicts come last)
MAX_SENTENCE_WORDS = 80  # run-on text without punctuation is cut per sentence
MIN_DETECTED = 0.1
MAX_DETECTED = 10

# Fitted on en.jsonl (see module docstring); (s0, s_mix, s_neu) per class count.
SPREAD_5 = (0.35, 0.5, 0.3)
SPREAD_3 = (0.3, 0.5, 0.3)

VADER_VERSION = _package_version("vaderSentiment")
SENTIMENT_ANALYZER = f"lexicon:vader-{VADER_VERSION}+{PATCH_VERSION}"
EMOTION_ANALYZER = f"lexicon:emotion-keywords+{PATCH_VERSION}"
SUMMARY_ANALYZER = f"extractive:vader-{VADER_VERSION}+rake+{PATCH_VERSION}"
INSIGHTS_ANALYZER = f"lexicon:vader-{VADER_VERSION}+rake+{PATCH_VERSION}"

_NEGATORS = frozenset(
    "not no never nothing nobody none neither nor without isn't wasn't aren't weren't don't doesn't didn't "
    "can't cannot couldn't won't wouldn't shouldn't hardly barely dont doesnt didnt cant isnt wasnt wont".split()
)
_FOLD = {"very_positive": "positive", "very_negative": "negative"}


def _utcnow() -> datetime:
    return datetime.now(UTC)


# ---------------------------------------------------------------- VADER with the patch


# VADER negates a word when a negator is among the three words before it, even across a clause
# boundary ("the kids didn't care and had a blast"). We stop the window at these words.
_SCOPE_BREAKERS = frozenset({"and", "but", "or", "so", "because", "while", "yet", "although", "though"})

_vader: object | None = None
_vader_lock = threading.Lock()


def _scoped_vader_class() -> type:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    class ScopedSentimentIntensityAnalyzer(SentimentIntensityAnalyzer):  # type: ignore[misc]
        @staticmethod
        def _negation_check(valence: float, words_and_emoticons: list[str], start_i: int, i: int) -> float:
            between = words_and_emoticons[i - start_i : i]
            if any(str(word).lower() in _SCOPE_BREAKERS for word in between):
                return valence
            return SentimentIntensityAnalyzer._negation_check(valence, words_and_emoticons, start_i, i)

    return ScopedSentimentIntensityAnalyzer


def get_vader() -> object:
    """The patched VADER analyzer, built once per process (loading the lexicon takes ~0.1 s)."""
    global _vader
    if _vader is None:
        with _vader_lock:
            if _vader is None:
                analyzer = _scoped_vader_class()()
                analyzer.lexicon.update(WORD_VALENCES)
                analyzer.lexicon.update({rule.token: rule.valence for rule in PHRASE_RULES})
                _vader = analyzer
    return _vader


def sentiment_words() -> frozenset[str]:
    """Words that carry an opinion in the patched lexicon (RAKE drops phrases made only of these)."""
    lexicon: Mapping[str, float] = get_vader().lexicon  # type: ignore[attr-defined]
    return frozenset(word for word, value in lexicon.items() if abs(value) >= 0.5)


# A cheap literal pre-check per phrase rule: the pass ran every rule's ``re.sub`` on every sentence
# (28 % of the analyzer's time, bench analysis_lexicon), while most sentences contain none of a rule's
# words. ``_required_literals`` derives from each compiled rule a set of lower-case strings of which
# every match must contain one; a rule whose strings are all absent from the (case-folded) current
# text cannot match, so skipping it leaves the output identical.
#
# Case folding must cover every character that IGNORECASE lets match an ASCII literal: ASCII case
# pairs plus these four (derived by scanning all code points; test_lexicon_phrases.py re-derives it).
_IGNORECASE_ASCII_FOLD = {0x130: "i", 0x131: "i", 0x17F: "s", 0x212A: "k"}


def _fold(text: str) -> str:
    if text.isascii():
        return text.lower()
    return text.translate(_IGNORECASE_ASCII_FOLD).lower()


def _sequence_literals(items: list[tuple[object, object]]) -> frozenset[str] | None:
    """Strings of which every match of the parsed sequence contains one (None: no such set)."""
    from re import _constants as c  # noqa: PLC0415 - Python 3.11+; the parser's opcodes

    candidates: list[frozenset[str]] = []
    run: list[str] = []
    for op, av in items:
        if op is c.LITERAL:
            run.append(chr(av).lower())  # type: ignore[arg-type]
            continue
        if run:
            candidates.append(frozenset({"".join(run)}))
            run = []
        found: frozenset[str] | None = None
        if op is c.SUBPATTERN:
            _group, add_flags, del_flags, sub = av  # type: ignore[misc]
            if not add_flags and not del_flags:  # inline flags would change the case rules
                found = _sequence_literals(list(sub))
        elif op is c.BRANCH:
            branches = [_sequence_literals(list(branch)) for branch in av[1]]  # type: ignore[index]
            if all(branch is not None for branch in branches):
                found = frozenset().union(*branches)  # type: ignore[arg-type]
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT):
            low, _high, sub = av  # type: ignore[misc]
            if low >= 1:
                found = _sequence_literals(list(sub))
        if found:
            candidates.append(found)
    if run:
        candidates.append(frozenset({"".join(run)}))
    if not candidates:
        return None
    # A string that contains another of its set adds nothing ("answered" holds "answer").
    candidates = [
        frozenset(s for s in strings if not any(o != s and o in s for o in strings)) for strings in candidates
    ]
    # The most selective requirement: the longest shortest string, then the fewest strings.
    return max(candidates, key=lambda strings: (min(map(len, strings)), -len(strings)))


def _required_literals(pattern: re.Pattern[str]) -> frozenset[str] | None:
    from re import _parser  # noqa: PLC0415 - Python 3.11+; the pattern's parse tree

    # Only the flags this derivation understands: IGNORECASE (handled by _fold) and str defaults.
    if pattern.flags & ~(re.IGNORECASE | re.UNICODE):
        return None
    literals = _sequence_literals(list(_parser.parse(pattern.pattern, pattern.flags)))
    if literals is None or "" in literals or not all(s.isascii() for s in literals):
        return None
    return literals


_PHRASE_PLAN: tuple[tuple[PhraseRule, str, frozenset[str] | None], ...] = tuple(
    (rule, f" {rule.token} ", _required_literals(rule.pattern)) for rule in PHRASE_RULES
)
# Every rule's strings, looked for once per sentence (a set comprehension of ``in`` tests is about
# twice as fast as one ``any`` per rule, and most sentences then skip the loop altogether).
_PHRASE_LITERALS: tuple[str, ...] = tuple(sorted({s for _, _, strings in _PHRASE_PLAN for s in strings or ()}))
_ALL_RULES_CHECKED = all(strings is not None for _, _, strings in _PHRASE_PLAN)


def _present_literals(text: str) -> set[str]:
    folded = _fold(text)
    return {literal for literal in _PHRASE_LITERALS if literal in folded}


def apply_phrases(text: str) -> str:
    """Replace the multi-word expressions of ``PHRASE_RULES`` by their lexicon tokens.

    Rules run in order, each on the output of the previous one; a rule is skipped only when none of
    its required strings occurs in the current text, so the output is exactly that of running every
    rule's ``re.sub`` (tests/results/analysis/test_lexicon_phrases.py keeps that version as reference).
    """
    present = _present_literals(text)
    if not present and _ALL_RULES_CHECKED:
        return text
    for rule, replacement, literals in _PHRASE_PLAN:
        if literals is not None and present.isdisjoint(literals):
            continue
        text, count = rule.pattern.subn(replacement, text)
        if count:
            present = _present_literals(text)
    return text


@dataclass(frozen=True)
class SentenceScore:
    text: str
    compound: float
    pos: float
    neu: float
    neg: float


@dataclass(frozen=True)
class TextScore:
    score: float  # -1..1
    disagreement: float  # weighted standard deviation of the sentence compounds
    neutral_share: float  # mean share of neutral words over sentences
    sentences: tuple[SentenceScore, ...]


def score_sentence(sentence: str) -> SentenceScore:
    words = sentence.split()
    if len(words) > MAX_SENTENCE_WORDS:
        sentence = " ".join(words[:MAX_SENTENCE_WORDS])
    result = get_vader().polarity_scores(apply_phrases(sentence))  # type: ignore[attr-defined]
    return SentenceScore(sentence, float(result["compound"]), result["pos"], result["neu"], result["neg"])


def capped_sentences(text: str) -> list[str]:
    sentences = kw.split_sentences(text)
    if len(sentences) > MAX_SENTENCES:
        sentences = sentences[:30] + sentences[-10:]
    return sentences


def score_text(text: str) -> TextScore:
    sentences = tuple(score_sentence(sentence) for sentence in capped_sentences(text))
    if not sentences:
        return TextScore(0.0, 0.0, 1.0, ())
    # Undo VADER's normalisation per sentence, sum the raw valences, divide by sqrt(polar sentences)
    # and normalise again: repeated evidence strengthens the score (which the very_* classes need)
    # without a long review saturating at +-1 the way whole-text VADER does.
    raw = sum(_unnormalize(s.compound) for s in sentences)
    polar = sum(1 for s in sentences if abs(s.compound) > NEUTRAL_BAND)
    score = _normalize(raw / math.sqrt(max(1, polar)))
    weights = [0.25 + abs(s.compound) for s in sentences]
    total = sum(weights)
    mean = sum(w * s.compound for w, s in zip(weights, sentences, strict=True)) / total
    variance = sum(w * (s.compound - mean) ** 2 for w, s in zip(weights, sentences, strict=True)) / total
    # VADER reports all-zero proportions for a sentence without tokens; count it as fully neutral.
    neutral = sum(s.neu if (s.pos + s.neu + s.neg) > 0 else 1.0 for s in sentences) / len(sentences)
    return TextScore(max(-1.0, min(1.0, score)), math.sqrt(variance), neutral, sentences)


_VADER_ALPHA = 15.0  # vaderSentiment.normalize's alpha


def _normalize(raw: float) -> float:
    return raw / math.sqrt(raw * raw + _VADER_ALPHA)


def _unnormalize(compound: float) -> float:
    compound = max(-0.9999, min(0.9999, compound))
    return math.sqrt(_VADER_ALPHA) * compound / math.sqrt(1 - compound * compound)


def score_clauses(clauses: Sequence[str]) -> list[float]:
    return [score_sentence(clause).compound for clause in clauses]


# ---------------------------------------------------------------- labels and distributions


def label5(score: float) -> str:
    if score >= VERY_THRESHOLD:
        return "very_positive"
    if score > NEUTRAL_BAND:
        return "positive"
    if score <= -VERY_THRESHOLD:
        return "very_negative"
    if score < -NEUTRAL_BAND:
        return "negative"
    return "neutral"


def label3(score: float) -> str:
    return fold(label5(score))


def fold(label: str) -> str:
    """5-class label to the stored 3-class label."""
    return _FOLD.get(label, label)


def _warp(score: float, knots: Sequence[tuple[float, float]]) -> float:
    score = max(-1.0, min(1.0, score))
    for (x0, y0), (x1, y1) in zip(knots, knots[1:], strict=False):
        if score <= x1:
            return y0 + (score - x0) * (y1 - y0) / (x1 - x0)
    return knots[-1][1]


_KNOTS_5 = ((-1.0, -2.5), (-VERY_THRESHOLD, -1.5), (-NEUTRAL_BAND, -0.5), (NEUTRAL_BAND, 0.5), (VERY_THRESHOLD, 1.5),
            (1.0, 2.5))  # fmt: skip
_KNOTS_3 = ((-1.0, -1.5), (-NEUTRAL_BAND, -0.5), (NEUTRAL_BAND, 0.5), (1.0, 1.5))


def class_distribution(
    score: float,
    disagreement: float,
    neutral_share: float,
    classes: int,
    spread: tuple[float, float, float] | None = None,
) -> dict[str, float]:
    """The five SENTIMENT5 keys, summing to 1; with ``classes == 3`` the very_* keys are 0.

    See the module docstring: a Gaussian kernel over class centres in warped score space, whose
    width grows with sentence disagreement and neutral share. Its argmax is the threshold label.
    """
    if classes not in (3, 5):
        raise AnalysisError(f"sentiment_classes must be 3 or 5, not {classes!r}")
    s0, s_mix, s_neu = spread or (SPREAD_5 if classes == 5 else SPREAD_3)
    sigma = s0 + s_mix * disagreement + s_neu * neutral_share
    if classes == 5:
        labels, knots, centres = SENTIMENT5, _KNOTS_5, (2.0, 1.0, 0.0, -1.0, -2.0)
    else:
        labels, knots, centres = SENTIMENT3, _KNOTS_3, (1.0, 0.0, -1.0)
    position = _warp(score, knots)
    # A score exactly on a threshold lands on the midpoint between two centres (a tie). Nudge it a
    # hair towards the threshold label's centre so the argmax is always that label.
    expected = label5(score) if classes == 5 else label3(score)
    centre = centres[labels.index(expected)]
    if centre != position:
        position += 1e-9 * (1 if centre > position else -1)
    logits = [-((position - centre) ** 2) / (2 * sigma**2) for centre in centres]
    top = max(logits)
    weights = [math.exp(logit - top) for logit in logits]
    total = sum(weights)
    probabilities = dict.fromkeys(SENTIMENT5, 0.0)
    for label, weight in zip(labels, weights, strict=True):
        probabilities[label] = weight / total
    return probabilities


def make_sentiment(text_score: TextScore, classes: int, analyzer: str = SENTIMENT_ANALYZER) -> Sentiment:
    scores = class_distribution(text_score.score, text_score.disagreement, text_score.neutral_share, classes)
    return Sentiment(
        label=label3(text_score.score),
        score=round(text_score.score, 4),
        confidence=round(max(scores.values()), 4),
        scores={label: round(value, 6) for label, value in scores.items()},
        analyzer=analyzer,
    )


# ---------------------------------------------------------------- emotions


_EMOTION_RES = {
    label: re.compile(r"(?<![\w])(?:" + "|".join(words) + r")", re.IGNORECASE)
    for label, words in EMOTION_KEYWORDS.items()
}
_WORD_RE = re.compile(r"[\w']+")
_GROUPINGS: Mapping[str, Mapping[str, str] | None] = {
    "goemotions": None,
    "ekman": GOEMOTIONS_TO_EKMAN,
    "plutchik": GOEMOTIONS_TO_PLUTCHIK,
}
SENTIMENT_VOTE = 0.6  # weight of the approval/disapproval vote at |score| = 1


def _negated_before(text: str, start: int) -> bool:
    previous = _WORD_RE.findall(text[:start].lower())[-3:]
    return any(word.replace("’", "'") in _NEGATORS for word in previous)


def goemotion_counts(text: str, score: float) -> dict[str, float]:
    """Keyword hits per GoEmotions label, plus the sentiment vote."""
    counts: dict[str, float] = {}
    for label, pattern in _EMOTION_RES.items():
        hits = sum(1 for match in pattern.finditer(text) if not _negated_before(text, match.start()))
        if hits:
            counts[label] = float(hits)
    if score >= 0.3:
        counts["approval"] = counts.get("approval", 0.0) + SENTIMENT_VOTE * score
    elif score <= -0.3:
        counts["disapproval"] = counts.get("disapproval", 0.0) + SENTIMENT_VOTE * -score
    return counts


def emotion_distribution(counts: Mapping[str, float], model: str) -> dict[str, float]:
    """Probabilities over ``EMOTION_LABELS[model]`` (neutral included), summing to 1."""
    if model not in _GROUPINGS:
        raise AnalysisError(f"unknown emotion_model {model!r}; expected one of {sorted(_GROUPINGS)}")
    grouping = _GROUPINGS[model]
    grouped: dict[str, float] = {}
    for label, count in counts.items():
        target = grouping[label] if grouping else label
        grouped[target] = grouped.get(target, 0.0) + count
    total = sum(grouped.values()) + 1.0  # one pseudo-count of "no emotion"
    probabilities = {label: grouped.get(label, 0.0) / total for label in EMOTION_LABELS[model]}
    probabilities["neutral"] = 1.0 / total
    return probabilities


def make_emotions(probabilities: Mapping[str, float], model: str, analyzer: str) -> Emotions:
    """Primary = top label (neutral only if it is strictly the top); detected = >= 0.1, no neutral, top 10."""
    ranked = sorted(probabilities.items(), key=lambda item: (-item[1], item[0] == "neutral"))
    primary, primary_score = ranked[0]
    detected = [
        EmotionScore(label, round(value, 4)) for label, value in ranked if label != "neutral" and value >= MIN_DETECTED
    ][:MAX_DETECTED]
    return Emotions(model, primary, round(primary_score, 4), tuple(detected), analyzer)


# ---------------------------------------------------------------- summary


def make_summary(text: str, opinion: frozenset[str], text_score: TextScore | None = None) -> Summary:
    """Extractive: the most polar sentence as text, the top 3 keyphrases as key points."""
    text_score = text_score or score_text(text)
    sentences = [s.text for s in text_score.sentences]
    phrases = kw.extract_keyphrases(text, top_n=3, sentiment_words=opinion)
    return Summary(
        text=kw.most_polar_sentence(sentences, [s.compound for s in text_score.sentences]),
        key_points=tuple(p.phrase for p in phrases),
        analyzer=SUMMARY_ANALYZER,
    )


# ---------------------------------------------------------------- the analyzer


def review_text(review: ReviewInput) -> str:
    """Title and body as one text (titles often carry the verdict: "Broke in a week")."""
    title = review.title.strip()
    if title and not re.search(r"[.!?…。！？]$", title):
        title += "."
    return f"{title} {review.text}".strip() if title else review.text


class LexiconAnalyzer:
    """Tier 1: "local-fast". Pure and thread-safe; VADER and py3langid load once per process."""

    name = "local-fast"

    def __init__(self, clock: Callable[[], datetime] = _utcnow) -> None:
        self._clock = clock

    def analyze(self, batch: Sequence[ReviewInput], options: AnalysisOptions) -> list[Analysis]:
        if options.sentiment and options.sentiment_classes not in (3, 5):
            raise AnalysisError(f"sentiment_classes must be 3 or 5, not {options.sentiment_classes!r}")
        if options.emotions and options.emotion_model not in EMOTION_LABELS:
            raise AnalysisError(f"unknown emotion_model {options.emotion_model!r}")
        opinion = sentiment_words() if (options.extract_insights or options.summarize) else frozenset()
        return [self._one(review, options, opinion) for review in batch]

    def _one(self, review: ReviewInput, options: AnalysisOptions, opinion: frozenset[str]) -> Analysis:
        text = review_text(review)
        language = detect_language(text, review.language_hint).code
        text_score = score_text(text)
        sentiment = make_sentiment(text_score, options.sentiment_classes) if options.sentiment else None
        emotions = None
        if options.emotions:
            counts = goemotion_counts(text, text_score.score)
            probabilities = emotion_distribution(counts, options.emotion_model)
            emotions = make_emotions(probabilities, options.emotion_model, EMOTION_ANALYZER)
        summary = make_summary(text, opinion, text_score) if options.summarize else None
        insights = None
        if options.extract_insights:
            found = kw.clause_insights(text, score_clauses, sentiment_words=opinion)
            insights = Insights(found.pros, found.cons, found.topics, INSIGHTS_ANALYZER)
        return Analysis(
            id=review.id,
            language=language,
            word_count=count_words(review.text),
            sentiment=sentiment,
            emotions=emotions,
            summary=summary,
            insights=insights,
            analyzed_at=self._clock(),
        )
