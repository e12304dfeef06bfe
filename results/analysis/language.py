"""Language identification and word counts (docs/analysis.md section 1).

py3langid 0.4.0 (BSD-3-Clause, 97 languages, model inside the wheel) with ``norm_probs=True`` so that
``classify`` returns a probability. The answer is "und" when the text is too short to judge or the
top probability is below ``MIN_PROBABILITY``; only then is a platform-supplied hint used.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import Any

WORD_RE = re.compile(r"\w+")
MIN_WORDS = 3
MIN_PROBABILITY = 0.5
UNDETERMINED = "und"
DETECTOR = "py3langid-0.4.0"

# Scripts written without spaces between words. ``\w+`` sees a whole clause as one "word", which
# would make every Chinese or Japanese review "und"; for the short-text rule only, we count two
# such characters as one word (a common rough equivalence for Chinese and Japanese).
_UNSPACED_SCRIPT_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u0e00-\u0e7f\uf900-\ufaff]")

# Platform language names to ISO 639-1 (Steam reports names such as "english" or "schinese").
_HINT_NAMES = {
    "english": "en", "german": "de", "french": "fr", "spanish": "es", "latam": "es", "italian": "it",
    "portuguese": "pt", "brazilian": "pt", "russian": "ru", "polish": "pl", "dutch": "nl", "swedish": "sv",
    "danish": "da", "finnish": "fi", "norwegian": "no", "czech": "cs", "hungarian": "hu", "romanian": "ro",
    "bulgarian": "bg", "greek": "el", "turkish": "tr", "ukrainian": "uk", "arabic": "ar", "thai": "th",
    "vietnamese": "vi", "indonesian": "id", "japanese": "ja", "korean": "ko", "koreana": "ko",
    "chinese": "zh", "schinese": "zh", "tchinese": "zh", "hindi": "hi", "hebrew": "he",
}  # fmt: skip
_HINT_CODE_RE = re.compile(r"^([a-z]{2})(?:[-_][a-z0-9]+)*$")


@dataclass(frozen=True)
class LanguageGuess:
    code: str  # ISO 639-1, or "und"
    probability: float  # detector's top probability (0 when not run)
    source: str  # "detector" | "hint" | "short" | "low_confidence"


def count_words(text: str) -> int:
    """``len(re.findall(r"\\w+", text))``: display only (it undercounts Chinese, Japanese and Thai)."""
    return len(WORD_RE.findall(text))


def _word_units(text: str) -> float:
    """Words for the "fewer than 3 words" rule, with unspaced scripts counted at two characters a word."""
    units = 0.0
    for token in WORD_RE.findall(text):
        unspaced = len(_UNSPACED_SCRIPT_RE.findall(token))
        if unspaced:
            units += unspaced / 2 + (1 if unspaced < len(token) else 0)
        else:
            units += 1
    return units


def normalize_hint(hint: str | None) -> str | None:
    """An ISO 639-1 code from a platform hint ("en", "en-US", "pt_BR", "english", "schinese"), else None."""
    if not hint:
        return None
    value = hint.strip().lower()
    if value in _HINT_NAMES:
        return _HINT_NAMES[value]
    match = _HINT_CODE_RE.match(value)
    return match.group(1) if match else None


_identifier: Any = None
_identifier_lock = threading.Lock()


def _get_identifier() -> Any:
    """Load the py3langid model once per process (about 1 s; it is read from inside the wheel)."""
    global _identifier
    if _identifier is None:
        with _identifier_lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _identifier


def _clean(text: str) -> str:
    # URLs, @handles and digits carry no language signal but shift short-text probabilities.
    text = re.sub(r"https?://\S+|www\.\S+|@\w+", " ", text)
    text = re.sub(r"\d+", " ", text)
    return unicodedata.normalize("NFC", " ".join(text.split()))


def detect_language(
    text: str,
    hint: str | None = None,
    *,
    min_words: int = MIN_WORDS,
    min_probability: float = MIN_PROBABILITY,
) -> LanguageGuess:
    """ISO 639-1 code of ``text``, "und" when undetermined; ``hint`` is used only in the "und" case."""
    hinted = normalize_hint(hint)
    cleaned = _clean(text)
    if _word_units(cleaned) < min_words:
        return LanguageGuess(hinted, 0.0, "hint") if hinted else LanguageGuess(UNDETERMINED, 0.0, "short")
    code, probability = _get_identifier().classify(cleaned)
    probability = float(probability)
    if probability < min_probability:
        if hinted:
            return LanguageGuess(hinted, probability, "hint")
        return LanguageGuess(UNDETERMINED, probability, "low_confidence")
    return LanguageGuess(str(code), probability, "detector")
